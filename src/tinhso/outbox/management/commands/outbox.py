"""``tinhso outbox status | drain``: how far behind each consumer is; deliver everything now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = ("Sự kiện miền (outbox): trạng thái bên nhận (status), xử lý ngay (drain). "
            "Outbox consumers' lag; deliver now.")

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        sub.required = True
        sub.add_parser("status", help="each consumer's position, backlog, lag and last error")
        drain = sub.add_parser("drain", help="deliver every pending event now, in this process")
        drain.add_argument("--consumer", default=None, help="only this consumer")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        from tinhso.outbox.selectors import backlogs

        if subcommand == "drain":
            from tinhso.outbox.dispatch import run_consumer
            from tinhso.outbox.registry import consumer_names

            names = [options["consumer"]] if options["consumer"] else consumer_names()
            for name in names:
                total = 0
                while (n := run_consumer(name)) > 0:
                    total += n
                self.stdout.write(f"{name}: {total} sự kiện / events delivered")
        now = timezone.now()
        stuck = False
        for b in backlogs():
            lag = (now - b.oldest_pending_at).total_seconds() if b.oldest_pending_at else 0.0
            self.stdout.write(f"{b.name}: vị trí / position {b.position}, đã xử lý / delivered "
                              f"{b.delivered}, chờ / pending {b.pending}, trễ / lag {lag:.1f} s")
            if b.failures:
                stuck = True
                self.stdout.write(f"  LỖI / FAILING on event {b.failing_event_id} "
                                  f"({b.failures}×): {b.last_error.strip().splitlines()[-1:]}")
        if stuck and subcommand == "drain":
            raise CommandError("Có bên nhận đang lỗi / a consumer is failing.")
