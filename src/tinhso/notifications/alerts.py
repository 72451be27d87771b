"""Leaders' IOC alerts as subscriptions of the notifications app.

A leader (role ``leader``), an IOC viewer or a province admin chooses which IOC alerts they want
(``AlertKind``); one who never chose gets ``DEFAULT_ALERTS``. The alerts then travel like every
other message: in the inbox, by e-mail and by SMS as the user's channel preferences say, logged
and retried per delivery, at most once per (event, recipient).

Who is told of what:

* ``near_due`` / ``overdue`` dossiers — the subscribed leaders of the dossier's agency (the
  officials holding it are told by ``reminders_send`` whatever they subscribe to);
* ``indicator_low`` — the subscribed leaders of the unit's People's Committee and the
  subscribed province admins and IOC viewers (they watch the whole province);
* ``petition_overdue`` — the subscribed leaders of the petition's agency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from tinhso.core.errors import DomainError, ValidationFailed
from tinhso.notifications.models import DEFAULT_ALERTS, AlertKind, AlertSubscription

# Roles for which an IOC alert means something: they decide, or they watch the province.
SUBSCRIBER_ROLES = ("leader", "province_admin", "ioc_viewer")
PROVINCE_WATCHERS = ("province_admin", "ioc_viewer")


def may_subscribe(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and getattr(user, "is_official", False) and user.has_role(*SUBSCRIBER_ROLES))


def subscribed_kinds(user: Any) -> list[str]:
    """The alerts the user receives now (the defaults when they never chose)."""
    if not may_subscribe(user):
        return []
    row = AlertSubscription.objects.filter(user=user).first()
    if row is None:
        return [str(k) for k in DEFAULT_ALERTS]
    return [k for k in AlertKind.values if k in row.kinds]


@transaction.atomic
def alert_subscription_update(*, acting_user: Any, kinds: Iterable[str]) -> list[str]:
    """Replace the user's subscription; an empty list unsubscribes from every alert."""
    if not may_subscribe(acting_user):
        raise DomainError("ALERTS_NOT_FOR_ROLE",
                          "Chỉ lãnh đạo và quản trị tỉnh đăng ký nhận cảnh báo IOC.",
                          "Only leaders and province admins subscribe to IOC alerts.",
                          status=403)
    chosen = list(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in AlertKind.values]
    if unknown:
        raise ValidationFailed("ALERT_KIND_UNKNOWN", "Loại cảnh báo không tồn tại.",
                               "Unknown alert kind.",
                               {"unknown": unknown, "allowed": list(AlertKind.values)})
    ordered = [k for k in AlertKind.values if k in chosen]
    AlertSubscription.objects.update_or_create(user=acting_user, defaults={"kinds": ordered})
    return ordered


def _subscribed(users: Iterable[Any], kind: str) -> list[Any]:
    users = list(users)
    rows = dict(AlertSubscription.objects.filter(user__in=users)
                .values_list("user_id", "kinds"))
    defaults = {str(k) for k in DEFAULT_ALERTS}
    return [u for u in users if kind in rows.get(u.pk, defaults)]


def leaders_subscribed(kind: str, agency_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Active leaders of each agency who receive ``kind``, by agency id (two queries)."""
    from tinhso.accounts.models import AccountKind, Role, User

    ids = set(agency_ids)
    if not ids:
        return {}
    leaders = (User.objects.filter(agency_id__in=ids, is_active=True, kind=AccountKind.OFFICIAL,
                                   role_assignments__role=Role.LEADER)
               .distinct().order_by("pk"))
    out: dict[int, list[Any]] = defaultdict(list)
    for user in _subscribed(leaders, kind):
        out[user.agency_id].append(user)
    return out


def province_watchers_subscribed(kind: str) -> list[Any]:
    from tinhso.accounts.models import AccountKind, User

    watchers = (User.objects.filter(is_active=True, kind=AccountKind.OFFICIAL,
                                    role_assignments__role__in=PROVINCE_WATCHERS)
                .distinct().order_by("pk"))
    return _subscribed(watchers, kind)


def alert_send(*, kind: str, event_key: str, users: Iterable[Any], context: dict[str, Any],
               link: str, dossier_id: int | None = None) -> int:
    """One message per user and event (the notification's unique key decides); how many new."""
    from tinhso.notifications.services import notification_create, user_recipient

    made = 0
    for user in {u.pk: u for u in users}.values():
        recipient = user_recipient(user)
        made += notification_create(event_key=event_key, kind=kind, recipient=recipient,
                                    context=context, link=link,
                                    dossier_id=dossier_id) is not None
    return made
