"""``tinhso lgsp …`` from the shell, and the periodic tree-head signer."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from tests.signatures.pkihelpers import init_pki
from tinhso.lgsp import tasks
from tinhso.lgsp.models import AccessRight, ClientToken, Service, SignedTreeHead


def run(*args: str, capsys) -> str:  # type: ignore[no-untyped-def]
    call_command("lgsp", *args)
    return capsys.readouterr().out


def test_registry_from_the_shell(db, capsys, tmp_path) -> None:
    init_pki()
    run("add-member", "VN/GOV/000.00.00.H10", "--name", "UBND tỉnh Bình Phước", capsys=capsys)
    run("add-subsystem", "VN/GOV/000.00.00.H10/MOTCUA", capsys=capsys)
    run("add-subsystem", "VN/GOV/000.00.00.H10/TINHSO", capsys=capsys)
    doc = tmp_path / "api.json"
    doc.write_text(json.dumps({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}))
    out = run("add-service", "VN/GOV/000.00.00.H10/TINHSO/demo", "--url",
              "http://127.0.0.1:9/api", "--openapi", str(doc), capsys=capsys)
    assert "-> http://127.0.0.1:9/api" in out
    run("grant", "VN/GOV/000.00.00.H10/MOTCUA", "VN/GOV/000.00.00.H10/TINHSO/demo",
        "--method", "GET", "--path", "/a", capsys=capsys)
    token = run("issue-token", "VN/GOV/000.00.00.H10/MOTCUA", capsys=capsys).strip()
    assert token.startswith("lgsp_") and ClientToken.objects.get().prefix == token[:12]
    run("issue-certificate", "VN/GOV/000.00.00.H10/MOTCUA", "--out", str(tmp_path / "c"),
        capsys=capsys)
    assert (tmp_path / "c.key.pem").read_text().startswith("-----BEGIN PRIVATE KEY")
    assert oct((tmp_path / "c.key.pem").stat().st_mode)[-3:] == "600"
    listing = run("list", capsys=capsys)
    assert "VN/GOV/000.00.00.H10/TINHSO/demo" in listing and "right" in listing
    run("revoke", "VN/GOV/000.00.00.H10/MOTCUA", "VN/GOV/000.00.00.H10/TINHSO/demo",
        capsys=capsys)
    assert AccessRight.objects.count() == 0
    with pytest.raises(CommandError, match="LGSP_SUBSYSTEM_NOT_FOUND"):
        call_command("lgsp", "issue-token", "VN/GOV/NOPE/X")
    with pytest.raises(CommandError, match="LGSP_MEMBER_EXISTS"):
        call_command("lgsp", "add-member", "VN/GOV/000.00.00.H10", "--name", "again")
    # tinhso's own APIs as services of the province's subsystem, each with its OpenAPI part.
    run("register-own", "--subsystem", "VN/GOV/000.00.00.H10/TINHSO", "--base-url",
        "http://127.0.0.1:8000", capsys=capsys)
    own = Service.objects.get(code="procedures")
    assert own.url == "http://127.0.0.1:8000/api/v1/procedures"
    assert json.loads(own.openapi)["paths"]


def test_periodic_signer_waits_for_the_pki_then_signs_growth(db) -> None:
    tasks.sign_tree_head()  # no PKI yet: nothing, no error
    assert SignedTreeHead.objects.count() == 0
    init_pki()
    tasks.sign_tree_head()
    tasks.sign_tree_head()  # unchanged log: no second head of the same size
    assert list(SignedTreeHead.objects.values_list("tree_size", flat=True)) == [0]


def test_the_tree_head_is_signed_by_a_periodic_job() -> None:
    """Signed by the job system every TINHSO_LGSP_STH_SECONDS (300 s: every 5 minutes)."""
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    periodic = {HUEY._registry.task_to_string(t) for t in HUEY._registry._periodic_tasks}
    assert "tinhso.lgsp.tasks.sign_tree_head" in periodic
    task = tasks.sign_tree_head_periodic.s()
    assert task.validate_datetime(dt.datetime(2026, 3, 2, 9, 5))
    assert not task.validate_datetime(dt.datetime(2026, 3, 2, 9, 6))
