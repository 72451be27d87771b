"""``tinhso lgsp …``: the LGSP registry and its verifiable message log from the shell.

- ``add-member VN/GOV/000.00.00.H10 --name "…"`` / ``add-subsystem VN/GOV/000.00.00.H10/MOTCUA``
- ``add-service VN/GOV/…/MOTCUA/dossiers --url https://… [--openapi FILE] [--timeout S]``
- ``grant CLIENT SERVICE [--method GET] [--path /dossiers/*]`` / ``revoke CLIENT SERVICE [...]``
- ``issue-token CLIENT [--days N]`` (printed once) / ``issue-certificate CLIENT --out PREFIX``
- ``list``: members, subsystems, services and rights
- ``register-own``: tinhso's own APIs as services of the province's subsystem
- ``sign-head [--every N]``: sign and time-stamp the current tree head (once, or every N s)
- ``verify-log [--trust-root FILE]``: check the whole stored log; exit status 1 on any problem
- ``archive --before YYYY-MM-DD --out DIR``: export a closed period with its signed heads
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = "LGSP: registry (members, services, rights, credentials) and the verifiable log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("add-member", help="add a member INSTANCE/CLASS/CODE")
        p.add_argument("member")
        p.add_argument("--name", required=True)
        p.add_argument("--agency", default=None, help="agency code (optional)")
        p = sub.add_parser("add-subsystem", help="add a subsystem INSTANCE/CLASS/CODE/SUB")
        p.add_argument("subsystem")
        p.add_argument("--name", default="")
        p.add_argument("--rate", default="", help="requests per window, e.g. 600/m")
        p = sub.add_parser("add-service", help="add a service …/SUB/SERVICE with its URL")
        p.add_argument("service")
        p.add_argument("--url", required=True)
        p.add_argument("--openapi", default=None, metavar="FILE")
        p.add_argument("--timeout", type=int, default=30)
        p.add_argument("--provider-authorization-file", default=None, metavar="FILE",
                       help="an Authorization value the provider expects (stored encrypted)")
        for name in ("grant", "revoke"):
            p = sub.add_parser(name, help=f"{name} a client's access to a service")
            p.add_argument("client")
            p.add_argument("service")
            p.add_argument("--method", default=None)
            p.add_argument("--path", default=None)
        p = sub.add_parser("issue-token", help="a bearer token for a client subsystem")
        p.add_argument("client")
        p.add_argument("--days", type=int, default=None)
        p = sub.add_parser("issue-certificate", help="a TLS client certificate (province CA)")
        p.add_argument("client")
        p.add_argument("--out", required=True, metavar="PREFIX",
                       help="writes PREFIX.crt.pem and PREFIX.key.pem")
        p.add_argument("--days", type=int, default=730)
        sub.add_parser("list", help="the registry")
        p = sub.add_parser("register-own", help="register tinhso's own APIs as services")
        p.add_argument("--subsystem", required=True,
                       help="the province's subsystem, e.g. VN/GOV/000.00.00.H10/TINHSO")
        p.add_argument("--base-url", default=None, help="default: TINHSO_PUBLIC_URL")
        p.add_argument("--token-file", default=None, metavar="FILE",
                       help="an API token of a tinhso service account, sent as the provider "
                            "credential (stored encrypted)")
        p = sub.add_parser("sign-head", help="sign and time-stamp the current tree head")
        p.add_argument("--every", type=float, default=0, metavar="SECONDS")
        p = sub.add_parser("verify-log", help="check the whole stored log against its heads")
        p.add_argument("--trust-root", default=None, metavar="FILE",
                       help="PEM of the CA that must have issued the log's key")
        p = sub.add_parser("archive", help="export leaves before a day with their signed heads")
        p.add_argument("--before", required=True, metavar="YYYY-MM-DD")
        p.add_argument("--out", default=None, metavar="DIR")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en}") from None

    def _add_member(self, *, member: str, name: str, agency: str | None, **_: Any) -> None:
        from tinhso.lgsp import services

        parts = member.split("/")
        if len(parts) != 3:
            raise CommandError("a member is INSTANCE/CLASS/CODE")
        agency_obj = None
        if agency:
            from tinhso.units.models import Agency

            agency_obj = Agency.objects.filter(code=agency).first()
            if agency_obj is None:
                raise CommandError(f"no agency {agency}")
        m = services.member_add(acting_user=None, instance=parts[0], member_class=parts[1],
                                member_code=parts[2], name=name, agency=agency_obj)
        self.stdout.write(f"member {m.identifier}")

    def _add_subsystem(self, *, subsystem: str, name: str, rate: str, **_: Any) -> None:
        from tinhso.lgsp import services

        member_id, _sep, code = subsystem.rpartition("/")
        s = services.subsystem_add(acting_user=None, member=services.member_get(member_id),
                                   code=code, name=name, rate_limit=rate)
        self.stdout.write(f"subsystem {s.identifier}")

    def _add_service(self, *, service: str, url: str, openapi: str | None, timeout: int,
                     provider_authorization_file: str | None, **_: Any) -> None:
        from tinhso.lgsp import services

        sub_id, _sep, code = service.rpartition("/")
        document = Path(openapi).read_text(encoding="utf-8") if openapi else ""
        auth = (Path(provider_authorization_file).read_text().strip()
                if provider_authorization_file else "")
        s = services.service_add(acting_user=None, subsystem=services.subsystem_get(sub_id),
                                 code=code, url=url, openapi=document, timeout_seconds=timeout,
                                 provider_authorization=auth)
        self.stdout.write(f"service {s.identifier} -> {s.url}")

    def _grant(self, *, client: str, service: str, method: str | None, path: str | None,
               **_: Any) -> None:
        from tinhso.lgsp import services

        right = services.access_grant(acting_user=None, client=services.subsystem_get(client),
                                      service=services.service_get(service),
                                      method=method or "*", path=path or "**")
        self.stdout.write(f"granted {right}")

    def _revoke(self, *, client: str, service: str, method: str | None, path: str | None,
                **_: Any) -> None:
        from tinhso.lgsp import services

        count = services.access_revoke(acting_user=None, client=services.subsystem_get(client),
                                       service=services.service_get(service), method=method,
                                       path=path)
        self.stdout.write(f"revoked {count} right(s)")

    def _issue_token(self, *, client: str, days: int | None, **_: Any) -> None:
        from tinhso.lgsp import services

        issued = services.token_issue(acting_user=None, subsystem=services.subsystem_get(client),
                                      days=days)
        self.stdout.write(issued.raw)

    def _issue_certificate(self, *, client: str, out: str, days: int, **_: Any) -> None:
        from tinhso.lgsp import services

        issued = services.certificate_issue(acting_user=None,
                                            subsystem=services.subsystem_get(client), days=days)
        Path(f"{out}.crt.pem").write_text(issued.certificate_pem)
        key_path = Path(f"{out}.key.pem")
        key_path.touch(mode=0o600)
        key_path.write_text(issued.key_pem)
        self.stdout.write(f"certificate {issued.binding.certificate.serial} -> {out}.crt.pem, "
                          f"{out}.key.pem")

    def _list(self, **_: Any) -> None:
        from tinhso.lgsp.models import AccessRight, Member, Service

        for m in Member.objects.prefetch_related("subsystems"):
            self.stdout.write(f"{m.identifier}  {m.name}")
            for s in m.subsystems.all():
                self.stdout.write(f"  {s.identifier}")
        for svc in Service.objects.select_related("subsystem__member"):
            state = "" if svc.is_enabled else " (disabled)"
            self.stdout.write(f"service {svc.identifier} -> {svc.url}{state}")
        for r in AccessRight.objects.select_related("client__member",
                                                    "service__subsystem__member"):
            self.stdout.write(f"right {r}")

    def _register_own(self, *, subsystem: str, base_url: str | None, token_file: str | None,
                      **_: Any) -> None:
        from tinhso.lgsp import own

        token = Path(token_file).read_text().strip() if token_file else ""
        for service in own.register_own(subsystem=subsystem, base_url=base_url, token=token):
            self.stdout.write(f"service {service.identifier} -> {service.url}")

    def _sign_head(self, *, every: float, **_: Any) -> None:
        from tinhso.lgsp import messagelog

        while True:
            sth = messagelog.sth_publish()
            if sth is not None:
                self.stdout.write(f"signed head: size {sth.tree_size}, "
                                  f"root {bytes(sth.root_hash).hex()}")
            if every <= 0:
                return
            time.sleep(every)

    def _verify_log(self, *, trust_root: str | None, **_: Any) -> None:
        from tinhso.lgsp.verify import verify_log

        root = Path(trust_root).read_text() if trust_root else None
        report = verify_log(trust_root=root)
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(f"the log does not verify: {len(report.problems)} problem(s)")
        self.stdout.write(f"log verified: {report.leaves} leaves, {report.heads} signed heads")

    def _archive(self, *, before: str, out: str | None, **_: Any) -> None:
        import datetime as dt

        from tinhso.lgsp import archive

        day = dt.date.fromisoformat(before)
        result = archive.archive_before(day=day, out_dir=out)
        if result is None:
            self.stdout.write("nothing to archive")
        else:
            self.stdout.write(f"archived leaves [{result.first_index}, {result.end_index}) "
                              f"-> {result.path} (sha256 {result.sha256})")
