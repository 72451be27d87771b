"""``tinhso jobs failed | retry ID``: the jobs that failed for good, and running one again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = "Tác vụ nền lỗi: liệt kê (failed), chạy lại (retry ID). Failed background jobs."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        sub.required = True
        failed = sub.add_parser("failed", help="list the failed jobs, newest first")
        failed.add_argument("--all", action="store_true", help="also those already retried")
        failed.add_argument("--limit", type=int, default=50)
        failed.add_argument("--traceback", action="store_true", help="print the tracebacks")
        retry = sub.add_parser("retry", help="queue a failed job again")
        retry.add_argument("ids", type=int, nargs="+", metavar="ID")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        from tinhso.jobs.models import JobFailure

        if subcommand == "failed":
            qs = JobFailure.objects.all()
            if not options["all"]:
                qs = qs.filter(retried_at__isnull=True)
            rows = list(qs[: options["limit"]])
            if not rows:
                self.stdout.write("Không có tác vụ lỗi / no failed jobs.")
            for f in rows:
                retried = f" (đã chạy lại / retried {f.retried_at:%Y-%m-%d %H:%M})" \
                    if f.retried_at else ""
                self.stdout.write(f"#{f.pk} {f.failed_at:%Y-%m-%d %H:%M:%S} {f.task_name} "
                                  f"args={f.args} kwargs={f.kwargs} attempts={f.attempts}"
                                  f"{retried}\n    {f.error}")
                if options["traceback"] and f.traceback:
                    self.stdout.write(f.traceback)
            return
        from tinhso.jobs.services import job_retry

        failed = False
        for failure_id in options["ids"]:
            try:
                f = job_retry(acting_user=None, failure_id=failure_id)
            except DomainError as exc:
                self.stderr.write(f"#{failure_id}: {exc.message_vi} / {exc.message_en}")
                failed = True
                continue
            self.stdout.write(f"#{f.pk} {f.task_name}: đã đưa vào hàng đợi / queued again.")
        if failed:
            raise CommandError("Một số tác vụ không chạy lại được / some jobs were not retried.")
