"""The clock jumping under a running platform: nothing lost, nothing counted twice.

A real ``tinhso serve`` and ``tinhso worker`` run under libfaketime (Debian ``faketime``) with
a shared control file the test rewrites: the machine's clock jumps three hours forward, then
two hours back (an NTP correction after a drift), while citizens submit and officers receive
over HTTP. Every dossier gets a unique code, every event reaches the IOC exactly once (the
outbox orders by id, never by clock), every form 01 is signed once, and ``ioc verify`` finds the
facts equal to a recomputation from the raw tables.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.core.test_faults_redis import forms_signed, wait_long
from tests.outbox.test_processes import (
    TINHSO,
    delivered,
    dossier_events,
    submit_and_receive,
    token_for,
    worker,
)
from tests.processes import database_url, free_port, serving
from tests.signatures import pkihelpers
from tinhso.dossiers.models import Dossier
from tinhso.ioc.facts import verify

pytestmark = pytest.mark.slow
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


def wait_server_clock(base: str, hours: int) -> None:
    """Wait until the server's clock (its ``Date`` header) is ``hours`` ahead of the test's.

    libfaketime re-reads its control file only when its cache has expired, and it counts that
    in whole seconds: a fixed pause of 1.5 s was sometimes too short on a loaded machine (a
    submission meant for "+1h" was still stamped "+3h").
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        served = parsedate_to_datetime(httpx.get(f"{base}/healthz", timeout=5).headers["Date"])
        if abs(served.timestamp() - time.time() - hours * 3600) < 600:
            return
        time.sleep(0.2)
    pytest.fail(f"the server's clock did not move to +{hours} h within 30 s")


def test_clock_jumps_lose_and_double_nothing(transactional_db, tmp_path):
    if not LIBFAKETIME.exists():
        pytest.fail("needs libfaketime (Debian package faketime; .ci/run installs it)")
    offset = tmp_path / "faketime.rc"
    offset.write_text("+0\n")
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_DEBUG": "false", "TINHSO_JOBS_URL": "",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings",
           "LD_PRELOAD": str(LIBFAKETIME), "FAKETIME_TIMESTAMP_FILE": str(offset),
           "FAKETIME_CACHE_DURATION": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    pkihelpers.init_pki()
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency])
    tokens = (token_for(factories.make_citizen()),
              token_for(factories.make_official(agency, "receiver")))
    with ExitStack() as stack:
        stack.enter_context(serving([TINHSO, "serve", "--port", str(web_port), "--threads", "4",
                                     "--no-worker"], env, base))
        proc = stack.enter_context(worker(env))
        submit_and_receive(base, tokens, procedure, agency, 2)
        wait_long(lambda: delivered() == 4 and forms_signed() == 2, "the first wave", proc)
        offset.write_text("+3h\n")  # forward
        wait_server_clock(base, hours=3)
        submit_and_receive(base, tokens, procedure, agency, 2)
        wait_long(lambda: delivered() == 8 and forms_signed() == 4, "after the jump ahead", proc)
        offset.write_text("+1h\n")  # two hours back
        wait_server_clock(base, hours=1)
        submit_and_receive(base, tokens, procedure, agency, 2)
        wait_long(lambda: delivered() == 12 and forms_signed() == 6, "after the jump back", proc)
    assert dossier_events() == 12
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == 6 and len(set(codes)) == 6
    # The processes did live the jumps: submissions 3 h ahead, then 1 h ahead of the test.
    times = list(Dossier.objects.order_by("pk").values_list("submitted_at", flat=True))
    ahead = [round((t - times[0]).total_seconds() / 3600) for t in times]
    assert ahead == [0, 0, 3, 3, 1, 1]
    assert verify() == []
