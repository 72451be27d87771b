"""One tinhso installation's side of the LGSP push test, callable in this process (installation
A, the test database) or inside a second installation's process (B, its own database) through
``tinhso shell -c``. Each function prints nothing and returns plain data; ``run_in`` runs one
in the other installation and returns its JSON result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

INSTANCE = "VN/GOV"
SUBSYSTEM = "TINHSO"


def subsystem_id(agency_code: str) -> str:
    return f"{INSTANCE}/{agency_code}/{SUBSYSTEM}"


def receive_url(base_url: str, agency_code: str) -> str:
    """The receiving installation's ``edxml`` service behind its LGSP gateway."""
    return f"{base_url}/lgsp/r1/{subsystem_id(agency_code)}/edxml/receive"


def prepare(*, code: str, name: str, abbr: str, base_url: str, peer_code: str,
            with_pki: bool) -> dict[str, Any]:
    """An agency with its officials, a service account allowed to receive pushes, the LGSP
    registry (our subsystem with tinhso's own services, the peer as a client of ``edxml``),
    and the peer's gateway token. Returns the CA certificate and the token for the peer."""
    from django.contrib.auth.models import Permission

    from tests import factories
    from tests.correspondence.conftest import make_side
    from tests.signatures import pkihelpers as h
    from tinhso.accounts.models import ApiToken
    from tinhso.accounts.tokens import generate_token, hash_token
    from tinhso.lgsp import own, services
    from tinhso.signatures.models import CertificateAuthority

    if with_pki:
        h.init_pki()
    side = make_side(code, name, abbr, "VP", kind="department")
    operator = factories.make_official(side.agency, "province_admin")
    h.issue_personal(operator, side.leader)
    account = factories.make_official(side.agency, username=f"lgsp-{abbr.lower()}")
    account.user_permissions.add(Permission.objects.get(
        content_type__app_label="correspondence", codename="add_incomingdocument"))
    raw = generate_token()
    ApiToken.objects.create(user=account, name="lgsp", prefix=raw[:12], key_hash=hash_token(raw))
    me = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                             member_code=code, name=name)
    services.subsystem_add(acting_user=None, member=me, code=SUBSYSTEM)
    peer = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                               member_code=peer_code, name=f"Thành viên {peer_code}")
    client = services.subsystem_add(acting_user=None, member=peer, code=SUBSYSTEM)
    for service in own.register_own(subsystem=subsystem_id(code), base_url=base_url, token=raw):
        if service.code == "edxml":
            services.access_grant(acting_user=None, client=client, service=service)
    # The root is what the peer imports as its anchor; packages carry the issuing CA.
    ca = CertificateAuthority.objects.filter(kind="root").values_list("certificate_pem",
                                                                      flat=True).first()
    return {"ca_pem": ca, "token_for_peer": services.token_issue(acting_user=None,
                                                                 subsystem=client).raw}


def trust(*, pem: str) -> None:
    from tinhso.signatures import services

    services.trust_anchor_import(acting_user=None, pem=pem.encode(), name="Installation peer")


def incoming_state(*, code: str) -> list[dict[str, Any]]:
    from tinhso.correspondence.models import IncomingDocument

    return [{"id": d.pk, "notation": d.notation, "subject": d.subject, "state": d.state,
             "incoming_number": d.incoming_number, "external_ref": d.external_ref,
             "files": [f.sha256 for f in d.files.all()]}
            for d in IncomingDocument.objects.filter(agency__code=code).order_by("id")]


def assign_and_send(*, code: str) -> dict[str, Any]:
    """B's clerk assigns the received document (status "assigned"), then everything waiting
    goes out through TINHSO_EDXML_SEND_URL, as the background job would send it."""
    from tinhso.accounts.models import RoleAssignment
    from tinhso.correspondence import services_in as inc
    from tinhso.correspondence.models import IncomingDocument, OrgUnit
    from tinhso.correspondence.transport import send_pending_messages

    doc = IncomingDocument.objects.get(agency__code=code)
    clerk = RoleAssignment.objects.filter(user__agency__code=code, role="clerk").first().user
    inc.incoming_assign(acting_user=clerk, incoming=doc,
                        unit=OrgUnit.objects.filter(agency=doc.agency).first(),
                        working_days=5, note="Giao Văn phòng xử lý")
    return {"sent": send_pending_messages()}


def run_in(env: dict[str, str], function: str, **kwargs: Any) -> Any:
    """Call ``function(**kwargs)`` of this module inside the installation of ``env``."""
    code = (f"import json; from tests.correspondence import installation as i; "
            f"print('RESULT=' + json.dumps(i.{function}(**json.loads({json.dumps(kwargs)!r})),"
            f" ensure_ascii=False))")
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    done = subprocess.run([tinhso, "shell", "-c", code], env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=300, cwd=str(Path(__file__).parents[2]))
    assert done.returncode == 0, done.stderr[-4000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT=")][-1]
    return json.loads(line[len("RESULT="):])


def environment(*, database_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    root = str(Path(__file__).parents[2])
    return {**os.environ, "DATABASE_URL": database_url, "TINHSO_VAR_DIR": var_dir,
            "TINHSO_JOBS_URL": "", "TINHSO_ALERT_SCAN_SECONDS": "0",
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra}
