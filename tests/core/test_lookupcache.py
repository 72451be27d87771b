"""Per-process lookup caches (tinhso.core.lookupcache): a change is seen at once, in this
process and in another one (a real `tinhso serve`), and a rolled-back change leaves nothing."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.dossiers.conftest import PDF_BYTES
from tests.outbox.test_processes import env, token_for  # noqa: F401
from tests.processes import free_port, serving
from tinhso.accounts.models import ApiToken
from tinhso.accounts.tokens import user_for_token
from tinhso.core import lookupcache


@pytest.fixture(autouse=True)
def _empty_cache():
    lookupcache.clear()
    yield
    lookupcache.clear()


def _loader(calls: list[int], value: object):
    def load():
        calls.append(1)
        return value

    return load


@pytest.mark.django_db
def test_an_entry_is_reused_until_its_kind_is_bumped():
    calls: list[int] = []
    assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "v")) == "v"
    assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "v")) == "v"
    assert len(calls) == 1
    lookupcache.bump(lookupcache.ACCOUNTS)  # another kind: the entry stays
    lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "v"))
    assert len(calls) == 1
    lookupcache.bump(lookupcache.CATALOG)
    lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "v"))
    assert len(calls) == 2


@pytest.mark.django_db
def test_not_found_is_not_cached():
    calls: list[int] = []
    assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, None)) is None
    assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, None)) is None
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_request_reads_the_generations_once_and_again_after_its_own_change():
    with lookupcache.request_scope(), CaptureQueriesContext(connection) as queries:
        lookupcache.get(lookupcache.CATALOG, "a", lambda: "x")
        lookupcache.get(lookupcache.ACCOUNTS, "b", lambda: "y")
        lookupcache.get(lookupcache.CATALOG, "a", lambda: "x")
        reads = [q for q in queries.captured_queries if "core_cachegeneration" in q["sql"]]
        assert len(reads) == 1
        lookupcache.bump(lookupcache.CATALOG)
        calls: list[int] = []
        lookupcache.get(lookupcache.CATALOG, "a", _loader(calls, "x2"))
        assert calls == [1]


@pytest.mark.django_db
def test_an_entry_loaded_in_a_rolled_back_change_is_never_current():
    calls: list[int] = []
    lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "old"))

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        lookupcache.bump(lookupcache.CATALOG)
        # Loaded under the uncommitted number: "new" would be wrong after the rollback.
        assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "new")) == "new"
        raise Rollback
    lookupcache.bump(lookupcache.CATALOG)  # a later, committed change
    assert lookupcache.get(lookupcache.CATALOG, "k", _loader(calls, "newest")) == "newest"


@pytest.mark.django_db
def test_model_changes_bump_their_kind(agency):
    procedure = factories.make_procedure(agencies=[agency])
    before = lookupcache.read_generations()
    procedure.name = "Tên mới"
    procedure.save()
    after_save = lookupcache.read_generations()
    assert after_save[lookupcache.CATALOG] != before[lookupcache.CATALOG]
    assert after_save[lookupcache.ACCOUNTS] == before[lookupcache.ACCOUNTS]
    procedure.agencies.remove(agency)
    assert lookupcache.read_generations()[lookupcache.CATALOG] != after_save[lookupcache.CATALOG]
    citizen = factories.make_citizen()
    accounts_before = lookupcache.read_generations()[lookupcache.ACCOUNTS]
    citizen.save(update_fields=["last_login"])  # a sign-in: nothing cached changes
    assert lookupcache.read_generations()[lookupcache.ACCOUNTS] == accounts_before
    citizen.is_active = False
    citizen.save()
    assert lookupcache.read_generations()[lookupcache.ACCOUNTS] != accounts_before


@pytest.mark.django_db
def test_a_revoked_token_and_a_deactivated_user_are_refused_at_once():
    citizen = factories.make_citizen()
    raw = token_for(citizen)
    other = token_for(factories.make_citizen(id_number="070090000777"))
    assert user_for_token(raw) == citizen
    assert user_for_token(raw) == citizen  # from the cache now
    _revoke(citizen)
    assert user_for_token(raw) is None
    holder = user_for_token(other)
    assert holder is not None
    holder.is_active = False
    holder.save()
    assert user_for_token(other) is None


@pytest.mark.django_db
def test_each_caller_gets_its_own_user_instance():
    citizen = factories.make_citizen()
    raw = token_for(citizen)
    first = user_for_token(raw)
    assert first is not None
    first._role_cache = frozenset({"leader"})  # what a request may cache on its user
    second = user_for_token(raw)
    assert second is not None and second is not first
    assert "_role_cache" not in second.__dict__


def _revoke(user) -> None:
    # What accounts.services.api_token_revoke writes (its permission check is tested there).
    token = ApiToken.objects.get(user=user)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


# --- across processes ------------------------------------------------------------------------


def _submit(base: str, token: str, procedure: str, agency: str, form: dict) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/dossiers/", headers={"Authorization": f"Bearer {token}"},
        data={"payload": json.dumps({"procedure": procedure, "agency": agency,
                                     "form_data": form}, ensure_ascii=False)},
        files={"to-khai": ("to-khai.pdf", PDF_BYTES, "application/pdf")}, timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("env", ["sqlite-queue"], indirect=True)
def test_a_change_in_this_process_is_seen_by_a_server_process_at_once(env):  # noqa: F811
    """The server fills its caches with two submissions; each change committed here is then
    seen by its very next request."""
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    second = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency, second])
    citizen = factories.make_citizen()
    raw = token_for(citizen)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    form = {"ho_ten": "Nguyễn Văn An"}
    with serving([sys.executable, "-m", "tinhso.cli", "serve", "--port", str(port),
                  "--threads", "2", "--no-worker"], env, base):
        for _ in range(2):
            response = _submit(base, raw, procedure.code, agency.code, form)
            assert response.status_code == 201, response.text
        assert _submit(base, raw, procedure.code, second.code, form).status_code == 201
        # The agency no longer handles the procedure (membership).
        procedure.agencies.remove(second)
        response = _submit(base, raw, procedure.code, second.code, form)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "AGENCY_NOT_IMPLEMENTING"
        # The form schema gains a required field.
        procedure.form_schema = {**procedure.form_schema,
                                 "required": [*procedure.form_schema.get("required", []),
                                              "noi_sinh"],
                                 "properties": {**procedure.form_schema.get("properties", {}),
                                                "noi_sinh": {"type": "string"}}}
        procedure.save()
        response = _submit(base, raw, procedure.code, agency.code, form)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "FORM_INVALID"
        # The procedure is withdrawn from the catalogue.
        procedure.is_active = False
        procedure.save()
        response = _submit(base, raw, procedure.code, agency.code, form)
        assert response.status_code == 404, response.text
        # The token is revoked.
        _revoke(citizen)
        response = _submit(base, raw, procedure.code, agency.code, form)
        # Refused: with no valid bearer token the API falls back to the browser session,
        # which a client without cookies fails on CSRF (403), as for any unknown token.
        assert response.status_code in (401, 403), response.text
