"""``tinhso transfer-dossiers --from CODE``: move the open dossiers of an abolished agency to
its successor (the 2025 reform; docs/units.md, "Dossiers caught at an old desk")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Chuyển hồ sơ đang giải quyết của cơ quan thuộc đơn vị hành chính đã kết thúc hoạt động "
        "sang cơ quan kế nhiệm (giữ mã, hạn, lịch sử). Move an abolished agency's open dossiers "
        "to its successor; idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="from_code", required=True,
                            help="mã cơ quan cũ / the abolished agency's code")
        parser.add_argument("--to", dest="to_code", default=None,
                            help="mã cơ quan nhận (mặc định: cơ quan kế nhiệm duy nhất) / "
                                 "the receiving agency (default: the only successor)")
        parser.add_argument("--by", dest="username", default=None,
                            help="tài khoản quản trị tỉnh ghi vào nhật ký / province admin")
        parser.add_argument("--dry-run", action="store_true",
                            help="chỉ liệt kê, không chuyển / list only")

    def handle(self, *args: Any, from_code: str, to_code: str | None, username: str | None,
               dry_run: bool, **options: Any) -> None:
        from tinhso.accounts.models import User
        from tinhso.dossiers.services.transfer import dossiers_transfer
        from tinhso.units.models import Agency

        def agency(code: str) -> Agency:
            found = Agency.objects.select_related("unit").filter(code=code).first()
            if found is None:
                raise CommandError(f"Không có cơ quan / no agency: {code}")
            return found

        user = None
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"Không có tài khoản / no user: {username}")
        try:
            report = dossiers_transfer(acting_user=user, from_agency=agency(from_code),
                                       to_agency=agency(to_code) if to_code else None,
                                       dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc
        verb = "Sẽ chuyển / would move" if dry_run else "Đã chuyển / moved"
        self.stdout.write(f"{verb} {len(report.moved)} hồ sơ: {report.from_agency} → "
                          f"{report.to_agency}")
        for code, reason in report.skipped:
            self.stdout.write(f"  bỏ qua / skipped {code}: {reason}")
