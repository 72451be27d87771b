"""``tinhso webhooks …``: subscriptions, the delivery log, replay (docs/lgsp.md "Events")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError
from tinhso.webhooks import selectors, services
from tinhso.webhooks.models import Delivery, Subscription


class Command(BaseCommand):
    help = "Webhook subscriptions (Standard Webhooks): add, list, rotate, replay, send."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a subscription (prints its secret once)")
        add.add_argument("url")
        add.add_argument("--types", required=True, help="comma-separated event types")
        add.add_argument("--name", default="")
        add.add_argument("--agency", default="", help="agency code: only its own records")
        sub.add_parser("list", help="subscriptions")
        rot = sub.add_parser("rotate-secret", help="new secret; the old one signs for a while")
        rot.add_argument("subscription", type=int)
        onoff = sub.add_parser("enable", help="switch a subscription back on")
        onoff.add_argument("subscription", type=int)
        off = sub.add_parser("disable", help="switch a subscription off")
        off.add_argument("subscription", type=int)
        log = sub.add_parser("deliveries", help="the delivery log")
        log.add_argument("--subscription", type=int)
        log.add_argument("--status", choices=["pending", "succeeded", "failed"])
        log.add_argument("--limit", type=int, default=50)
        rep = sub.add_parser("replay", help="send deliveries again")
        rep.add_argument("delivery", type=int, nargs="*")
        rep.add_argument("--subscription", type=int)
        rep.add_argument("--since", help="ISO date-time: every event of --subscription since")
        sub.add_parser("send", help="attempt every due delivery now")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en} {exc.details}") from exc

    def _sub(self, pk: int) -> Subscription:
        return services.subscription_get(None, pk)

    def _add(self, o: dict[str, Any]) -> None:
        agency = None
        if o["agency"]:
            agency = selectors.agency_by_code(o["agency"])
            if agency is None:
                raise CommandError(f"no agency with code {o['agency']}")
        created = services.subscription_create(
            acting_user=None, name=o["name"], url=o["url"],
            event_types=[t.strip() for t in o["types"].split(",") if t.strip()], agency=agency)
        self.stdout.write(f"subscription {created.subscription.pk}\nsecret {created.secret}")

    def _list(self, o: dict[str, Any]) -> None:
        for s in Subscription.objects.select_related("agency").order_by("pk"):
            state = "on" if s.is_active else f"off ({s.disabled_reason})"
            scope = s.agency.code if s.agency_id else "*"
            self.stdout.write(f"{s.pk}\t{state}\t{scope}\t{s.url}\t{','.join(s.event_types)}")

    def _rotate_secret(self, o: dict[str, Any]) -> None:
        raw = services.secret_rotate(acting_user=None, subscription=self._sub(o["subscription"]))
        self.stdout.write(f"secret {raw}")

    def _enable(self, o: dict[str, Any]) -> None:
        services.subscription_set_active(acting_user=None,
                                         subscription=self._sub(o["subscription"]), active=True)

    def _disable(self, o: dict[str, Any]) -> None:
        services.subscription_set_active(acting_user=None,
                                         subscription=self._sub(o["subscription"]),
                                         active=False)

    def _deliveries(self, o: dict[str, Any]) -> None:
        qs = Delivery.objects.order_by("-pk")
        if o["subscription"]:
            qs = qs.filter(subscription_id=o["subscription"])
        if o["status"]:
            qs = qs.filter(status=o["status"])
        for d in qs[:o["limit"]]:
            self.stdout.write(f"{d.pk}\t{d.status}\t{d.attempts}\t{d.last_status_code or '-'}\t"
                              f"{d.event_type}\t{d.msg_id}\t→{d.subscription_id}")

    def _replay(self, o: dict[str, Any]) -> None:
        if o["since"]:
            if not o["subscription"]:
                raise CommandError("--since needs --subscription")
            since = dt.datetime.fromisoformat(o["since"])
            if since.tzinfo is None:
                raise CommandError("--since needs a time zone offset, e.g. +07:00")
            n = services.deliveries_replay_since(
                acting_user=None, subscription=self._sub(o["subscription"]), since=since)
            self.stdout.write(f"{n} deliveries pending")
            return
        if not o["delivery"]:
            raise CommandError("name delivery ids, or --subscription N --since TIME")
        for pk in o["delivery"]:
            services.delivery_replay(acting_user=None, delivery=services.delivery_get(None, pk))
        self.stdout.write(f"{len(o['delivery'])} deliveries pending")

    def _send(self, o: dict[str, Any]) -> None:
        self.stdout.write(f"{services.deliveries_send_due()} attempts")
