"""Security headers: a Content-Security-Policy without 'unsafe-inline', Permissions-Policy, HSTS in
production; and no template that the policy would break (inline scripts, styles, handlers)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

import tinhso
from tinhso.core.headers import SecurityHeadersMiddleware

PAGES = ["/", "/thu-tuc/", "/dang-nhap/", "/tra-cuu/", "/api/v1/procedures/", "/api/docs"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_csp_and_a_permissions_policy(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]


def test_form_action_allows_the_payment_gateway_the_forms_lead_to(settings) -> None:
    settings.TINHSO_CSP_FORM_ACTION = ["https://thanhtoan.example.vn/pay?x=1"]
    response = SecurityHeadersMiddleware(lambda r: HttpResponse())(RequestFactory().get("/"))
    form_action = next(d for d in response["Content-Security-Policy"].split("; ")
                       if d.startswith("form-action"))
    # The local VNPAY sandbox (the default gateway) and the configured origin, never a path.
    assert form_action == ("form-action 'self' http://127.0.0.1:8100 "
                           "https://thanhtoan.example.vn")


def test_a_response_with_its_own_policy_keeps_it(settings) -> None:
    def view(request: object) -> HttpResponse:
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_report_only_and_off(settings) -> None:
    settings.TINHSO_CSP_REPORT_ONLY = True
    response = SecurityHeadersMiddleware(lambda r: HttpResponse())(RequestFactory().get("/"))
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]
    settings.TINHSO_CSP = False
    settings.TINHSO_PERMISSIONS_POLICY = ""
    response = SecurityHeadersMiddleware(lambda r: HttpResponse())(RequestFactory().get("/"))
    assert "Content-Security-Policy-Report-Only" not in response
    assert "Permissions-Policy" not in response


@pytest.mark.django_db
def test_hsts_on_https_when_configured(settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    secure = Client().get("/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in Client().get("/")  # never over plain http


def _settings_value(env: dict[str, str], name: str) -> str:
    code = f"import tinhso.settings as s; print(s.{name})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_hsts_defaults_to_a_year_in_production_and_is_configurable(tmp_path: Path) -> None:
    production = {"TINHSO_PRODUCTION": "true", "TINHSO_SECRET_KEY": "x" * 50,
                  "TINHSO_VAR_DIR": str(tmp_path)}
    assert _settings_value(production, "SECURE_HSTS_SECONDS") == "31536000"
    assert _settings_value({**production, "TINHSO_HSTS_SECONDS": "600"},
                           "SECURE_HSTS_SECONDS") == "600"
    assert _settings_value({"TINHSO_VAR_DIR": str(tmp_path)}, "SECURE_HSTS_SECONDS") == "0"


# Markup the policy blocks: inline <script> (a JSON data block is fine), <style>, style="",
# and on*="" event handlers.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I),
     "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "event-handler attribute"),
]


def test_no_template_has_inline_script_or_style() -> None:
    root = Path(tinhso.__file__).parent
    templates = [p for p in root.rglob("*.html") if "templates" in p.parts]
    assert len(templates) > 40  # the scan still finds the templates
    found = [f"{p.relative_to(root)}:{n}: {what}"
             for p in templates for n, line in enumerate(p.read_text().splitlines(), 1)
             if not line.lstrip().startswith("{#")
             for pattern, what in INLINE if pattern.search(line)]
    assert not found, "\n".join(found)
