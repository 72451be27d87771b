"""``tinhso csc-sandbox enrol|list``: subscribers of the local CSC sandbox (development only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError
from tinhso.signatures import conf, csc_sandbox, pki
from tinhso.signatures.models import CscSandboxBehaviour, CscSandboxCredential


class Command(BaseCommand):
    help = (f"{csc_sandbox.NAME}: enrol a holder (a key in the sandbox, a SIM certificate from "
            "the province's CA) or list the credentials. Needs TINHSO_CSC_SANDBOX=true.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        enrol = sub.add_parser("enrol", help="A new credential and its certificate.")
        enrol.add_argument("--holder", required=True, help="username of the holder")
        enrol.add_argument("--operator", required=True,
                           help="username of the CA operator who approves the certificate")
        enrol.add_argument("--credential-id", default="")
        enrol.add_argument("--algorithm", choices=list(pki.ALGORITHMS), default=pki.EC_P256)
        enrol.add_argument("--behaviour", choices=CscSandboxBehaviour.values,
                           default=CscSandboxBehaviour.APPROVE)
        sub.add_parser("list", help="The sandbox's credentials.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for cred in CscSandboxCredential.objects.all():
                self.stdout.write(f"{cred.credential_id}\t{cred.behaviour}\t{cred.description}")
            return
        users = get_user_model().objects
        try:
            holder = users.get(username=options["holder"])
            operator = users.get(username=options["operator"])
        except users.model.DoesNotExist as exc:
            raise CommandError(f"No such user: {exc}") from exc
        try:
            result = csc_sandbox.csc_sandbox_credential_create(
                acting_user=operator, holder_user=holder, credential_id=options["credential_id"],
                algorithm=options["algorithm"], behaviour=options["behaviour"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc
        self.stdout.write(
            f"credentialID: {result.credential.credential_id}\n"
            f"certificate:  {result.certificate.subject} (serial {result.certificate.serial})\n"
            f"service:      {conf.csc_base_url()}/csc/v2/ (backend \"csc\")")
