"""Run the ``tinhso`` CLI with file writes under MEDIA_ROOT stalling half-way: a crash point.

``python -m tests.stall_writes MARKER BYTES serve --port P`` serves tinhso normally, except
that a file opened under ``TINHSO_MEDIA_ROOT`` stops being written once BYTES of it are
written: the process creates MARKER and sleeps, so the test can kill it (SIGKILL) exactly in
the middle of storing an upload. Both the old storage code (Django's storage: ``os.open`` +
``os.fdopen``) and ``tinhso.core.blobs`` write through ``os.fdopen``, which is what is wrapped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

STALL_SECONDS = 300  # the test kills the process long before; bounded all the same


class _StallingFile:
    def __init__(self, handle: Any, marker: Path, limit: int) -> None:
        self._handle, self._marker, self._limit, self._written = handle, marker, limit, 0

    def write(self, data: Any) -> int:
        if self._written >= self._limit:
            self._handle.flush()
            self._marker.write_text(str(self._written))
            time.sleep(STALL_SECONDS)
        self._written += len(data)
        return self._handle.write(data)

    def __enter__(self) -> _StallingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def install(marker: Path, limit: int, media_root: Path) -> None:
    original = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = original(fd, *args, **kwargs)
        try:
            target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            return handle
        if target.is_relative_to(media_root) and "w" in (args[0] if args else "r"):
            return _StallingFile(handle, marker, limit)
        return handle

    os.fdopen = fdopen  # type: ignore[assignment]


if __name__ == "__main__":
    marker_path, stall_after, *argv = sys.argv[1:]
    install(Path(marker_path), int(stall_after),
            Path(os.environ["TINHSO_MEDIA_ROOT"]).resolve())
    from tinhso.cli import main

    main(argv)
