"""API shapes of dossiers (pydantic via ninja)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


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
    note: str = ""
    reason: str = ""
    assignee: str | None = None  # username of the officer
    step_index: int | None = None
    amount: int | None = None
    new_due_at: dt.datetime | None = None
    rating: int | None = None
    payment_id: int | None = None
    online: bool = False
    reference: str = ""


class TrackIn(Schema):
    code: str
    id_number: str


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
