"""Scans of paper documents: checked like every upload (type by content, size, active PDF
content; tinhso.dossiers.uploads.check_upload) and stored through tinhso.core.blobs."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.correspondence import permissions as perm
from tinhso.correspondence.models import CorrFile, IncomingDocument, IncomingEvent


@transaction.atomic
def scan_attach(*, acting_user: Any, incoming: IncomingDocument, upload: Any) -> CorrFile:
    from tinhso.correspondence.services_in import store_file
    from tinhso.dossiers.uploads import check_upload

    perm.require_official_of(acting_user, incoming.agency_id)
    checked = check_upload("ban-scan", upload)
    row = store_file(incoming, checked.original_name, checked.content, checked.content_type)
    IncomingEvent.objects.create(incoming=incoming, actor=acting_user, action="scan",
                                 from_state=incoming.state, to_state=incoming.state,
                                 note=checked.original_name)
    return row
