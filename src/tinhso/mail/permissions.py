"""Who may do what with official mail: any active official reads the address book; officials
of an agency (and province admins) read its sent and received mail and send from it; the
address book is edited by province admins and by an agency's officials for their agency."""

from __future__ import annotations

from typing import Any

from tinhso.accounts.permissions import can_act_on_agency, is_active_official


def can_read_directory(user: Any) -> bool:
    return is_active_official(user) or bool(getattr(user, "is_superuser", False))


def can_send_for(user: Any, agency_id: int | None) -> bool:
    return is_active_official(user) and can_act_on_agency(user, agency_id)
