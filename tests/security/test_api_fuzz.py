"""schemathesis fuzzes the whole API over real HTTP, as four kinds of caller.

A real ``tinhso serve`` process runs against the test database (SQLite, or PostgreSQL when
``DATABASE_URL`` says so: CI runs the suite on both). For each role — anonymous, citizen,
specialist and province admin — schemathesis reads the live schema and sends generated requests
(valid and invalid) with ``--checks all``: any 5xx, any undeclared status, any response that
does not match its schema fails the test. The number of examples per operation and the seed are
fixed, so a run is bounded and repeatable (docs/security.md reports the figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import database_url, free_port, serving
from tests.security.fuzz_world import fuzz_config, seed

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("TINHSO_FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("TINHSO_FUZZ_SEED", "20261206"))
RUN_SECONDS = 600
CONFIG = Path(__file__).with_name("schemathesis.toml")
# The admin may revoke tokens: it runs that one operation last, alone, so that revoking its own
# token cannot cut short the rest of its run (afterwards 401 is the declared answer).
REVOKE = ("DELETE", "/api/v1/accounts/tokens/{token_id}")


def _schemathesis(base: str, token: str | None, workdir: Path, config: Path,
                  *extra: str) -> subprocess.CompletedProcess:
    st = Path(sys.executable).with_name("schemathesis")
    argv = [str(st), "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
            "--url", base,
            "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
            "--workers", "1", "--request-timeout", "30", "--no-shrink",
            "--suppress-health-check", "all", "--warnings", "off", "--no-color",
            # Coverage (deterministic boundary and invalid values of every parameter) and
            # fuzzing (generated); the stateful phase (chains of calls) is left to runs by hand
            # (TINHSO_FUZZ_PHASES=coverage,fuzzing,stateful): it does not fit CI's minutes.
            "--phases", os.environ.get("TINHSO_FUZZ_PHASES", "coverage,fuzzing"), *extra]
    if os.environ.get("TINHSO_FUZZ_PATHS"):  # by hand: only the operations whose path matches
        argv += ["--include-path-regex", os.environ["TINHSO_FUZZ_PATHS"]]
    if token:
        argv += ["--header", f"Authorization: Bearer {token}"]
    # schemathesis keeps a cache (.schemathesis/) in its working directory: not in the repo.
    return subprocess.run(argv, capture_output=True, text=True, timeout=RUN_SECONDS,
                          env={**os.environ, "NO_COLOR": "1"}, cwd=workdir)


def test_the_whole_api_holds_under_fuzzing(transactional_db, tmp_path):
    from tinhso.dossiers.models import DossierEvent

    world = seed()
    tokens = world.tokens
    config = fuzz_config(CONFIG, world, tmp_path / "schemathesis.toml")
    seeded_events = DossierEvent.objects.count()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_ALERT_SCAN_SECONDS": "0",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings", "TINHSO_VAR_DIR": str(tmp_path),
           # Limits answer 429 (declared) and would starve the fuzzer of real answers.
           "TINHSO_RATE_SIGNUP": "off", "TINHSO_RATE_TRACK": "off", "TINHSO_RATE_VERIFY": "off",
           "TINHSO_TRACK_MAX_FAILURES": "1000000", "TINHSO_TOKEN_MAX_FAILURES": "1000000",
           # Thousands of 4xx answers would each log a warning; errors (5xx) are still logged.
           "TINHSO_LOG_LEVEL": "ERROR"}
    port = free_port()
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    runs = [("anonymous", None, ()), ("citizen", tokens["citizen"], ()),
            ("specialist", tokens["specialist"], ()),
            ("admin", tokens["admin"], ("--exclude-method", REVOKE[0])),
            ("admin revoke", tokens["admin"], ("--include-method", REVOKE[0]))]
    if os.environ.get("TINHSO_FUZZ_PATHS"):  # the revoke run has its own single operation
        runs.pop()
    failures = []
    # VNPAY is a party outside the machine: its sandbox (the real protocol) answers the querydr
    # and refund calls that the seeded payment attempts let the fuzzer reach; without it they
    # would rightly answer 502 PAYMENT_GATEWAY_UNAVAILABLE, which the fuzzer counts as a fault.
    sandbox_port = free_port()
    env["TINHSO_VNPAY_URL"] = f"http://127.0.0.1:{sandbox_port}/paymentv2/vpcpay.html"
    with serving([tinhso, "payment-sandbox", "--port", str(sandbox_port), "--ipn-url",
                  f"http://127.0.0.1:{port}/thanh-toan/vnpay/ipn"], env,
                 f"http://127.0.0.1:{sandbox_port}"), \
            serving([tinhso, "serve", "--port", str(port), "--threads", "2"], env,
                    f"http://127.0.0.1:{port}") as base:
        for name, token, extra in runs:
            result = _schemathesis(base, token, tmp_path, config, *extra)
            log = os.environ.get("TINHSO_FUZZ_LOG")
            if log:  # the whole report, for reading beyond the assertion's tail
                Path(log).with_suffix(f".{name.replace(' ', '-')}.txt").write_text(result.stdout)
            if result.returncode != 0:
                failures.append(f"== {name} ==\n{result.stdout[-20000:]}\n{result.stderr[-2000:]}")
    log = os.environ.get("TINHSO_FUZZ_LOG")
    if log:  # how far the fuzzer moved the seeded dossiers (events it caused)
        Path(log).with_suffix(".events.txt").write_text(
            f"seeded {seeded_events}, after {DossierEvent.objects.count()}\n")
    assert not failures, "\n".join(failures)
