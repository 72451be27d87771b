"""The 2025 reform as a rule: from 1 July 2025 no dossier reaches an agency of an abolished
unit (Resolutions 202/2025/QH15 and 1662/NQ-UBTVQH15: districts abolished, Bình Phước merged
into Đồng Nai). Submission and reception call ``require_in_force``; the error names the agencies
that took the work over, for the portal to offer (docs/units.md, "The structure in force")."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.core.errors import ValidationFailed
from tinhso.units.models import Agency
from tinhso.units.selectors import agency_in_force, successor_agencies


class AgencyAbolished(ValidationFailed):
    """The agency's administrative unit no longer exists on that day (code AGENCY_ABOLISHED)."""


def require_in_force(agency: Agency, *, at: dt.datetime | None = None,
                     procedure_id: int | None = None) -> None:
    day = timezone.localtime(at).date() if at else timezone.localdate()
    if agency_in_force(agency, day):
        return
    successors = successor_agencies(agency, procedure_id=procedure_id, day=day)
    names = ", ".join(a.name for a in successors)
    raise AgencyAbolished(
        "AGENCY_ABOLISHED",
        f"{agency.name} thuộc đơn vị hành chính đã kết thúc hoạt động từ ngày "
        f"{agency.unit.valid_to:%d/%m/%Y}; không tiếp nhận hồ sơ mới."
        + (f" Vui lòng nộp tại: {names}." if names else
           " Vui lòng chọn xã, phường nơi cư trú theo đơn vị hành chính mới."),
        f"{agency.name} belongs to an administrative unit abolished after "
        f"{agency.unit.valid_to:%Y-%m-%d}; it receives no new dossiers."
        + (f" Please submit to: {names}." if names else
           " Please choose the commune of your address in the current structure."),
        {"agency": agency.code, "valid_to": str(agency.unit.valid_to),
         "successors": [{"code": a.code, "name": a.name} for a in successors]},
    )
