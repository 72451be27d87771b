"""The verify page's time in a real browser (issue 11: "its 2–3 s in the browser"), measured
with the Navigation and Resource Timing APIs: where the time goes (server, transfer, the
page's own resources), for the empty page and for both verification paths — a PDF the platform
issued (known by its SHA-256) and one it did not (full PAdES validation with revocation).

The cause of the 2–3 s was the first request of a process importing the whole URLconf; the
server now does that at start (``tinhso.core.warmup``). No threshold (the machine is shared):
the figures are printed and written to var/verify-timing.json for docs/web.md; the test checks
that each phase was measured and that the verdict is shown.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests import factories

TIMING_JS = """
const nav = performance.getEntriesByType('navigation')[0].toJSON();
const res = performance.getEntriesByType('resource').map(r => ({
  name: r.name.split('/').slice(-1)[0], duration: Math.round(r.duration),
  size: r.transferSize, initiator: r.initiatorType}));
return {nav: nav, resources: res};
"""
OUT = Path(__file__).resolve().parents[2] / "var" / "verify-timing.json"


def phases(nav: dict) -> dict[str, float]:
    """Milliseconds of each phase of one navigation."""
    return {
        "server": round(nav["responseStart"] - nav["requestStart"], 1),
        "download": round(nav["responseEnd"] - nav["responseStart"], 1),
        "dom_ready": round(nav["domContentLoadedEventEnd"] - nav["responseEnd"], 1),
        "load": round(nav["loadEventEnd"] - nav["responseEnd"], 1),
        "total": round(nav["loadEventEnd"] - nav["startTime"], 1),
    }


@pytest.fixture
def pdfs(settings, tmp_path, live_server):
    from django.utils import timezone

    from tests.signatures.pkihelpers import init_pki, simple_pdf
    from tinhso.documents.services import _store, agency_certificate
    from tinhso.signatures import signing

    settings.MEDIA_ROOT = tmp_path / "media"
    # As `make run` sets it: the revocation URLs in the certificates point at this server.
    settings.TINHSO_PUBLIC_URL = live_server.url
    init_pki()
    agency = factories.make_agency(name="UBND phường Tân Phú")
    cert = agency_certificate(agency)
    issued = signing.sign_with(simple_pdf("Kết quả đã phát hành"), cert, field_name="A")
    _store(doc_uuid=uuid.uuid4(), pdf=issued, form="result", agency=agency, dossier=None,
           acting_user=None, certs=[cert], signed_at=timezone.now())
    other = signing.sign_with(simple_pdf("Văn bản ngoài hệ thống"), cert, field_name="B")
    paths = {}
    for name, body in (("issued", issued), ("other", other)):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(body)
        paths[name] = path
    return paths


@pytest.mark.django_db(transaction=True)
def test_verify_page_timing(browser, live_server, pdfs):
    from selenium.webdriver.common.by import By

    from tinhso.core.warmup import warm_up

    # What tinhso.wsgi does at start (`tinhso serve`): without it the first visit waited for
    # Django to import every view module (5.0 s server time measured here; docs/web.md).
    warm_up()
    url = f"{live_server.url}/chu-ky-so/xac-minh/"
    figures: dict[str, dict] = {}
    browser.get(url)
    figures["first visit (empty page)"] = browser.execute_script(TIMING_JS)
    for name in ("issued", "other"):
        browser.get(url)
        browser.find_element(By.ID, "verify-file").send_keys(str(pdfs[name]))
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        verdict = browser.find_element(By.CSS_SELECTOR, "h2.verdict")
        assert "hợp lệ" in verdict.text
        figures[f"verify ({name})"] = browser.execute_script(TIMING_JS)
    report = {label: {"phases": phases(f["nav"]), "resources": f["resources"]}
              for label, f in figures.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for label, entry in report.items():
        print(label, entry["phases"], [(r["name"], r["duration"]) for r in entry["resources"]])
        assert entry["phases"]["total"] > 0
