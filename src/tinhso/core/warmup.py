"""Import what the first request would import, before the server takes requests.

Django loads the URLconf — and with it every app's views, the API routers and what they import
(pyHanko, reportlab, plotly helpers, …) — on the first request a process answers. Measured on the
shared 2-core machine that is 5–9 s, paid by whoever opens the first page after a start or a
worker restart: the verify page's "2–3 s in the browser" (docs/web.md). ``warm_up`` pays it at
start instead (``tinhso.wsgi``, so `tinhso serve` and any WSGI server get it).
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


def warm_up() -> float:
    """Load the URLconf and every view module it names; the seconds it took."""
    from django.urls import get_resolver

    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - importing the URLconf is the point
    # Resolving one path walks every include and fills the resolver's caches too.
    resolver.resolve("/")
    took = time.perf_counter() - started
    logger.info("warm-up: URLconf and views loaded in %.2f s", took)
    return took
