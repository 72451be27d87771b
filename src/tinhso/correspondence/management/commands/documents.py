"""``tinhso documents …``: edXML packages as files, between installations without an LGSP.

- ``tinhso documents export-edxml --agency CODE (--document UUID | --notation 12/QĐ-UBND)
  [--year YYYY] -o FILE``: the signed package of a released outgoing document.
- ``tinhso documents export-edxml --agency CODE --pending DIR``: every package and status
  message of the agency still waiting for transport, one file each (marked sent).
- ``tinhso documents import-edxml FILE… [--agency CODE]``: a document package (registered as
  incoming, once) or a status message (updates the sender's register); a refused file prints
  its code and exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = "edXML exchange of official documents as files (export-edxml, import-edxml)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export-edxml", help="write a released document's edXML package")
        exp.add_argument("--agency", required=True, help="the sending agency's code")
        exp.add_argument("--document", help="the document's uuid (edXML DocumentId)")
        exp.add_argument("--notation", help="or its number and notation, e.g. 12/QĐ-UBND")
        exp.add_argument("--year", type=int, default=None)
        exp.add_argument("-o", "--output", help="file to write")
        exp.add_argument("--pending", metavar="DIR",
                         help="write every message waiting for transport into DIR")
        sub.add_parser("send-pending", help="POST every waiting message to "
                       "TINHSO_EDXML_SEND_URL now (what the background job does)")
        imp = sub.add_parser("import-edxml", help="import edXML packages or status messages")
        imp.add_argument("files", nargs="+")
        imp.add_argument("--agency", default=None,
                         help="register only in this agency (default: every addressed one)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "export-edxml":
                self._export(**options)
            elif action == "send-pending":
                self._send_pending()
            else:
                self._import(options["files"], options["agency"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} ({exc.message_en})",
                               returncode=2) from None

    def _send_pending(self) -> None:
        from tinhso.correspondence.models import Direction, ExchangeMessage
        from tinhso.correspondence.transport import send_pending_messages

        sent = send_pending_messages()
        left = ExchangeMessage.objects.filter(direction=Direction.OUT, sent_at__isnull=True
                                              ).exclude(to_code="-").count()
        self.stdout.write(f"{sent} message(s) sent, {left} waiting")
        if left and not sent:
            raise CommandError("nothing could be sent (see the messages' send_error)")

    def _agency(self, code: str) -> Any:
        from tinhso.units.models import Agency

        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise CommandError(f"no agency with code {code}")
        return agency

    def _export(self, *, agency: str, document: str | None, notation: str | None,
                year: int | None, output: str | None, pending: str | None,
                **_: Any) -> None:
        from tinhso.correspondence import exchange
        from tinhso.correspondence.models import Direction, ExchangeMessage, OutgoingDocument

        sender = self._agency(agency)
        if pending:
            target = Path(pending)
            target.mkdir(parents=True, exist_ok=True)
            rows = ExchangeMessage.objects.filter(agency=sender, direction=Direction.OUT,
                                                  sent_at__isnull=True).exclude(to_code="-")
            count = 0
            for row in rows.order_by("id"):
                name = f"{row.kind}-{row.document_id}-{row.status_code or 'doc'}-{row.pk}.xml"
                (target / name).write_bytes(exchange.message_bytes(row))
                row.sent_at = timezone.now()
                row.save(update_fields=["sent_at"])
                count += 1
            self.stdout.write(f"{count} message(s) written to {target}")
            return
        qs = OutgoingDocument.objects.filter(agency=sender)
        if document:
            qs = qs.filter(uuid=document)
        elif notation:
            qs = qs.filter(notation=notation, year=year or timezone.localdate().year)
        else:
            raise CommandError("give --document UUID or --notation N/ABC-XYZ (or --pending)")
        doc = qs.first()
        if doc is None or not output:
            raise CommandError("no such released document" if doc is None else "give -o FILE")
        data = exchange.export_package(doc)
        Path(output).write_bytes(data)
        self.stdout.write(f"{doc.notation}: {len(data)} bytes written to {output}")

    def _import(self, files: list[str], agency: str | None) -> None:
        from tinhso.correspondence import exchange

        target = self._agency(agency) if agency else None
        for name in files:
            result = exchange.import_any(data=Path(name).read_bytes(), agency=target)
            if isinstance(result, list):
                for doc in result:
                    self.stdout.write(f"{name}: {doc.agency.code} số đến {doc.incoming_number}"
                                      f"/{doc.year} — {doc.notation}")
            else:
                self.stdout.write(f"{name}: status applied")
