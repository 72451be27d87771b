"""The 766 index: groups, indicators, their formulas and their scoring (docs/kpi.md).

This module is pure: it turns counters (from the facts or from the raw tables, see
tinhso.ioc.selectors) into the index. Points per indicator inside a group are not given by
DOMAIN §4 for every group; the split used here is written in ``GROUPS`` and in docs/kpi.md
(UNCONFIRMED where marked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name_vi: str
    max: float
    # Full marks when ratio >= cap (DOMAIN §4 "full marks at ≥X%"); None = no cap.
    cap: float | None = None
    # False: tinhso holds no data for it (reported as "no data", never invented).
    has_source: bool = True


@dataclass(frozen=True)
class GroupDef:
    code: str
    name_vi: str
    max: float
    indicators: tuple[IndicatorDef, ...]


GROUPS: tuple[GroupDef, ...] = (
    GroupDef("G1_PUBLICITY", "Công khai, minh bạch", 18, (
        IndicatorDef("G1_ANNOUNCED_ON_TIME", "Công bố thủ tục hành chính đúng hạn", 6),
        IndicatorDef("G1_PUBLISHED_ON_TIME",
                     "Công khai thủ tục hành chính đúng hạn trên Cơ sở dữ liệu quốc gia", 4),
        IndicatorDef("G1_RECORDS_COMPLETE", "Thông tin thủ tục hành chính đầy đủ", 2),
        IndicatorDef("G1_NATIONAL_SYNC",
                     "Hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia", 6, has_source=False),
    )),
    GroupDef("G2_PROGRESS", "Tiến độ giải quyết", 20, (
        IndicatorDef("ON_TIME_RATE", "Tỷ lệ hồ sơ giải quyết đúng hạn", 20),
    )),
    GroupDef("G3_ONLINE", "Dịch vụ công trực tuyến", 12, (
        IndicatorDef("G3_ONLINE_PROCEDURES",
                     "Tỷ lệ thủ tục hành chính cung cấp dịch vụ công trực tuyến", 4, cap=0.8),
        IndicatorDef("G3_ONLINE_IN_USE",
                     "Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ trực tuyến", 4),
        IndicatorDef("ONLINE_SUBMISSION_RATE", "Tỷ lệ hồ sơ nộp trực tuyến", 4, cap=0.5),
    )),
    GroupDef("G4_PAYMENT", "Thanh toán trực tuyến", 10, (
        IndicatorDef("G4_PAYMENT_INTEGRATED",
                     "Tỷ lệ thủ tục có phí, lệ phí được tích hợp thanh toán trực tuyến", 5,
                     cap=0.8),
        IndicatorDef("ONLINE_PAYMENT_RATE",
                     "Tỷ lệ hồ sơ thanh toán trực tuyến trên hồ sơ của thủ tục có phí", 5),
    )),
    GroupDef("G5_DIGITIZATION", "Số hóa hồ sơ", 22, (
        IndicatorDef("G5_E_RESULT", "Tỷ lệ hồ sơ cấp kết quả điện tử", 6),
        IndicatorDef("G5_DIGITIZED", "Tỷ lệ hồ sơ được số hóa thành phần và kết quả", 4,
                     cap=0.8),
        IndicatorDef("G5_E_CERTIFIED_COPY", "Tỷ lệ xã cung cấp chứng thực bản sao điện tử", 2),
        IndicatorDef("G5_DATA_REUSE", "Tỷ lệ hồ sơ tái sử dụng dữ liệu số hóa", 2, cap=0.8,
                     has_source=False),
        IndicatorDef("G5_PERSONAL_DATA_STORE", "Tỷ lệ hồ sơ liên kết kho dữ liệu cá nhân", 4,
                     has_source=False),
        IndicatorDef("G5_POPULATION_DATA", "Tỷ lệ hồ sơ sử dụng dữ liệu dân cư", 2,
                     has_source=False),
        IndicatorDef("G5_POPULATION_CONNECTED",
                     "Tỷ lệ thủ tục kết nối Cơ sở dữ liệu quốc gia về dân cư", 2,
                     has_source=False),
    )),
    GroupDef("G6_SATISFACTION", "Mức độ hài lòng", 18, (
        IndicatorDef("G6_PETITION_ON_TIME", "Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn", 6),
        IndicatorDef("G6_PETITION_SATISFACTION",
                     "Mức độ hài lòng về xử lý phản ánh, kiến nghị", 6),
        IndicatorDef("G6_DOSSIER_SATISFACTION",
                     "Mức độ hài lòng về giải quyết thủ tục hành chính", 6, cap=0.9),
    )),
)
INDICATORS: dict[str, IndicatorDef] = {i.code: i for g in GROUPS for i in g.indicators}
NOMINAL_MAX = sum(g.max for g in GROUPS)  # 100

RATIO_DIGITS = 4
SCORE_DIGITS = 2


@dataclass
class DossierCounters:
    """Dossier-based counters of one scope and period (facts and raw produce the same)."""

    finished_on_time: int = 0
    finished_late: int = 0
    open_total: int = 0           # received by the period end, unfinished at its end
    open_overdue: int = 0         # … of which overdue at the period end
    received: int = 0             # received in the period (base)
    received_online: int = 0
    received_oc: int = 0          # … of procedures that offer online service
    received_online_oc: int = 0   # … of those, submitted online
    received_fee: int = 0         # … of fee-bearing procedures
    received_fee_paid_online: int = 0
    received_paid_online: int = 0
    received_digitized: int = 0
    finished_with_result: int = 0
    finished_eresult: int = 0
    finished_digitized: int = 0
    finished_rated: int = 0
    finished_disliked: int = 0
    finished_unsatisfied: int = 0
    finished_multi_supplement: int = 0
    refused: int = 0
    fee_amount: int = 0
    paid_online_amount: int = 0
    # Distinct sets (ids), reduced to counts by the index.
    online_used_procedures: frozenset[int] = field(default_factory=frozenset)
    certified_communes: frozenset[int] = field(default_factory=frozenset)

    @property
    def finished(self) -> int:
        return self.finished_on_time + self.finished_late

    @property
    def progress_base(self) -> int:
        return self.finished + self.open_total

    @property
    def progress_on_time(self) -> int:
        return self.finished_on_time + self.open_total - self.open_overdue

    @property
    def overdue(self) -> int:
        return self.finished_late + self.open_overdue

    def add(self, other: DossierCounters) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, mine | theirs if isinstance(mine, frozenset) else mine + theirs)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if isinstance(value, frozenset) else value
        return out


@dataclass
class CatalogCounters:
    """Procedure-based counters of a scope (the catalogue holds no history: read as it is now,
    except the announcement/publication dates, which are matched against the period)."""

    announced_due: int = 0         # procedures effective in the period
    announced_on_time: int = 0
    published_due: int = 0         # procedures announced in the period
    published_on_time: int = 0
    procedures: int = 0            # active procedures in scope
    complete: int = 0
    online: int = 0                # … offering online service (full or partial)
    fee_bearing: int = 0
    fee_integrated: int = 0


@dataclass
class FeedbackCounters:
    handled_on_time: int = 0
    handled_base: int = 0
    satisfied: int = 0
    rated: int = 0

    def add(self, other: FeedbackCounters) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class Value:
    numerator: int | None
    denominator: int | None


NO_DATA = Value(None, None)


def _score(ind: IndicatorDef, value: Value) -> dict[str, Any]:
    ratio: float | None = None
    score: float | None = None
    if value.denominator:
        assert value.numerator is not None
        raw_ratio = value.numerator / value.denominator
        ratio = round(raw_ratio, RATIO_DIGITS)
        # DOMAIN §4: points = max × ratio; full marks once the ratio reaches the cap.
        factor = 1.0 if ind.cap is not None and raw_ratio >= ind.cap else raw_ratio
        score = ind.max * min(1.0, max(0.0, factor))
    return {
        "code": ind.code, "name_vi": ind.name_vi,
        "numerator": value.numerator, "denominator": value.denominator,
        "ratio": ratio, "score": score, "max": float(ind.max),
        # No source in tinhso, or nothing to judge in the period (denominator 0).
        "no_data": score is None,
    }


def indicator_values(d: DossierCounters, c: CatalogCounters, f: FeedbackCounters,
                     communes: frozenset[int] | set[int] | None,
                     procedures: frozenset[int] | set[int] | None = None) -> dict[str, Value]:
    """Numerator/denominator of every indicator (docs/kpi.md §3 gives each formula).

    ``communes``: the communes G5_E_CERTIFIED_COPY counts (None: not applicable to the scope);
    ``procedures``: the scope's procedures, which bound G3_ONLINE_IN_USE's numerator (an
    imported dossier may name a procedure its agency is not linked to)."""
    unsatisfied = d.overdue + d.finished_unsatisfied
    used = (d.online_used_procedures if procedures is None
            else d.online_used_procedures & frozenset(procedures))
    return {
        "G1_ANNOUNCED_ON_TIME": Value(c.announced_on_time, c.announced_due),
        "G1_PUBLISHED_ON_TIME": Value(c.published_on_time, c.published_due),
        "G1_RECORDS_COMPLETE": Value(c.complete, c.procedures),
        "G1_NATIONAL_SYNC": NO_DATA,
        "ON_TIME_RATE": Value(d.progress_on_time, d.progress_base),
        "G3_ONLINE_PROCEDURES": Value(c.online, c.procedures),
        "G3_ONLINE_IN_USE": Value(len(used), c.online),
        "ONLINE_SUBMISSION_RATE": Value(d.received_online_oc, d.received_oc),
        "G4_PAYMENT_INTEGRATED": Value(c.fee_integrated, c.fee_bearing),
        "ONLINE_PAYMENT_RATE": Value(d.received_fee_paid_online, d.received_fee),
        "G5_E_RESULT": Value(d.finished_eresult, d.finished_with_result),
        "G5_DIGITIZED": Value(d.finished_digitized, d.finished_with_result),
        "G5_E_CERTIFIED_COPY": (NO_DATA if communes is None
                                else Value(len(d.certified_communes & frozenset(communes)),
                                           len(communes))),
        "G5_DATA_REUSE": NO_DATA,
        "G5_PERSONAL_DATA_STORE": NO_DATA,
        "G5_POPULATION_DATA": NO_DATA,
        "G5_POPULATION_CONNECTED": NO_DATA,
        "G6_PETITION_ON_TIME": Value(f.handled_on_time, f.handled_base),
        "G6_PETITION_SATISFACTION": Value(f.satisfied, f.rated),
        # 100% − (overdue rate + share with a complaint or dislike), floored at 0.
        "G6_DOSSIER_SATISFACTION": Value(max(0, d.progress_base - unsatisfied),
                                         d.progress_base),
    }


def build_index(scope_code: str, date_from: dt.date, date_to: dt.date,
                values: dict[str, Value]) -> dict[str, Any]:
    """The API document on the national 100-point scale (issue 11, docs/kpi.md §4).

    Groups keep their nominal maxima (18/20/12/10/22/18); an indicator without data is marked
    ``no_data`` and earns nothing, so ``score`` out of ``max`` = 100 is read like the national
    portal's figure. Beside it, ``covered_score`` / ``covered_max`` (and ``covered_percent``)
    give the score over the indicators that have data only. A group with no data at all has
    ``score`` None; the total is None only when no indicator has data.
    """
    groups = []
    total_score = 0.0
    covered_max = 0.0
    any_score = False
    for group in GROUPS:
        indicators = [_score(ind, values.get(ind.code, NO_DATA)) for ind in group.indicators]
        scored = [i for i in indicators if i["score"] is not None]
        g_score = sum(i["score"] for i in scored) if scored else None
        g_covered = float(sum(i["max"] for i in scored))
        if g_score is not None:
            any_score = True
            total_score += g_score
            covered_max += g_covered
        for i in indicators:
            if i["score"] is not None:
                i["score"] = round(i["score"], SCORE_DIGITS)
        groups.append({
            "code": group.code, "name_vi": group.name_vi,
            "score": round(g_score, SCORE_DIGITS) if g_score is not None else None,
            "max": float(group.max), "covered_max": g_covered, "no_data": g_score is None,
            "indicators": indicators,
        })
    score = round(total_score, SCORE_DIGITS) if any_score else None
    return {
        "scope": scope_code,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "score": score,
        "max": float(NOMINAL_MAX),
        "covered_score": score,
        "covered_max": covered_max,
        "covered_percent": (round(total_score / covered_max * 100, SCORE_DIGITS)
                            if any_score and covered_max else None),
        "groups": groups,
    }
