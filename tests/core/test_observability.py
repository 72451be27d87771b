"""/readyz, /metrics, request ids and JSON log lines."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from tinhso.core import health, observability

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def operator_token(monkeypatch):
    monkeypatch.setenv("TINHSO_METRICS_TOKEN", TOKEN)
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _fresh_ca_check():
    health._ca_checked.update(at=0.0, ok=False, detail="")


def test_readyz_says_little_to_the_public_and_all_to_operators(db, operator_token, settings):
    client = Client()
    public = client.get("/readyz")
    # No CA yet: not ready, and the public answer does not say why.
    assert public.status_code == 503 and public.json() == {"status": "fail"}
    detailed = client.get("/readyz", **operator_token).json()
    assert detailed["checks"]["database"]["ok"] and detailed["checks"]["cache"]["ok"]
    assert detailed["checks"]["jobs"]["ok"]
    assert not detailed["checks"]["ca_key"]["ok"]
    assert "PKI" in detailed["checks"]["ca_key"]["detail"]

    from tests.signatures import pkihelpers as h

    h.init_pki()
    health._ca_checked.update(at=0.0)
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_on_a_full_disk(db, operator_token, monkeypatch):
    monkeypatch.setenv("TINHSO_READY_MIN_FREE_MB", str(10**12))
    body = Client().get("/readyz", **operator_token).json()
    assert body["status"] == "fail" and not body["checks"]["disk"]["ok"]


def test_metrics_are_off_without_a_token_and_protected_with_one(db, monkeypatch):
    monkeypatch.delenv("TINHSO_METRICS_TOKEN", raising=False)
    assert Client().get("/metrics").status_code == 404
    monkeypatch.setenv("TINHSO_METRICS_TOKEN", TOKEN)
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_metrics_count_requests_by_route_and_read_the_domain(db, operator_token, agency,
                                                             procedure, citizen):
    client = Client()
    client.get("/healthz")
    client.get("/khong-co-trang-nay-123")
    text = client.get("/metrics", **operator_token).content.decode()
    assert 'tinhso_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text  # never the raw path as a label
    assert "khong-co-trang-nay" not in text
    assert "tinhso_http_request_duration_seconds_bucket" in text
    assert 'tinhso_dossiers_open{status="2"} 0.0' in text
    assert "tinhso_payments_pending 0.0" in text
    assert 'tinhso_outbox_pending{consumer="ioc"}' in text
    assert 'tinhso_outbox_lag_seconds{consumer="notifications"}' in text
    assert "tinhso_jobs_queued" in text and "tinhso_jobs_failed 0.0" in text


def test_request_id_is_echoed_or_made(db):
    client = Client()
    made = client.get("/healthz")["X-Request-Id"]
    assert len(made) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-12345678")["X-Request-Id"] == (
        "abc-12345678")
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-Id"] != "<script>"


def test_json_log_line_per_request_without_personal_data(db, citizen, caplog):
    caplog.set_level(logging.INFO, logger="tinhso.request")
    client = Client()
    client.force_login(citizen)
    response = client.get("/healthz")
    record = next(r for r in caplog.records if r.name == "tinhso.request")
    line = json.loads(observability.JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-Id"]
    assert line["route"] == "/healthz" and line["status"] == 200
    assert line["user_id"] == citizen.pk and line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)
    assert citizen.id_number not in json.dumps(line)


def test_grafana_dashboard_reads_metrics_that_exist(db, operator_token):
    """Every metric the shipped dashboard queries is one /metrics exposes."""
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                            "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for e in exprs for name in re.findall(r"\btinhso_[a-z_]+", e)}
    Client().get("/healthz")  # request metrics have samples once a request was served
    text = Client().get("/metrics", **operator_token).content.decode()
    exposed = set(re.findall(r"^(tinhso_[a-z_]+)", text, re.M))
    assert used and used <= exposed, used - exposed


def test_signing_and_verification_latency_are_measured(db, operator_token, agency):
    from tests import factories
    from tests.signatures import pkihelpers as h
    from tinhso.signatures import signing
    from tinhso.signatures.verify import verify_known_or_full

    h.init_pki()
    cert = h.issue_personal(h.ca_operator(agency), factories.make_official(agency, "leader"))
    signed = signing.sign_with(h.simple_pdf(), cert, field_name="S1")
    verify_known_or_full(signed)
    text = Client().get("/metrics", **operator_token).content.decode()
    assert 'tinhso_signing_duration_seconds_count{level="B-LT"}' in text
    assert 'tinhso_verification_duration_seconds_count{path="full"}' in text


def test_outgoing_calls_carry_the_request_id():
    from tinhso.core.observability import _request_id, outgoing_headers

    assert outgoing_headers() == {}  # no request: nothing to pass on
    token = _request_id.set("abcd-1234-efgh")
    try:
        assert outgoing_headers() == {"X-Request-Id": "abcd-1234-efgh"}
    finally:
        _request_id.reset(token)
