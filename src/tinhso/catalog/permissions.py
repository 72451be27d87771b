"""Who may change the procedure catalogue.

Reading the catalogue is public. Writing it is for province admins (any procedure) and agency
admins (new procedures, which are linked to their agency, and procedures their agency implements).
The bulk import is a catalogue-wide write by design (issue 2: "writes by province_admin or
agency_admin"); an agency admin importing a file is trusted like one editing each entry.
"""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import Role
from tinhso.accounts.permissions import is_active_official


def can_edit_catalog(user: Any) -> bool:
    return is_active_official(user) and user.has_role(Role.PROVINCE_ADMIN, Role.AGENCY_ADMIN)


def can_edit_procedure(user: Any, agency_ids: set[int]) -> bool:
    """May ``user`` change a procedure implemented by ``agency_ids``?"""
    if not can_edit_catalog(user):
        return False
    if user.has_role(Role.PROVINCE_ADMIN):
        return True
    return user.agency_id is not None and user.agency_id in agency_ids
