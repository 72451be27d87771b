"""Benchmark: the cost of verifying a stored file's hash before serving it, and of the
atomic write, beside the baselines (read without hashing; Django's in-place storage write).

    .venv/bin/python bench/blobs.py [--sizes 1,12,20] [--repeat 20]

Runs in a temporary MEDIA_ROOT (removed at the end); needs no database. Prints, per file size,
the median milliseconds of:

- serve: ``blobs.open_verified`` + reading the handle (what a download does) vs a plain
  ``open`` + read (the old code);
- store: ``blobs.put`` of new content (temp file, hash while writing, fsync, rename, fsync
  of the directory) vs ``FileSystemStorage.save`` (in place, no fsync);
- reuse: ``blobs.put`` of content already stored (size + hash check, mtime refresh).

The page cache is warm for reads (the common case for a file just uploaded or often viewed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def median_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(mib: int, folder: Path, storage: Any, repeat: int) -> list[float]:
    from django.core.files.base import ContentFile

    from tinhso.core import blobs

    content = os.urandom(mib * 1024 * 1024)
    blob = blobs.put(content, area="bench")
    path = folder / blob.name
    counter = iter(range(10**9))

    def serve() -> None:
        with blobs.open_verified(blob.name, sha256=blob.sha256, size=blob.size) as f:
            while f.read(blobs.CHUNK):
                pass

    def plain() -> None:
        with open(path, "rb") as f:
            while f.read(blobs.CHUNK):
                pass

    def put_new() -> None:
        blobs.put(next(counter).to_bytes(8, "big") + content, area="bench-new")

    def save() -> None:
        storage.save(f"f{next(counter)}", ContentFile(content))

    def reuse() -> None:
        blobs.put(content, area="bench", sha256=blob.sha256)

    return [median_ms(f, repeat) for f in (serve, plain, put_new, save, reuse)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,12,20", help="MiB, comma-separated")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tinhso-bench-blobs-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    os.environ["TINHSO_MEDIA_ROOT"] = str(folder)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=folder / "baseline")
    print(f"{'MiB':>4} {'serve verified':>15} {'plain read':>11} {'put new':>9} "
          f"{'storage.save':>13} {'put reuse':>10}   (median ms, {args.repeat} runs)")
    try:
        for mib in (int(s) for s in args.sizes.split(",")):
            row = measure(mib, folder, storage, args.repeat)
            print(f"{mib:>4} {row[0]:>15.1f} {row[1]:>11.1f} {row[2]:>9.1f} {row[3]:>13.1f} "
                  f"{row[4]:>10.1f}")
            shutil.rmtree(folder / "bench-new", ignore_errors=True)
            shutil.rmtree(folder / "baseline", ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
