"""``tinhso trace add-party`` and ``sign-head`` from the shell; the admin lists the parties."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests import factories
from tests.signatures.pkihelpers import init_pki
from tests.trace.conftest import gln
from tinhso.trace.models import LedgerHead, TraceParty

pytestmark = pytest.mark.django_db


def test_add_party_and_sign_head() -> None:
    user = factories.make_citizen(username="htx.tieu")
    g = gln("8930621", "0009")
    out = io.StringIO()
    call_command("trace", "add-party", "htx.tieu", "--name", "HTX Tiêu", "--kind",
                 "cooperative", "--gln", g, "--prefix", "8930621", stdout=out)
    party = TraceParty.objects.get(user=user)
    assert list(party.locations.values_list("gln", flat=True)) == [g]
    assert list(party.prefixes.values_list("prefix", flat=True)) == ["8930621"]
    with pytest.raises(CommandError):
        call_command("trace", "add-party", "nobody", "--name", "X", "--kind", "farm")
    init_pki()
    call_command("trace", "sign-head", stdout=out)
    assert LedgerHead.objects.get().tree_size == 0
    call_command("trace", "verify-log", stdout=out)
    assert "toàn vẹn" in out.getvalue()


def test_admin_lists_trace_parties(client: Client, trace_world) -> None:
    from tinhso.accounts.models import User

    admin = User.objects.create_superuser(username="root", password="matkhau-thu-nghiem-123")
    client.force_login(admin)
    farm = trace_world.farm.pk
    for url in ("/admin/trace/traceparty/", f"/admin/trace/traceparty/{farm}/change/",
                "/admin/trace/event/", "/admin/trace/certificate/"):
        assert client.get(url).status_code == 200, url
