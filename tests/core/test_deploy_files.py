"""The container image and the Compose stack, checked by reading them (no Docker engine in CI).

What would go wrong in production and can be seen in the files: a root or unpinned image, a
secret written inline, a service running a command tinhso does not have, a setting nobody
documented, a stack without health checks.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
README = (ROOT / "README.md").read_text()
SECRET_WORDS = ("SECRET", "PASSPHRASE", "PASSWORD", "TOKEN", "_PIN")


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def test_image_is_pinned_slim_and_runs_as_a_user():
    rows = instructions()
    for word, rest in rows:
        if word == "FROM":
            image = rest.split()[0]
            assert ":" in image and not image.endswith(":latest"), image
            assert "slim" in image or "alpine" in image, image
        assert not (word == "ADD" and re.search(r"https?://", rest)), "ADD of a URL"
    words = [w for w, _ in rows]
    last_stage = len(words) - 1 - words[::-1].index("FROM")
    users = [rest for w, rest in rows[last_stage:] if w == "USER"]
    assert users and not users[-1].startswith(("root", "0")), users
    assert words.index("USER", last_stage) < words.index("ENTRYPOINT", last_stage)
    assert "HEALTHCHECK" in words[last_stage:] and "EXPOSE" in words[last_stage:]
    for word, rest in rows:
        if word == "ENV":
            for name in re.findall(r"([A-Z_]+)=", rest):
                assert not any(s in name for s in SECRET_WORDS), f"secret in ENV: {name}"


def services_running_tinhso() -> dict[str, dict]:
    return {name: svc for name, svc in COMPOSE["services"].items()
            if svc.get("image", "").startswith("tinhso")}


def test_stack_has_the_production_layout():
    services = COMPOSE["services"]
    assert {"web", "worker", "nginx", "db", "redis", "migrate"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    for name in ("web", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "X-Forwarded-For" in nginx and "X-Forwarded-Proto" in nginx
    assert "web:8000" in nginx


@pytest.mark.parametrize("name", ["web", "worker", "migrate"])
def test_every_service_runs_a_real_tinhso_command(name):
    command = COMPOSE["services"][name]["command"]
    argv = command if isinstance(command, list) else shlex.split(command)
    assert argv[0].replace("-", "_") in get_commands(), f"{name}: tinhso {argv[0]} unknown"


def test_no_inline_secrets_and_every_setting_documented():
    for name, svc in services_running_tinhso().items():
        for key, value in svc["environment"].items():
            if any(s in key for s in SECRET_WORDS):
                assert key.endswith("_FILE") and str(value).startswith("/run/secrets/"), (
                    name, key)
            base = key.removesuffix("_FILE")
            if base.startswith("TINHSO_") or base == "DATABASE_URL":
                assert f"`{base}`" in README or base in README, f"{base} not in README"
    declared = set(COMPOSE.get("secrets", {}))
    for svc in services_running_tinhso().values():
        assert set(svc.get("secrets", [])) <= declared
