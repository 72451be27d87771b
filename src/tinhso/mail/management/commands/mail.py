"""``tinhso mail fetch [--mailbox ADDRESS]`` / ``tinhso mail watch --mailbox ADDRESS`` (IMAP
IDLE) / ``tinhso mail seed-addresses``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Thư công vụ: nhận thư (IMAP), nạp danh bạ. Official mail: fetch, seed the book."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fetch = sub.add_parser("fetch", help="fetch new messages of every active mailbox")
        fetch.add_argument("--mailbox", default="", help="only this address")
        watch = sub.add_parser("watch", help="fetch, then IMAP IDLE and fetch on each change "
                               "(polling when the server has no IDLE); runs until stopped")
        watch.add_argument("--mailbox", required=True, help="the mailbox's address")
        sub.add_parser("seed-addresses", help="official addresses of agencies and officials")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "fetch":
            from tinhso.mail.imap import mailbox_fetch
            from tinhso.mail.models import Mailbox

            boxes = Mailbox.objects.filter(is_active=True).order_by("pk")
            if options["mailbox"]:
                boxes = boxes.filter(address=options["mailbox"])
            failed = 0
            for box in boxes:
                result = mailbox_fetch(mailbox=box)
                self.stdout.write(f"{result.mailbox}: {result.stored} thư mới / new, "
                                  f"{result.duplicates} trùng / duplicates"
                                  + (f" — LỖI / ERROR {result.error}" if result.error else ""))
                failed += bool(result.error)
            if failed:
                raise CommandError(f"{failed} hộp thư lỗi / mailbox(es) failed")
        elif action == "watch":
            from tinhso.mail.idle import watch
            from tinhso.mail.models import Mailbox

            watched = Mailbox.objects.filter(is_active=True, address=options["mailbox"]).first()
            if watched is None:
                raise CommandError(f"no active mailbox {options['mailbox']}")
            watch(watched)
        elif action == "seed-addresses":
            from tinhso.mail.services import address_book_seed

            self.stdout.write(f"Đã thêm {address_book_seed()} địa chỉ / addresses added.")
