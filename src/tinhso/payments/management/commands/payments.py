"""``tinhso payments …``: the finance office's gateway chores.

- ``tinhso payments resolve-pending``: ask VNPAY (``querydr``) about every attempt still pending
  past its expiry plus TINHSO_VNPAY_QUERY_GRACE_MINUTES; confirm or fail each by the answer.
- ``tinhso payments refund TXN_REF --reason "…" [--amount N] --by USERNAME``: refund through
  VNPAY money taken for an unusable payment or a dossier closed without a result.
- ``tinhso payments refund-retry REFUND_ID``: send a pending refund again (same request id).
- ``tinhso payments issue-receipts [--since DAY] [--limit N]``: e-receipts of settled payments
  that have none yet (catch-up).
- ``tinhso payments import-statement FILE --account ACC --by USERNAME``: reconcile a bank
  statement (CSV or .xlsx) against the VietQR transfer notes, with a progress bar.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = ("VNPAY transaction query and refund, bank statement reconciliation "
            "(resolve-pending, refund, refund-retry, import-statement).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        resolve = sub.add_parser("resolve-pending", help="querydr the expired pending attempts")
        resolve.add_argument("--limit", type=int, default=200)
        refund = sub.add_parser("refund", help="refund a successful attempt through VNPAY")
        refund.add_argument("txn_ref")
        refund.add_argument("--reason", required=True)
        refund.add_argument("--amount", type=int, default=None)
        refund.add_argument("--by", required=True, metavar="USERNAME",
                            help="the official who orders the refund (receiver or leader)")
        retry = sub.add_parser("refund-retry", help="send a pending refund again")
        retry.add_argument("refund_id", type=int)
        issue = sub.add_parser("issue-receipts",
                               help="issue the e-receipt of settled payments that have none")
        issue.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                           help="only payments settled from that day (default: all)")
        issue.add_argument("--limit", type=int, default=500)
        statement = sub.add_parser("import-statement",
                                   help="reconcile a bank statement (CSV or .xlsx)")
        statement.add_argument("file")
        statement.add_argument("--account", required=True, help="the receiving account number")
        statement.add_argument("--by", required=True, metavar="USERNAME",
                               help="the official who imports it")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        from tinhso.payments import gateway

        try:
            if action == "resolve-pending":
                summary = gateway.payments_resolve_pending(limit=options["limit"])
                self.stdout.write(
                    f"queried {summary.queried}: {summary.succeeded} paid, {summary.failed} "
                    f"failed, {summary.still_pending} still pending, {len(summary.errors)} "
                    "errors")
                for line in summary.errors:
                    self.stderr.write(line)
                if summary.errors:
                    raise CommandError("some attempts could not be queried")
            elif action == "issue-receipts":
                self._issue_receipts(options)
            elif action == "import-statement":
                self._import(options)
            elif action == "refund":
                self._report(gateway.payment_refund(
                    acting_user=_user(options["by"]), attempt=_attempt(options["txn_ref"]),
                    reason=options["reason"], amount=options["amount"]))
            else:
                from tinhso.payments.models import Refund

                refund = Refund.objects.filter(pk=options["refund_id"]).first()
                if refund is None:
                    raise CommandError(f"no refund {options['refund_id']}")
                self._report(gateway.payment_refund_send(refund=refund))
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc

    def _issue_receipts(self, options: dict[str, Any]) -> None:
        import datetime as dt

        from tinhso.payments import receipts

        since = None
        if options["since"]:
            try:
                day = dt.date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError("--since takes YYYY-MM-DD") from exc
            since = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        count = receipts.receipts_issue_missing(limit=options["limit"], since=since)
        self.stdout.write(f"issued {count} receipts")

    def _import(self, options: dict[str, Any]) -> None:
        from pathlib import Path

        from tqdm import tqdm

        from tinhso.payments import reconcile

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        with tqdm(unit=" dòng", disable=None, file=self.stderr._out) as bar:
            summary = reconcile.statement_import(
                acting_user=_user(options["by"]), content=path.read_bytes(), file_name=path.name,
                account=options["account"], progress=lambda n: bar.update(n - bar.n))
        counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
        self.stdout.write(f"statement {summary.statement_id}: {summary.read} credits, "
                          f"{summary.new} new ({counts or 'none'}), {summary.skipped} "
                          "already imported")

    def _report(self, refund: Any) -> None:
        self.stdout.write(f"refund {refund.pk} of {refund.amount} VND: {refund.status} "
                          f"({refund.response_code} {refund.message})")
        if refund.status == "failed":
            raise CommandError("the gateway refused the refund")


def _user(username: str) -> Any:
    from tinhso.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    return user


def _attempt(txn_ref: str) -> Any:
    from tinhso.payments.models import PaymentAttempt

    attempt = PaymentAttempt.objects.filter(txn_ref=txn_ref).first()
    if attempt is None:
        raise CommandError(f"no payment attempt {txn_ref!r}")
    return attempt
