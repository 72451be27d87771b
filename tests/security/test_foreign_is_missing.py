"""Another agency's (or another citizen's) dossier answers exactly like one that does not exist:
same status, same error code, same body, on every dossier and document route (API and web).
A different answer would tell an outsider that the code exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tinhso.accounts.tokens import generate_token, hash_token

FOREIGN = "000.00.10.H10-260301-0001"
UNKNOWN = "000.00.10.H10-260301-0999"
# A payment of the foreign dossier and an id no payment has (same length, so bodies compare).
FOREIGN_PAYMENT = "424242"
UNKNOWN_PAYMENT = "737373"
CSRF_TOKEN = re.compile(rb"[A-Za-z0-9]{64}")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _bearer(user: Any) -> dict[str, str]:
    from tinhso.accounts.models import ApiToken

    raw = generate_token()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:12], key_hash=hash_token(raw))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("ban-chinh.pdf", PDF, content_type="application/pdf")


# (method, path with {code}, data builder) — every route that names a dossier.
API_ROUTES: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/dossiers/{code}", None),
    ("get", "/api/v1/dossiers/{code}/events", None),
    ("get", "/api/v1/dossiers/{code}/attachments", None),
    ("post", "/api/v1/dossiers/{code}/supplement", lambda code: {"to-khai": _pdf()}),
    ("post_json", "/api/v1/dossiers/{code}/actions/receive", lambda code: {}),
    ("post_json", "/api/v1/dossiers/{code}/actions/withdraw", lambda code: {"reason": "x"}),
    ("post", "/api/v1/signatures/certified-copies",
     lambda code: {"file": _pdf(), "description": "Căn cước", "applicant_name": "An",
                   "dossier_code": code}),
]
PAYMENT_API_ROUTES: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/payments/{code}", None),
    ("get", "/api/v1/payments/{code}/vietqr", None),
    ("post_json", "/api/v1/payments/{code}/vnpay", lambda code: {}),
]
PAYMENT_PAGES: list[tuple[str, str, Any]] = [
    ("post", "/thanh-toan/{code}/vnpay", lambda code: {}),
]
OFFICIAL_PAGES: list[tuple[str, str, Any]] = [
    ("get", "/mot-cua/ho-so/{code}/", None),
    ("get", "/mot-cua/ho-so/{code}/thao-tac/receive/", None),
    ("post", "/mot-cua/ho-so/{code}/thao-tac/receive/", lambda code: {"version": "1"}),
    ("post", "/mot-cua/ho-so/{code}/van-ban/", lambda code: {"form": "01"}),
    ("get", "/mot-cua/ho-so/{code}/tep/1/", None),
    ("get", "/mot-cua/ho-so/{code}/giay-tiep-nhan/", None),
    ("get", "/ioc/ho-so/{code}/", None),
]
CITIZEN_PAGES: list[tuple[str, str, Any]] = [
    ("get", "/ho-so-cua-toi/{code}/", None),
    ("post", "/ho-so-cua-toi/{code}/bo-sung/", lambda code: {}),
    ("post", "/ho-so-cua-toi/{code}/danh-gia/", lambda code: {"rating": "1"}),
    ("post", "/ho-so-cua-toi/{code}/rut/", lambda code: {"reason": "x"}),
    ("get", "/ho-so-cua-toi/{code}/tep/1/", None),
]


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    from tinhso.dossiers.models import Attachment, Channel, Dossier

    province = factories.make_province()
    agency_a = factories.make_agency(unit=province)
    agency_b = factories.make_agency(unit=province)
    citizen_a = factories.make_citizen()
    procedure = factories.make_procedure(agencies=[agency_a])
    dossier = Dossier.objects.create(
        code=FOREIGN, procedure=procedure, agency=agency_a, unit=province,
        channel=Channel.ONLINE, applicant=citizen_a, applicant_kind="citizen",
        applicant_id_number=factories.VALID_ID_NUMBER, applicant_name="Nguyễn Văn An")
    from tinhso.payments.models import Payment

    Payment.objects.create(pk=int(FOREIGN_PAYMENT), dossier=dossier, amount=50_000,
                           requested_at=dossier.created_at)
    Attachment.objects.create(pk=1, dossier=dossier, file="dossiers/00/x", size=1,
                              original_name="a.pdf", content_type="application/pdf",
                              sha256="0" * 64)
    return {
        "official_b": factories.make_official(agency_b, "receiver", "specialist", "leader"),
        "citizen_b": factories.make_citizen(id_number="070090009999"),
    }


def _call(client: Client, method: str, path: str, data: Any, code: str,
          headers: dict[str, str]) -> Any:
    url = path.format(code=code)
    body = data(code) if data else None
    if method == "get":
        return client.get(url, **headers)
    if method == "post_json":
        return client.post(url, body, content_type="application/json", **headers)
    return client.post(url, body or {}, **headers)


def _normal(body: bytes, code: str) -> bytes:
    """The body with the requested code and the per-response CSRF token blanked out."""
    return CSRF_TOKEN.sub(b"{token}", body.replace(code.encode(), b"{code}"))


def _same(client: Client, routes: list[tuple[str, str, Any]], headers: dict[str, str],
          foreign_ref: str = FOREIGN, unknown_ref: str = UNKNOWN) -> list[str]:
    differences = []
    for method, path, data in routes:
        foreign = _call(client, method, path, data, foreign_ref, headers)
        missing = _call(client, method, path, data, unknown_ref, headers)
        same_body = (_normal(foreign.content, foreign_ref)
                     == _normal(missing.content, unknown_ref))
        if foreign.status_code != missing.status_code or not same_body:
            differences.append(f"{method} {path}: foreign {foreign.status_code} "
                               f"{foreign.content[:200]!r} vs missing {missing.status_code} "
                               f"{missing.content[:200]!r}")
        elif foreign.status_code != 404:
            differences.append(f"{method} {path}: {foreign.status_code}, expected 404")
    return differences


def test_api_answers_a_foreign_dossier_like_a_missing_one(world: dict[str, Any]) -> None:
    client = Client()
    wrong = _same(client, API_ROUTES, _bearer(world["official_b"]))
    wrong += _same(client, API_ROUTES[:-1], _bearer(world["citizen_b"]))
    for who in ("official_b", "citizen_b"):
        wrong += _same(client, PAYMENT_API_ROUTES, _bearer(world[who]),
                       FOREIGN_PAYMENT, UNKNOWN_PAYMENT)
    assert not wrong, "\n".join(wrong)


def test_pages_answer_a_foreign_dossier_like_a_missing_one(world: dict[str, Any]) -> None:
    official, citizen = Client(), Client()
    official.force_login(world["official_b"])
    citizen.force_login(world["citizen_b"])
    wrong = _same(official, OFFICIAL_PAGES, {}) + _same(citizen, CITIZEN_PAGES, {})
    wrong += _same(citizen, PAYMENT_PAGES, {}, FOREIGN_PAYMENT, UNKNOWN_PAYMENT)
    assert not wrong, "\n".join(wrong)
