"""``tinhso pki init|status|import-anchor|publish-crl``: operating the provincial CA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError
from tinhso.signatures import pki, selectors, services
from tinhso.signatures.models import CertificateAuthority


class Command(BaseCommand):
    help = "Hạ tầng khóa công khai của tỉnh: khởi tạo CA, nhập chứng thư gốc, phát hành CRL."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="Create the root CA, the issuing CA and the TSA.")
        init.add_argument("--algorithm", choices=list(pki.ALGORITHMS), default=pki.EC_P256)
        init.add_argument("--organisation", default=None,
                          help="O= of the CA names (default: the province's people's committee)")
        init.add_argument("--if-missing", action="store_true",
                          help="Do nothing (exit 0) when the PKI already exists.")
        anchor = sub.add_parser("import-anchor", help="Trust an external root (PEM or DER).")
        anchor.add_argument("file")
        anchor.add_argument("--name", default="")
        sub.add_parser("publish-crl", help="Sign fresh CRLs for every CA now.")
        sub.add_parser("status", help="Show the CAs and certificate counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc

    def do_init(self, options: dict[str, Any]) -> None:
        if options["if_missing"] and services.root_ca() is not None:
            self.stdout.write("PKI đã có sẵn (already initialised).")
            return
        result = services.pki_init(acting_user=None, algorithm=options["algorithm"],
                                   organisation=options["organisation"])
        for ca in (result.root, result.issuing):
            self.stdout.write(f"{ca.get_kind_display()}: {ca.subject}\n  SHA-256 {ca.fingerprint}")
        self.stdout.write(f"TSA: {result.tsa.subject}")
        self.stdout.write(f"CRL: {services.crl_url('issuing')}  OCSP: {services.ocsp_url()}")

    def do_import_anchor(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} does not exist")
        anchor = services.trust_anchor_import(acting_user=None, pem=path.read_bytes(),
                                              name=options["name"])
        self.stdout.write(f"Đã nhập chứng thư gốc: {anchor.name}\n  SHA-256 {anchor.fingerprint}")

    def do_publish_crl(self, options: dict[str, Any]) -> None:
        for ca in CertificateAuthority.objects.all():
            services.crl_publish(ca=ca)
            self.stdout.write(f"{ca.name}: CRL số {ca.crl_number}")

    def do_status(self, options: dict[str, Any]) -> None:
        for ca in CertificateAuthority.objects.all():
            self.stdout.write(f"{ca.name} ({ca.kind}) {ca.subject} → {ca.not_after:%Y-%m-%d}")
        self.stdout.write(str(selectors.certificate_counts()))
