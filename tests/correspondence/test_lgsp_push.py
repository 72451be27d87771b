"""Two installations exchange a document and its status messages both ways, pushed through each
other's LGSP gateway over real HTTP: installation A is this test's database behind a live
server, installation B is a second ``tinhso serve`` process with its own database, its own CA
and its own registry. Each trusts the other's CA as an imported anchor.

A releases → A's transport pushes to B's gateway → B's ``edxml`` service registers it (once,
even when pushed again) → B's "received" and "assigned" go back through A's gateway → A's
register shows them → A withdraws → B's copy becomes withdrawn."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests.correspondence import installation as inst
from tests.correspondence.conftest import Side, chain_to_issued
from tests.processes import free_port, serving
from tinhso.correspondence import exchange
from tinhso.correspondence.models import ExchangeMessage, OutgoingRecipient
from tinhso.correspondence.transport import send_pending_messages

pytestmark = pytest.mark.slow
A_CODE, B_CODE = "000.00.00.H10", "000.00.12.H10"


def _fresh_database(tmp_path: Path, env: dict[str, str]) -> str:
    """B's own database: a copy of the (migrated, still empty) test database on SQLite, else
    a new SQLite file migrated from scratch (slower)."""
    target = tmp_path / "b.sqlite3"
    if connection.vendor == "sqlite":
        source, copy = sqlite3.connect(connection.settings_dict["NAME"]), sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
    else:
        tinhso = str(Path(sys.executable).with_name("tinhso"))
        subprocess.run([tinhso, "migrate", "-v0"], check=True, timeout=900,  # noqa: S603
                       env={**env, "DATABASE_URL": f"sqlite:///{target}"})
    return f"sqlite:///{target}"


def _status(doc) -> str:
    return OutgoingRecipient.objects.get(document=doc, code=B_CODE).status


def test_two_installations_exchange_a_document_and_its_status_both_ways(
        transactional_db, live_server, tmp_path, settings, monkeypatch):
    from tests import processes

    # A second full installation starting on a loaded 2-core machine can take over 30 s.
    monkeypatch.setattr(processes, "STARTUP_SECONDS", 180)
    b_var = tmp_path / "b"
    b_var.mkdir()
    b_port = free_port()
    b_url = f"http://127.0.0.1:{b_port}"
    b_env = inst.environment(database_url="", var_dir=str(b_var),
                             TINHSO_PUBLIC_URL=b_url)
    b_env["DATABASE_URL"] = _fresh_database(tmp_path, b_env)

    # Each installation: its agency, CA, service account and registry; then mutual trust.
    a = inst.prepare(code=A_CODE, name="Ủy ban nhân dân tỉnh", abbr="UBND",
                     base_url=live_server.url, peer_code=B_CODE, with_pki=True)
    b = inst.run_in(b_env, "prepare", code=B_CODE, name="Sở Tư pháp", abbr="STP",
                    base_url=b_url, peer_code=A_CODE, with_pki=True)
    inst.trust(pem=b["ca_pem"])
    inst.run_in(b_env, "trust", pem=a["ca_pem"])
    (tmp_path / "a-token").write_text(b["token_for_peer"])
    (tmp_path / "b-token").write_text(a["token_for_peer"])

    from tinhso.correspondence.models import OrgUnit
    from tinhso.units.models import Agency

    agency = Agency.objects.get(code=A_CODE)
    unit = OrgUnit.objects.get(agency=agency)
    from tinhso.accounts.models import RoleAssignment

    def official(role):
        return RoleAssignment.objects.get(user__agency=agency, role=role).user
    side = Side(agency, unit, unit.members.exclude(pk=unit.head_id).first(), unit.head,
                official("leader"), official("clerk"))

    with serving([str(Path(sys.executable).with_name("tinhso")), "serve", "--port",
                  str(b_port)], b_env, b_url):
        doc = chain_to_issued(side)
        exchange.outgoing_release(acting_user=side.clerk, document=doc,
                                  external=[(B_CODE, "Sở Tư pháp")])
        settings.TINHSO_EDXML_SEND_URL = inst.receive_url(b_url, B_CODE)
        settings.TINHSO_EDXML_SEND_CLIENT = inst.subsystem_id(A_CODE)
        settings.TINHSO_EDXML_SEND_TOKEN_FILE = str(tmp_path / "a-token")
        assert send_pending_messages() == 1, ExchangeMessage.objects.values("send_error")[0]

        got = inst.run_in(b_env, "incoming_state", code=B_CODE)
        assert len(got) == 1
        assert (got[0]["notation"], got[0]["subject"], got[0]["state"]) == (
            doc.notation, doc.subject, "registered")
        assert got[0]["files"] == [doc.pdf_sha256]

        # Pushed again (a retry after a lost answer): the same registration, nothing new.
        package = exchange.export_package(doc)
        headers = {"X-Road-Client": inst.subsystem_id(A_CODE), "Content-Type":
                   "application/xml", "Authorization": f"Bearer {b['token_for_peer']}"}
        again = httpx.post(inst.receive_url(b_url, B_CODE), content=package, headers=headers,
                           timeout=60)
        assert again.status_code == 200, again.text
        assert again.headers["x-road-service"] == f"{inst.subsystem_id(B_CODE)}/edxml"
        assert again.json()["registered"] == [{"agency": B_CODE, "incoming_id": got[0]["id"],
                                               "incoming_number": got[0]["incoming_number"]}]
        assert len(inst.run_in(b_env, "incoming_state", code=B_CODE)) == 1
        # A changed package is refused by B with the stable code, passed on by the gateway.
        bad = httpx.post(inst.receive_url(b_url, B_CODE), headers=headers, timeout=60,
                         content=package.replace(doc.subject.encode(), b"Noi dung khac", 1))
        assert bad.status_code == 422 and bad.json()["code"] == "EDXML_SIGNATURE_INVALID"
        # Without the gateway's credential nothing reaches B's service.
        anonymous = httpx.post(inst.receive_url(b_url, B_CODE), content=package,
                               headers={"X-Road-Client": inst.subsystem_id(A_CODE),
                                        "Content-Type": "application/xml"}, timeout=60)
        assert anonymous.status_code == 401

        # B's "received" and "assigned" come back through A's gateway.
        b_send = {**b_env, "TINHSO_EDXML_SEND_URL": inst.receive_url(live_server.url, A_CODE),
                  "TINHSO_EDXML_SEND_CLIENT": inst.subsystem_id(B_CODE),
                  "TINHSO_EDXML_SEND_TOKEN_FILE": str(tmp_path / "b-token")}
        assert inst.run_in(b_send, "assign_and_send", code=B_CODE) == {"sent": 2}
        assert _status(doc) == "assigned"

        # A withdraws: the status message travels to B, whose copy is withdrawn.
        exchange.outgoing_withdraw(acting_user=side.clerk, document=doc,
                                   reason="Ban hành nhầm")
        send_pending_messages()  # (in tests the on-commit job may have sent it already)
        assert inst.run_in(b_env, "incoming_state", code=B_CODE)[0]["state"] == "withdrawn"
    sent = ExchangeMessage.objects.filter(agency=agency, direction="out")
    assert sent.count() == 2 and not sent.filter(sent_at__isnull=True).exists()
    assert hashlib.sha256(package).hexdigest() in set(sent.values_list("sha256", flat=True))
