"""Serve plotly's bundled plotly.js (from the ``plotly`` package) as a static file.

The IOC's charts use the plotly.js that the PyPI ``plotly`` package ships in
``plotly/package_data/plotly.min.js``: no CDN, no Node build, works offline. This finder makes
it ``{% static 'ioc/vendor/plotly.min.js' %}`` for runserver, WhiteNoise (USE_FINDERS) and
``collectstatic`` alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_PATH = "ioc/vendor/plotly.min.js"


def plotly_js() -> Path | None:
    try:
        import plotly
    except ImportError:
        return None
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


class _PrefixedStorage(FileSystemStorage):
    prefix = "ioc/vendor"


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if plotly_js() is None:
            return [Error("plotly.min.js not found: install the 'plotly' package.",
                          id="tinhso.ioc.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        find_all = find_all or bool(kwargs.get("all"))
        source = plotly_js()
        if path != PLOTLY_PATH or source is None:
            return [] if find_all else None
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        source = plotly_js()
        if source is not None:
            storage = _PrefixedStorage(location=str(source.parent))
            yield source.name, storage


@lru_cache(maxsize=1)
def inline_style_ids() -> tuple[str, ...]:
    """Ids of the <style> elements plotly.js would add at load time (the map library's CSS,
    unused here) unless an element with that id already exists. The IOC pages render a
    placeholder element with each id, so plotly.js adds none (the CSP forbids inline styles)."""
    source = plotly_js()
    if source is None:
        return ()
    text = source.read_text(encoding="utf-8", errors="replace")
    return tuple(sorted(set(re.findall(
        r'if\(!document\.getElementById\("([0-9a-f]{32,64})"\)\)\{var \w+=document\.'
        r'createElement\("style"\)', text))))
