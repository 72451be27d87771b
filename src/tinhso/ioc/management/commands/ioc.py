"""``tinhso ioc rebuild | verify | scan-alerts | index``: operate the IOC's derived data."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections


class Command(BaseCommand):
    help = (
        "IOC: tính lại (rebuild) và kiểm tra (verify) số liệu tổng hợp từ nhật ký hồ sơ, quét "
        "cảnh báo (scan-alerts), in chỉ số (index). Rebuild/verify the KPI facts, scan alerts, "
        "print the index."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        sub.required = True
        sub.add_parser("rebuild", help="recompute the facts from the dossier event log")
        verify = sub.add_parser("verify", help="check the facts against the event log "
                                               "(exit 1 on any difference)")
        verify.add_argument("--limit", type=int, default=50,
                            help="differences to print at most (default 50)")
        verify.add_argument("--no-drain", action="store_true",
                            help="compare as is, without first delivering the pending outbox "
                                 "events to the facts")
        for name in ("scan-alerts", "scan_alerts"):
            scan = sub.add_parser(name, help="create the due/overdue/indicator notifications")
            scan.add_argument("--every", type=float, default=0, metavar="SECONDS",
                              help="keep running, scanning every SECONDS (Ctrl+C to stop)")
        index = sub.add_parser("index", help="print the 766 index of a scope as JSON")
        index.add_argument("scope")
        index.add_argument("date_from", metavar="FROM")
        index.add_argument("date_to", metavar="TO")
        index.add_argument("--raw", action="store_true",
                           help="compute from the raw tables instead of the facts")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "rebuild":
            self._rebuild()
        elif subcommand == "verify":
            self._verify(options["limit"], drain=not options["no_drain"])
        elif subcommand in ("scan-alerts", "scan_alerts"):
            self._scan_alerts(options["every"])
        elif subcommand == "index":
            from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw

            compute = kpi_from_raw if options["raw"] else kpi_from_facts
            doc = compute(options["scope"], options["date_from"], options["date_to"])
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2))
        else:  # pragma: no cover - argparse rejects unknown subcommands
            raise CommandError(f"unknown subcommand {subcommand!r}")

    def _scan_alerts(self, every: float) -> None:
        from tinhso.ioc import tasks

        def once() -> None:
            report = tasks.scan_alerts()
            self.stdout.write(
                f"Đã tạo {report['total']} thông báo / created {report['total']} notifications "
                f"({', '.join(f'{k}: {v}' for k, v in report.items() if k != 'total')})."
            )

        if every < 0:
            raise CommandError("--every phải là số giây dương / must be a positive number.")
        if not every:
            once()
            return
        self.stdout.write(f"Quét cảnh báo mỗi {every:g} giây (Ctrl+C để dừng) / scanning every "
                          f"{every:g} s (Ctrl+C to stop).")
        try:
            while True:  # a foreground loop; the job consumers run the scan periodically anyway
                try:
                    once()
                except Exception as exc:  # the next round is on time
                    self.stderr.write(f"scan failed: {exc}")
                finally:
                    connections.close_all()
                time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("Đã dừng / stopped.")

    def _rebuild(self) -> None:
        from tinhso.ioc.facts import rebuild

        started = time.perf_counter()

        def progress(count: int) -> None:
            if count % 100_000 == 0:
                self.stderr.write(f"  … {count:,} hồ sơ / dossiers")

        report = rebuild(progress=progress)
        self.stdout.write(
            f"Đã tính lại số liệu của {report.dossiers:,} hồ sơ: {report.daily_rows:,} dòng ngày, "
            f"{report.monthly_rows:,} dòng tháng ({time.perf_counter() - started:.1f} s). "
            f"Rebuilt the facts of {report.dossiers:,} dossiers."
        )

    def _verify(self, limit: int, *, drain: bool = True) -> None:
        from tinhso.ioc.facts import verify

        if drain:
            # The facts lag the events by design: bring them up to date first (what a worker
            # does within seconds), so a difference means a real disagreement.
            from tinhso.outbox.dispatch import run_consumer

            total = 0
            while (n := run_consumer("ioc")) > 0:
                total += n
            if total:
                self.stdout.write(f"Đã cập nhật {total} sự kiện chờ / applied {total} pending "
                                  "events first.")
        started = time.perf_counter()
        differences = verify(limit=limit)
        elapsed = time.perf_counter() - started
        if not differences:
            self.stdout.write(f"Số liệu khớp với nhật ký hồ sơ / facts match the event log "
                              f"({elapsed:.1f} s).")
            return
        for difference in differences:
            self.stdout.write(str(difference))
        more = " (có thể còn nữa / possibly more)" if len(differences) >= limit else ""
        raise CommandError(
            f"{len(differences)} chênh lệch giữa số liệu tổng hợp và nhật ký hồ sơ{more}. "
            f"{len(differences)} differences between the facts and the event log; "
            "run `tinhso ioc rebuild`."
        )
