"""The marketplace's time limits (settings read at call time, so tests may move them)."""

from __future__ import annotations

from django.conf import settings


def dispute_days() -> int:
    """N: a buyer may dispute a delivered order only within N days of delivery."""
    return int(getattr(settings, "TINHSO_MARKET_DISPUTE_DAYS", 7))


def dispute_answer_days() -> int:
    """M: a dispute the seller has not answered within M days goes to the market officers."""
    return int(getattr(settings, "TINHSO_MARKET_DISPUTE_ANSWER_DAYS", 3))


def complete_days() -> int:
    """K: a delivered order (not disputed) is completed K days after delivery."""
    return int(getattr(settings, "TINHSO_MARKET_COMPLETE_DAYS", 14))
