"""Benchmark: the cost of the hash-chained audit row (``AuditLog.save`` locks the chain head,
hashes, inserts, moves the head) beside a plain insert of the same row (``bulk_create`` of one
row, which bypasses the chain), each in its own transaction, and ``tinhso audit verify`` per
1,000 rows.

    DATABASE_URL=postgres://…/tinhso_bench .venv/bin/python bench/audit_chain.py [--rows 2000]

Uses the database of DATABASE_URL (migrated if needed); the rows it writes are removed at the
end (the chain head is put back), so run it on a scratch database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, skip_checks=True)
    from tinhso.accounts import auditchain
    from tinhso.accounts.models import AuditChainHead, AuditLog

    head = AuditChainHead.objects.filter(pk=1).first()
    saved_head = (head.seq, head.hash) if head else None
    first_id = (AuditLog._base_manager.order_by("-id").values_list("id", flat=True).first() or 0)
    data = {"username": "can.bo.01", "agency": "000.00.15.H10", "roles": ["receiver"]}

    def one(chained: bool) -> float:
        start = time.perf_counter()
        with transaction.atomic():
            row = AuditLog(action="bench", object_type="user", object_id="1", data=data)
            if chained:
                row.save()
            else:
                AuditLog.objects.bulk_create([row])
        return (time.perf_counter() - start) * 1000

    try:
        plain = [one(False) for _ in range(args.rows)]
        chained = [one(True) for _ in range(args.rows)]
        AuditLog._base_manager.filter(id__gt=first_id, seq__isnull=True).delete()
        start = time.perf_counter()
        report = auditchain.verify()
        verify_ms = (time.perf_counter() - start) * 1000
    finally:
        AuditLog._base_manager.filter(id__gt=first_id).delete()
        if saved_head:
            AuditChainHead.objects.filter(pk=1).update(seq=saved_head[0], hash=saved_head[1])
        else:
            AuditChainHead.objects.filter(pk=1).delete()
    p_med, c_med = statistics.median(plain), statistics.median(chained)
    print(f"database: {connection.vendor}; {args.rows} rows each, one transaction per row")
    print(f"plain insert (baseline): median {p_med:.3f} ms")
    print(f"chained insert:          median {c_med:.3f} ms  (ratio {c_med / p_med:.2f})")
    per_k = verify_ms / max(report.rows, 1) * 1000
    print(f"audit verify: {report.rows} rows in {verify_ms:.0f} ms ({per_k:.0f} ms per 1,000 rows)")


if __name__ == "__main__":
    main()
