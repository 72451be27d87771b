"""/api/v1/webhooks: Standard Webhooks subscriptions, secret rotation, the delivery log and
replay (LGSP operators).

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from enum import StrEnum

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from tinhso.core.errors import ValidationFailed
from tinhso.lgsp.permissions import require_operator
from tinhso.outbox.catalog import EVENT_TYPES
from tinhso.units.models import Agency
from tinhso.webhooks import selectors, services
from tinhso.webhooks.models import DeliveryStatus

router = Router(tags=["webhooks"])

WebhookEventType = StrEnum(  # type: ignore[misc]
    "WebhookEventType", {n.replace(".", "_"): n for n in sorted(EVENT_TYPES)})


class WebhookDeliveryState(StrEnum):
    pending = DeliveryStatus.PENDING.value
    succeeded = DeliveryStatus.SUCCEEDED.value
    failed = DeliveryStatus.FAILED.value


class WebhookSubscriptionIn(Schema):
    name: str = Field("", max_length=120)
    url: str = Field(..., max_length=500, examples=["https://he-thong.example.vn/webhooks"])
    event_types: list[WebhookEventType] = Field(..., min_length=1, max_length=100)
    agency_code: str | None = Field(None, max_length=40,
                                    description="only events about this agency's records")


class WebhookSubscriptionOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    agency_code: str | None
    is_active: bool
    disabled_reason: str
    failing_since: dt.datetime | None


class WebhookSecretOut(Schema):
    subscription: WebhookSubscriptionOut
    secret: str = Field(..., description="whsec_…, shown once")


class WebhookActiveIn(Schema):
    active: StrictBool


class WebhookReplaySinceIn(Schema):
    since: str = Field(..., max_length=40, description="ISO 8601 with an offset",
                       json_schema_extra={"format": "date-time"})


class WebhookDeliveryQuery(Schema):
    subscription_id: int | None = Field(None, ge=1, le=2**62)
    status: WebhookDeliveryState | None = None
    limit: int = Field(100, ge=1, le=1000)


class WebhookAttemptOut(Schema):
    number: int
    at: dt.datetime
    status_code: int | None
    duration_ms: int
    error: str


class WebhookDeliveryOut(Schema):
    id: int
    subscription_id: int
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    delivered_at: dt.datetime | None
    replays: int
    log: list[WebhookAttemptOut]


def _sub_out(s) -> WebhookSubscriptionOut:  # type: ignore[no-untyped-def]
    return WebhookSubscriptionOut(id=s.pk, name=s.name, url=s.url, event_types=s.event_types,
                                  agency_code=s.agency.code if s.agency_id else None,
                                  is_active=s.is_active, disabled_reason=s.disabled_reason,
                                  failing_since=s.failing_since)


def _delivery_out(d) -> WebhookDeliveryOut:  # type: ignore[no-untyped-def]
    return WebhookDeliveryOut(
        id=d.pk, subscription_id=d.subscription_id, webhook_id=d.msg_id,
        event_id=str(d.event_id), event_type=d.event_type, status=d.status,
        attempts=d.attempts, next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code, delivered_at=d.delivered_at, replays=d.replays,
        log=[WebhookAttemptOut(number=a.number, at=a.at, status_code=a.status_code,
                               duration_ms=a.duration_ms, error=a.error) for a in d.log.all()])


def _agency(code: str | None) -> Agency | None:
    if not code:
        return None

    agency = selectors.agency_by_code(code)
    if agency is None:
        raise ValidationFailed("WEBHOOK_UNKNOWN_AGENCY", "Không có cơ quan với mã này.",
                               "No agency has this code.", {"agency_code": code})
    return agency


def _since(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationFailed("WEBHOOK_BAD_SINCE",
                               "Thời điểm phải theo ISO 8601 và có múi giờ.",
                               "The time must be ISO 8601 with an offset.", {"since": raw})
    return value


@router.get("/subscriptions", response=list[WebhookSubscriptionOut],
            summary="Đăng ký nhận sự kiện")
def list_subscriptions(request: HttpRequest) -> list[WebhookSubscriptionOut]:
    require_operator(request.user)
    return [_sub_out(s) for s in selectors.subscriptions(request.user)]


@router.post("/subscriptions", response={201: WebhookSecretOut},
             summary="Thêm đăng ký nhận sự kiện (trả khóa ký một lần)")
def create_subscription(request: HttpRequest, data: WebhookSubscriptionIn) -> Status:
    require_operator(request.user)
    created = services.subscription_create(
        acting_user=request.user, name=data.name, url=data.url,
        event_types=[t.value for t in data.event_types], agency=_agency(data.agency_code))
    return Status(201, WebhookSecretOut(subscription=_sub_out(created.subscription),
                                        secret=created.secret))


@router.post("/subscriptions/{subscription_id}/rotate-secret", response=WebhookSecretOut,
             summary="Đổi khóa ký (khóa cũ còn ký trong thời gian chuyển tiếp)")
def rotate_secret(request: HttpRequest, subscription_id: int) -> WebhookSecretOut:
    require_operator(request.user)
    sub = services.subscription_get(request.user, subscription_id)
    raw = services.secret_rotate(acting_user=request.user, subscription=sub)
    return WebhookSecretOut(subscription=_sub_out(sub), secret=raw)


@router.post("/subscriptions/{subscription_id}/active", response=WebhookSubscriptionOut,
             summary="Bật hoặc tắt đăng ký")
def set_active(request: HttpRequest, subscription_id: int,
               data: WebhookActiveIn) -> WebhookSubscriptionOut:
    require_operator(request.user)
    sub = services.subscription_get(request.user, subscription_id)
    return _sub_out(services.subscription_set_active(acting_user=request.user,
                                                     subscription=sub, active=data.active))


@router.post("/subscriptions/{subscription_id}/replay", response=dict[str, int],
             summary="Gửi lại mọi sự kiện từ một thời điểm")
def replay_since(request: HttpRequest, subscription_id: int,
                 data: WebhookReplaySinceIn) -> dict[str, int]:
    require_operator(request.user)
    sub = services.subscription_get(request.user, subscription_id)
    count = services.deliveries_replay_since(acting_user=request.user, subscription=sub,
                                             since=_since(data.since))
    return {"pending": count}


@router.get("/deliveries", response=list[WebhookDeliveryOut], summary="Nhật ký chuyển sự kiện")
def list_deliveries(request: HttpRequest,
                    q: Query[WebhookDeliveryQuery]) -> list[WebhookDeliveryOut]:
    require_operator(request.user)
    return [_delivery_out(d) for d in selectors.deliveries(
        request.user, subscription_id=q.subscription_id,
        status=q.status.value if q.status else None, limit=q.limit)]


@router.post("/deliveries/{delivery_id}/replay", response=WebhookDeliveryOut,
             summary="Gửi lại một sự kiện")
def replay(request: HttpRequest, delivery_id: int) -> WebhookDeliveryOut:
    require_operator(request.user)
    d = services.delivery_replay(acting_user=request.user,
                                 delivery=services.delivery_get(request.user, delivery_id))
    return _delivery_out(d)
