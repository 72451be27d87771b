"""Small template helpers for the IOC pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.9512 → "95,1%" (Vietnamese decimal comma); None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%".replace(".", ",")
