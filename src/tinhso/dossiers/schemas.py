"""API shapes of dossiers (pydantic via ninja)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from tinhso.core.api_schema import MAX_NOTE, MAX_SHORT, Amount


class DossierOut(Schema):
    code: str
    procedure: str
    procedure_name: str
    agency: str
    agency_name: str
    channel: int
    status: int
    status_name: str
    applicant_kind: str
    applicant_name: str
    form_data: dict[str, Any]
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    original_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    current_step: int | None
    supplement_count: int
    fee_amount: int
    paid_online: bool
    rating: int | None
    version: int
    allowed_actions: list[str]


class DossierListItem(Schema):
    code: str
    procedure: str
    procedure_name: str
    agency: str
    status: int
    channel: int
    applicant_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None


class DossierPage(Schema):
    items: list[DossierListItem]
    next_cursor: str | None


class EventOut(Schema):
    at: dt.datetime
    action: str
    action_name: str
    from_status: int | None
    to_status: int
    note: str
    due_at: dt.datetime | None
    actor: str | None


class ActionIn(Schema):
    note: str = Field("", max_length=MAX_NOTE)
    reason: str = Field("", max_length=MAX_NOTE)
    assignee: str | None = Field(None, max_length=150, description="username of the officer")
    step_index: int | None = Field(None, ge=0, le=100)
    amount: Amount | None = Field(None, description="đồng; request_payment: the amount asked "
                                  "(default: the procedure's fee); pay: must equal the amount "
                                  "requested")
    new_due_at: dt.datetime | None = None
    rating: int | None = Field(None, description="-1, 0 or 1",
                               json_schema_extra={"minimum": -1, "maximum": 1})
    payment_id: int | None = Field(None, ge=1, le=2**63 - 1)
    online: bool = False
    reference: str = Field("", max_length=100)


class TrackIn(Schema):
    code: str = Field(..., max_length=MAX_SHORT)
    id_number: str = Field(..., max_length=MAX_SHORT)


class TrackOut(Schema):
    code: str
    procedure: str
    agency: str
    status: int
    status_name: str
    status_text: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    returned_at: dt.datetime | None


class QueueCount(Schema):
    queue: str
    name_vi: str
    count: int


class AttachmentOut(Schema):
    id: int
    component: str | None
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class DossierResultOut(Schema):
    """The current result of the dossier's decision (issue 11: exactly one per decision)."""

    source: str
    source_name: str
    state: str  # "signing", "signed" or "failed" (a generated result's job)
    document_uuid: str | None
    verify_url: str | None
    attachment_id: int | None
    attached_at: dt.datetime
    attached_by: str | None
    replaced_count: int
