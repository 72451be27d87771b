"""Rate limits and lockouts (tinhso.core.ratelimit) on the public pages and the API.

Each refused request must be a 429 with ``Retry-After`` and must change nothing: no account
created, no file verified, no dossier revealed. Limits are set small through ``settings``; the
limiter's clock (``tinhso.core.ratelimit.now``) is moved by monkeypatching, never by sleeping.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.signatures.pkihelpers import make_dossier
from tinhso.accounts.models import ApiToken, User
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.core import ratelimit
from tinhso.core.ratelimit import FailureLimit, RateLimit, parse_rate

REGISTER = "/api/v1/accounts/register/citizen"
TRACK = "/api/v1/dossiers/track"
VERIFY = "/api/v1/signatures/verify"
ME = "/api/v1/accounts/me"
TOO_MANY_VI = "Bạn đã gửi quá nhiều yêu cầu"


def _json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _citizen_body(serial: int) -> dict[str, str]:
    # 070 (Bình Phước), 0 (male, 1900s), 88 (birth year), then a 6-digit serial.
    return {"full_name": "Nguyễn Văn Toàn", "id_number": f"07008876{serial:04d}",
            "password": "Mat-khau-rat-manh-2026", "email": f"toan{serial}@example.vn"}


def _assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["code"] == "RATE_LIMITED"
    assert TOO_MANY_VI in body["message_vi"] and body["message_en"]
    assert body["details"]["retry_after"] == int(response["Retry-After"])


# --- The limiter itself --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("20/h", (20, 3600)), ("5/10m", (5, 600)), ("30/60", (30, 60)), ("3/s", (3, 1)),
    ("1/D", (1, 86400)), (" 10/h ", (10, 3600)),
    ("off", None), ("OFF", None), ("0", None), ("", None), (None, None), ("0/h", None),
])
def test_parse_rate_accepts(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["abc", "10", "10/", "/h", "x/h", "-1/h", "10/0", "10/-5",
                                  "10/1.5m", "10/w", "10/h/x"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_rate_window_resets_on_the_next_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 1_800_000_020.0}  # 20 s into a 60 s slot
    monkeypatch.setattr(ratelimit, "now", lambda: clock["t"])
    limit = RateLimit("test", count=2, seconds=60)
    assert limit.hit("1.2.3.4") == 0 and limit.hit("1.2.3.4") == 0
    assert limit.hit("1.2.3.4") == 40  # until the slot ends
    assert limit.hit("5.6.7.8") == 0  # another subject counts for itself
    clock["t"] += 40  # the next slot
    assert limit.hit("1.2.3.4") == 0


def test_failure_lock_ends_after_lock_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 1_800_000_000.0}
    monkeypatch.setattr(ratelimit, "now", lambda: clock["t"])
    limit = FailureLimit("test", max_failures=2, window_seconds=900, lock_seconds=300)
    limit.fail("x")
    assert limit.locked_for("x") == 0
    limit.fail("x")
    assert limit.locked_for("x") == 300
    with pytest.raises(ratelimit.RateLimited) as exc:
        limit.check("x")
    assert exc.value.retry_after == 300 and exc.value.status == 429
    clock["t"] += 300
    assert limit.locked_for("x") == 0


def test_env_rate_validates_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinhso.settings import env_rate

    for good in ["10/h", "60/10m", "30/60", "off"]:
        monkeypatch.setenv("TINHSO_RATE_TEST", good)
        assert env_rate("TINHSO_RATE_TEST", "1/h") == good
        parse_rate(good)  # what start-up accepts, the limiter must understand
    for bad in ["abc", "10", "10/x", "10/0", "10/0m"]:
        monkeypatch.setenv("TINHSO_RATE_TEST", bad)
        with pytest.raises(ImproperlyConfigured, match="TINHSO_RATE_TEST"):
            env_rate("TINHSO_RATE_TEST", "1/h")


# --- Sign-up: API and portal page share one counter per address ------------------------------

def test_api_signup_over_the_limit_is_refused_and_creates_nothing(db, settings) -> None:
    settings.TINHSO_RATE_SIGNUP = "2/h"
    client = Client()
    assert _json(client, REGISTER, _citizen_body(1)).status_code == 201
    assert _json(client, REGISTER, _citizen_body(2)).status_code == 201
    refused = _json(client, REGISTER, _citizen_body(3))
    _assert_limited(refused)
    assert not User.objects.filter(id_number=_citizen_body(3)["id_number"]).exists()
    org = _json(client, "/api/v1/accounts/register/organisation",
                {"name": "Công ty A", "tax_code": "0100047516",
                 "password": "Mat-khau-rat-manh-2026", "email": "a@example.vn"})
    _assert_limited(org)
    assert User.objects.count() == 2
    other = _json(Client(REMOTE_ADDR="10.0.0.9"), REGISTER, _citizen_body(4))
    assert other.status_code == 201  # another address has its own allowance


def test_portal_signup_over_the_limit_shows_vietnamese_message(db, settings) -> None:
    settings.TINHSO_RATE_SIGNUP = "1/h"
    _json(Client(), REGISTER, _citizen_body(1))  # the API request uses the allowance
    form = {"kind": "citizen", "full_name": "Trần Thị Bình", "id_number": "070190054321",
            "email": "binh@example.vn", "password1": "Mat-khau-rat-manh-2025",
            "password2": "Mat-khau-rat-manh-2025"}
    response = Client().post(reverse("portal:register"), form)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert TOO_MANY_VI in response.content.decode()
    assert not User.objects.filter(id_number="070190054321").exists()


def test_signup_limit_off(db, settings) -> None:
    settings.TINHSO_RATE_SIGNUP = "off"
    client = Client()
    for serial in range(1, 5):
        assert _json(client, REGISTER, _citizen_body(serial)).status_code == 201


# --- Public tracking -------------------------------------------------------------------------

@pytest.fixture
def dossier(agency, procedure):
    return make_dossier(agency, procedure)


def test_wrong_tracking_guesses_lock_the_address_even_for_the_right_pair(dossier,
                                                                         settings) -> None:
    settings.TINHSO_TRACK_MAX_FAILURES = 3
    client, right = Client(), {"code": dossier.code, "id_number": dossier.applicant_id_number}
    assert _json(client, TRACK, right).status_code == 200
    for n in range(3):
        wrong = _json(client, TRACK, {**right, "id_number": f"07009000000{n}"})
        assert wrong.status_code == 404
    _assert_limited(_json(client, TRACK, right))
    # The portal page shares the lock (same address, same counter).
    page = client.post(reverse("portal:track"), {"code": dossier.code,
                                                 "id_number": dossier.applicant_id_number})
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    assert "tra cứu sai quá nhiều lần" in page.content.decode()
    assert dossier.agency.name not in page.content.decode()  # no result shown
    assert _json(Client(REMOTE_ADDR="10.0.0.9"), TRACK, right).status_code == 200


def test_tracking_rate_counts_every_look_up(dossier, settings) -> None:
    settings.TINHSO_RATE_TRACK = "2/10m"
    client, right = Client(), {"code": dossier.code, "id_number": dossier.applicant_id_number}
    assert _json(client, TRACK, right).status_code == 200
    assert _json(client, TRACK, right).status_code == 200
    _assert_limited(_json(client, TRACK, right))


def test_tracking_lockout_off(dossier, settings) -> None:
    settings.TINHSO_TRACK_MAX_FAILURES = 0
    client, right = Client(), {"code": dossier.code, "id_number": dossier.applicant_id_number}
    for n in range(5):
        assert _json(client, TRACK, {**right, "id_number": f"07009000000{n}"}).status_code == 404
    assert _json(client, TRACK, right).status_code == 200


# --- Signature verification ------------------------------------------------------------------

def test_verify_over_the_limit_does_not_process_the_file(db, settings, monkeypatch) -> None:
    from tinhso.signatures import verify as verify_module

    settings.TINHSO_RATE_VERIFY = "1/10m"
    processed: list[bytes] = []

    class Report:
        def as_dict(self) -> dict[str, Any]:
            return {"valid": False, "signatures": []}

    monkeypatch.setattr(verify_module, "verify_pdf", lambda data: processed.append(data) or
                        Report())
    client = Client()

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")

    assert client.post(VERIFY, {"file": upload()}).status_code == 200
    _assert_limited(client.post(VERIFY, {"file": upload()}))
    page = client.post(reverse("signatures:verify"), {"file": upload()})
    assert page.status_code == 429 and TOO_MANY_VI in page.content.decode()
    assert len(processed) == 1


# --- Bearer tokens ---------------------------------------------------------------------------

def test_bad_bearer_tokens_lock_the_address_even_for_a_valid_token(db, settings) -> None:
    settings.TINHSO_TOKEN_MAX_FAILURES = 3
    user = factories.make_citizen()
    raw = generate_token()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:12], key_hash=hash_token(raw))
    good = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    assert client.get(ME, **good).status_code == 200
    for n in range(3):
        bad = client.get(ME, HTTP_AUTHORIZATION=f"Bearer tsk_guess-{n}")
        assert bad.status_code == 401
    _assert_limited(client.get(ME, **good))
    assert Client(REMOTE_ADDR="10.0.0.9").get(ME, **good).status_code == 200


def test_sign_in_lockout_off(citizen, settings) -> None:
    settings.TINHSO_LOGIN_MAX_FAILURES = 0
    settings.TINHSO_LOGIN_MAX_FAILURES_PER_ADDRESS = 0
    client = Client()
    for _ in range(3):
        wrong = client.post(reverse("portal:login"), {"username": citizen.username,
                                                      "password": "sai-mat-khau"})
        assert wrong.status_code == 200
        assert "không đúng" in wrong.content.decode() and "tạm thời bị khóa" not in \
            wrong.content.decode()
    right = client.post(reverse("portal:login"), {"username": citizen.username,
                                                  "password": "matkhau-thu-nghiem-123"})
    assert right.status_code == 302
