"""VietQR reconciliation of a generated bank statement whose truth is known.

    .venv/bin/python bench/reconcile.py [--lines 100000]

In a fresh temporary SQLite database (or DATABASE_URL), bulk-creates the dossiers awaiting a fee
that the statement pays, writes a CSV statement in a Vietnamese bank's layout where each line's
truth is known — exact payments, partial, over, a second payment of the same fee, transfers with
no or an unknown payment code — and imports it with ``statement_import`` (each matched line
confirms its payment through ``payment_confirm``). Prints the time, the lines per second, the
count per status against the truth, and false matches (must be 0), beside the same-run baseline:
parsing the same file and a bare ``bulk_create`` of the same lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEE = 50_000
# Share of statement lines by truth (the rest: a transfer naming no payment).
MIX = {"exact": 0.62, "partial": 0.08, "over": 0.05, "second": 0.05, "unknown_code": 0.05}


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_payments(n: int) -> list[int]:
    """n dossiers in status 6, each with one requested payment of FEE (bulk, no services)."""
    from django.utils import timezone
    from tests import factories

    from tinhso.dossiers.models import Dossier, Status
    from tinhso.payments.models import Payment

    unit = factories.make_province()
    agency = factories.make_agency(unit=unit)
    procedure = factories.make_procedure(agencies=[agency], fee=FEE)
    now = timezone.now()
    dossiers = Dossier.objects.bulk_create(
        [Dossier(code=f"B-{i:08d}", procedure=procedure, agency=agency, unit=unit, channel=2,
                 status=Status.PAYMENT_REQUESTED, applicant_kind="citizen",
                 applicant_id_number="079090001234", applicant_name="Nguyễn Văn An",
                 submitted_at=now, received_at=now, due_at=now + dt.timedelta(days=5))
         for i in range(n)], batch_size=5000)
    payments = Payment.objects.bulk_create(
        [Payment(dossier=d, amount=FEE, requested_at=now) for d in dossiers], batch_size=5000)
    return [p.pk for p in payments]


def statement(lines: int, payment_ids: list[int], seed: int) -> tuple[bytes, dict[str, str]]:
    rng = random.Random(seed)
    free = list(payment_ids)
    rng.shuffle(free)
    paid: list[int] = []
    truth: dict[str, str] = {}
    rows = ["Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả"]
    kinds = list(MIX) + ["no_code"]
    weights = list(MIX.values()) + [1 - sum(MIX.values())]
    for i in range(lines):
        kind = rng.choices(kinds, weights)[0]
        if kind == "second" and not paid:
            kind = "exact"
        if kind in ("exact", "partial", "over") and not free:
            kind = "no_code"
        amount, note = FEE, "chuyen tien"
        if kind in ("exact", "partial", "over"):
            pid = free.pop()
            if kind == "exact":
                paid.append(pid)
            amount = {"exact": FEE, "partial": FEE - 1_000, "over": FEE + 10_000}[kind]
            note = f"IBFT NGUYEN VAN AN TS{pid} PHI HO SO-{rng.randrange(10**9)}"
        elif kind == "second":
            note = f"TS{rng.choice(paid)} PHI HO SO"
        elif kind == "unknown_code":
            note = f"TS{10**11 + i} PHI HO SO"
        ref = f"FT{i:010d}"
        truth[ref] = kind
        day = 1 + i % 28
        rows.append(f"{day:02d}/11/2026 {i % 24:02d}:{i % 60:02d}:00,{ref},,"
                    f"\"{amount:,}\",{note}")
    return ("\n".join(rows) + "\n").encode(), truth


EXPECTED = {"exact": "matched", "partial": "partial", "over": "overpaid", "second": "duplicate",
            "unknown_code": "unmatched", "no_code": "unmatched"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from tests import factories

    from tinhso.payments import reconcile, statements
    from tinhso.payments.models import BankStatement, StatementLine

    t0 = time.perf_counter()
    payment_ids = build_payments(int(args.lines * 0.8))
    content, truth = statement(args.lines, payment_ids, args.seed)
    officer = factories.make_official(factories.make_agency(code="000.00.77.H10"),
                                      "province_admin")
    setup_s = time.perf_counter() - t0

    # Baseline 1: parse the same file. Baseline 2: a bare bulk insert of the same lines.
    t0 = time.perf_counter()
    parsed = statements.parse_statement(content, "bench.csv")
    parse_s = time.perf_counter() - t0
    stmt = BankStatement.objects.create(account="BASELINE", file_name="b", sha256="0",
                                        layout="b", imported_by=officer,
                                        imported_at=parsed.credits[0].booked_at)
    t0 = time.perf_counter()
    StatementLine.objects.bulk_create(
        [StatementLine(statement=stmt, account="BASELINE", line_no=c.line_no,
                       bank_ref=c.bank_ref, booked_at=c.booked_at, amount=c.amount,
                       note=c.note, payer=c.payer, status="unmatched")
         for c in parsed.credits], batch_size=2000)
    insert_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    summary = reconcile.statement_import(acting_user=officer, content=content,
                                         file_name="bench.csv", account="0000000000")
    import_s = time.perf_counter() - t0

    got = dict(StatementLine.objects.filter(account="0000000000")
               .values_list("bank_ref", "status"))
    wrong = Counter((truth[ref], status) for ref, status in got.items()
                    if EXPECTED[truth[ref]] != status)
    false_matches = sum(n for (kind, status), n in wrong.items() if status == "matched")
    print(f"reconcile bench: {args.lines} lines, {len(payment_ids)} fees awaiting payment, "
          f"{connection.vendor} (setup {setup_s:.1f} s)")
    print(f"{'step':<34}{'seconds':>9}{'lines/s':>10}{'× baseline':>12}")
    for name, seconds in (("parse the file (baseline)", parse_s),
                          ("bare bulk insert (baseline)", insert_s),
                          ("statement_import (match+confirm)", import_s)):
        print(f"{name:<34}{seconds:>9.1f}{args.lines / seconds:>10.0f}"
              f"{seconds / (parse_s + insert_s):>12.2f}")
    print("truth → status:", dict(sorted(Counter(truth.values()).items())))
    print("imported:", dict(sorted(summary.by_status.items())))
    print(f"lines classified against the truth wrongly: {sum(wrong.values())} {dict(wrong)}")
    print(f"false matches (a payment confirmed by a line that should not): {false_matches}")
    if false_matches or wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
