"""The WSGI application loads the URLconf and the views at start, not on the first request
(the verify page's first visit took 5 s in the browser: docs/web.md)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = ("import sys, tinhso.wsgi; "
         "print('tinhso.signatures.views' in sys.modules, 'tinhso.dossiers.api' in sys.modules)")


def _probe(warm: str) -> str:
    env = {**os.environ, "TINHSO_WARM_UP": warm, "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_the_wsgi_application_is_warm_before_the_first_request() -> None:
    assert _probe("1") == "True True"
    assert _probe("0") == "False False"  # the check can fail: without it nothing is loaded
