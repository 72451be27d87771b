"""/api/v1/notifications: the signed-in user's messages and their channel preferences.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import StrictBool

from tinhso.core.api_schema import ErrorOut
from tinhso.notifications import alerts, selectors, services
from tinhso.notifications.models import AlertKind

router = Router(tags=["notifications"])


_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class InboxNotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    dossier_code: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_dossier_code(obj: Any) -> str | None:
        return obj.dossier.code if obj.dossier_id else None


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    in_app: bool
    email: bool
    sms: bool
    language: str


class PreferenceIn(Schema):
    # Strict: 0 and "yes" are refused, as the schema says (a boolean or null).
    in_app: StrictBool | None = None
    email: StrictBool | None = None
    sms: StrictBool | None = None
    # The schema lists the languages; the service answers LANGUAGE_INVALID for others.
    language: str | None = Field(default=None, max_length=5,
                                 json_schema_extra={"enum": ["vi", "en"]})


@router.get("", response={200: list[InboxNotificationOut], 401: ErrorOut},
            summary="Thông báo của tôi")
@paginate(LimitOffsetPagination)
def notification_list(request: HttpRequest, unread: bool = False) -> Any:
    return selectors.inbox(request.user, unread_only=unread).select_related("dossier")


@router.get("/unread-count", response={200: UnreadOut, 401: ErrorOut},
            summary="Số thông báo chưa đọc")
def notification_unread_count(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(request.user)}


@router.post("/{notification_id}/read", response={200: InboxNotificationOut, **_ERRORS},
             summary="Đánh dấu đã đọc")
def notification_read(request: HttpRequest, notification_id: int) -> Any:
    return services.notification_mark_read(acting_user=request.user,
                                           notification_id=notification_id)


@router.post("/read-all", response={200: MarkedOut, 401: ErrorOut},
             summary="Đánh dấu tất cả đã đọc")
def notification_read_all(request: HttpRequest) -> Any:
    return {"marked": services.notification_mark_all_read(acting_user=request.user)}


@router.get("/preferences", response={200: PreferenceOut, 401: ErrorOut},
            summary="Kênh nhận thông báo")
def preference_get(request: HttpRequest) -> Any:
    return services.preference_for(request.user)


@router.put("/preferences", response={200: PreferenceOut, **_ERRORS},
            summary="Chọn kênh nhận thông báo")
def preference_put(request: HttpRequest, body: PreferenceIn) -> Any:
    _require_json_object(request)
    return services.preference_update(acting_user=request.user, **body.dict())


class AlertSubscriptionOut(Schema):
    kinds: list[str]
    available: list[str]


class AlertSubscriptionIn(Schema):
    kinds: list[str] = Field(max_length=len(AlertKind.values), json_schema_extra={
        "items": {"type": "string", "enum": list(AlertKind.values)}})


def _subscription(user: Any) -> dict[str, Any]:
    return {"kinds": alerts.subscribed_kinds(user),
            "available": list(AlertKind.values) if alerts.may_subscribe(user) else []}


@router.get("/alerts", response={200: AlertSubscriptionOut, 401: ErrorOut},
            summary="Cảnh báo IOC tôi đăng ký nhận")
def alert_subscription_get(request: HttpRequest) -> Any:
    return _subscription(request.user)


@router.put("/alerts", response={200: AlertSubscriptionOut, 403: ErrorOut, **_ERRORS},
            summary="Đăng ký cảnh báo IOC (lãnh đạo, quản trị tỉnh)")
def alert_subscription_put(request: HttpRequest, body: AlertSubscriptionIn) -> Any:
    alerts.alert_subscription_update(acting_user=request.user, kinds=body.kinds)
    return _subscription(request.user)


def _require_json_object(request: HttpRequest) -> None:
    """ninja lets a JSON array (``[null, null]``) through as a model of optional fields: the
    preferences must be an object, anything else is refused."""
    import json

    from tinhso.core.errors import ValidationFailed

    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed("INVALID_BODY", "Nội dung gửi lên phải là một đối tượng JSON.",
                               "The request body must be a JSON object.", {})
