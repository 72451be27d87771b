"""Fee schedules: what an applicant owes for a procedure, before submitting and when asked.

A procedure's ``FeeRule`` (flat, per copy, per page with a cap per copy) and the exemptions of
listed applicant groups give the amount; without a rule the catalogue's single figure
(``Procedure.fee``) applies. The same function quotes the fee on the procedure's page and fills
the payment request, so the applicant is asked for what they were shown.

The dossier's form data may carry ``so_ban`` (copies), ``so_trang`` (pages per copy) and
``doi_tuong_mien_giam`` (the applicant group claimed; the receiving officer checks the proof).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from tinhso.core.errors import ValidationFailed
from tinhso.payments.models import FeeExemption, FeeKind, FeeRule

MAX_COPIES = 1000
MAX_PAGES = 10_000


@dataclass(frozen=True)
class FeeQuote:
    base: int
    exemption_percent: int
    exemption_group: str
    amount: int
    explanation: str


def _bounded(value: Any, name: str, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or not 1 <= number <= maximum:
        raise ValidationFailed("INVALID_FEE_INPUT",
                               f"“{name}” phải là số nguyên từ 1 đến {maximum}.",
                               f"'{name}' must be a whole number from 1 to {maximum}.",
                               {"field": name, "value": value})
    return number


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def quote(procedure: Any, *, copies: Any = 1, pages: Any = 1, group: str = "") -> FeeQuote:
    copies_n = _bounded(copies, "so_ban", MAX_COPIES)
    pages_n = _bounded(pages, "so_trang", MAX_PAGES)
    rule = FeeRule.objects.filter(procedure=procedure).first()
    if rule is None:
        base, text = int(procedure.fee), f"{_vnd(procedure.fee)} mỗi hồ sơ"
    elif rule.kind == FeeKind.FLAT:
        base, text = rule.amount, f"{_vnd(rule.amount)} mỗi hồ sơ"
    elif rule.kind == FeeKind.PER_COPY:
        base, text = rule.amount * copies_n, f"{_vnd(rule.amount)} × {copies_n} bản"
    else:
        first = min(pages_n, rule.first_pages) if rule.first_pages else pages_n
        per_copy = rule.amount * first + rule.amount_after * (pages_n - first)
        if rule.cap_per_copy is not None:
            per_copy = min(per_copy, rule.cap_per_copy)
        base = per_copy * copies_n
        text = (f"{pages_n} trang: {_vnd(per_copy)} mỗi bản"
                + (f" (tối đa {_vnd(rule.cap_per_copy)})" if rule.cap_per_copy else "")
                + f" × {copies_n} bản")
    percent, group_name = 0, ""
    if group:
        rows = list(FeeExemption.objects.filter(group=group)
                    .filter(Q(procedure=procedure) | Q(procedure__isnull=True)))
        # The procedure's own row wins over the one for every procedure.
        exemption = next((r for r in rows if r.procedure_id is not None),
                         rows[0] if rows else None)
        if exemption is None:
            raise ValidationFailed("UNKNOWN_EXEMPTION_GROUP",
                                   "Đối tượng miễn, giảm không có trong danh mục.",
                                   "Unknown exemption group for this procedure.",
                                   {"group": group})
        percent, group_name = exemption.percent, exemption.group_name
    amount = base * (100 - percent) // 100
    if percent:
        text += f"; {group_name}: giảm {percent}%"
    return FeeQuote(base=base, exemption_percent=percent, exemption_group=group,
                    amount=amount, explanation=text)


def fee_for_dossier(dossier: Any) -> int:
    """The amount to request for a dossier, from its procedure's schedule and its form data."""
    data = dossier.form_data if isinstance(dossier.form_data, dict) else {}
    return quote(dossier.procedure, copies=data.get("so_ban", 1), pages=data.get("so_trang", 1),
                 group=str(data.get("doi_tuong_mien_giam", "") or "")).amount


@dataclass(frozen=True)
class Schedule:
    """What the procedure page tells the applicant before they submit."""

    rule_vi: str
    exemptions: list[tuple[str, int]]


def schedule_for(procedure: Any) -> Schedule | None:
    """The procedure's fee rule in words and its exemptions; None without a rule or exemption
    (the catalogue's single figure is then all there is to show)."""
    rule = FeeRule.objects.filter(procedure=procedure).first()
    rows = list(FeeExemption.objects.filter(Q(procedure=procedure) | Q(procedure__isnull=True))
                .order_by("group"))
    if rule is None and not rows:
        return None
    if rule is None:
        text = f"{_vnd(procedure.fee)} mỗi hồ sơ"
    elif rule.kind == FeeKind.FLAT:
        text = f"{_vnd(rule.amount)} mỗi hồ sơ"
    elif rule.kind == FeeKind.PER_COPY:
        text = f"{_vnd(rule.amount)} mỗi bản"
    else:
        text = (f"{_vnd(rule.amount)} mỗi trang cho {rule.first_pages} trang đầu, "
                f"{_vnd(rule.amount_after)} mỗi trang tiếp theo")
        if rule.cap_per_copy is not None:
            text += f", tối đa {_vnd(rule.cap_per_copy)} mỗi bản"
    best = {}
    for row in rows:  # the procedure's own row wins over the one for every procedure
        if row.group not in best or row.procedure_id is not None:
            best[row.group] = row
    return Schedule(rule_vi=text, exemptions=[(r.group_name, r.percent)
                                              for r in best.values()])
