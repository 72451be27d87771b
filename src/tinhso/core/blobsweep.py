"""Sweeping unreferenced stored files, and checking every referenced one.

A file is *referenced* when any row of any model holds its name in a ``FileField`` (found by
introspection, so a new file field is covered without touching this module). Requests never
delete files (``tinhso.core.blobs``); this sweep does, under a protocol that cannot remove a
file a committed or in-flight row relies on:

1. candidates: files in the store areas, older than the grace period, referenced by no row;
2. each candidate is *moved* into ``.sweep/`` (atomic rename) — a request that wants the file
   from now on finds it missing and writes it again;
3. after the move the file's mtime and the rows are looked at again: a request that reused
   the file just before the move refreshed its mtime, a transaction that committed since step 1
   shows up as a reference; either way the file is linked back;
4. only then is it unlinked.

A sweep killed between 2 and 4 leaves the file in ``.sweep/`` under a name that carries its
original one; the next sweep finishes the decision first (``_recover_trash``).

Temporary files of interrupted writes (``<area>/.incoming/``) older than the grace period go too.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import models

from tinhso.core import blobs

AREAS = ("dossiers", "documents", "drafts")
SWEEP_DIR = ".sweep"
TRASH_SEP = "~"  # never in a stored name (area/xx/sha[.pdf], drafts/uuid)
DEFAULT_MIN_AGE = 24 * 3600
BATCH = 500


def file_fields() -> list[tuple[type[models.Model], str]]:
    return [(model, f.name) for model in apps.get_models() for f in model._meta.get_fields()
            if isinstance(f, models.FileField) and f.concrete]


def referenced(names: Iterable[str]) -> set[str]:
    """Which of ``names`` a committed row references (batched queries)."""
    wanted = list(names)
    found: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        for model, name in file_fields():
            found.update(model._default_manager.filter(**{f"{name}__in": batch})
                         .values_list(name, flat=True))
    return found


def stored_files() -> Iterator[tuple[str, Path]]:
    """(name, path) of every file in the store areas, temporary files excluded."""
    base = blobs.root()
    for area in AREAS:
        top = base / area
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for filename in filenames:
                path = Path(dirpath) / filename
                yield path.relative_to(base).as_posix(), path


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)
    kept_recent: int = 0
    kept_referenced: int = 0
    restored: list[str] = field(default_factory=list)
    temp_deleted: int = 0
    bytes_freed: int = 0


def sweep_orphans(*, dry_run: bool = False, min_age: float = DEFAULT_MIN_AGE,
                  now: float | None = None) -> SweepReport:
    """Delete stored files no committed row references and older than ``min_age`` seconds.

    A periodic job calls this (jobs helper); ``tinhso sweep-media`` runs it by hand.
    ``dry_run`` lists what would go and changes nothing.
    """
    now = time.time() if now is None else now
    report = SweepReport()
    if not dry_run:
        _recover_trash(min_age=min_age, report=report)
    old: dict[str, Path] = {}
    for name, path in stored_files():
        try:
            if now - path.stat().st_mtime < min_age:
                report.kept_recent += 1
                continue
        except FileNotFoundError:
            continue
        old[name] = path
    refs = referenced(old)
    report.kept_referenced = len(refs)
    for name in sorted(set(old) - refs):
        if dry_run:
            report.deleted.append(name)
            report.bytes_freed += old[name].stat().st_size
            continue
        _sweep_one(name, old[name], min_age=min_age, report=report)
    _sweep_incoming(now=now, min_age=min_age, dry_run=dry_run, report=report)
    return report


def _trash_path(name: str) -> Path:
    # The original name travels in the trash file's name, so a sweep that was killed between the
    # move and the decision can finish the job next time (``_recover_trash``).
    return blobs.root() / SWEEP_DIR / f"{uuid.uuid4().hex}{TRASH_SEP}{name.replace('/', TRASH_SEP)}"


def _sweep_one(name: str, path: Path, *, min_age: float, report: SweepReport) -> None:
    trash = _trash_path(name)
    trash.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    _decide(trash, name, path, min_age=min_age, report=report)


def _decide(trash: Path, name: str, path: Path, *, min_age: float,
            report: SweepReport) -> None:
    stat = trash.stat()
    if time.time() - stat.st_mtime < min_age or referenced([name]):
        # Reused (mtime refreshed) or committed since the candidates were chosen: put it back.
        # link() never overwrites: a request that meanwhile wrote the same bytes keeps its copy.
        with contextlib.suppress(FileExistsError):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.link(trash, path)
        trash.unlink()
        report.restored.append(name)
        return
    trash.unlink()
    report.deleted.append(name)
    report.bytes_freed += stat.st_size


def _recover_trash(*, min_age: float, report: SweepReport) -> None:
    """Finish the files a killed sweep left in ``.sweep/``: back if needed, else delete."""
    directory = blobs.root() / SWEEP_DIR
    if not directory.is_dir():
        return
    for trash in directory.iterdir():
        _, sep, encoded = trash.name.partition(TRASH_SEP)
        if not sep or not encoded:
            continue
        name = encoded.replace(TRASH_SEP, "/")
        _decide(trash, name, blobs.path_of(name), min_age=min_age, report=report)


def _sweep_incoming(*, now: float, min_age: float, dry_run: bool, report: SweepReport) -> None:
    base = blobs.root()
    for directory in (base / area / blobs.INCOMING for area in AREAS):
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                if now - path.stat().st_mtime < min_age:
                    continue
                if not dry_run:
                    path.unlink()
            except FileNotFoundError:
                continue
            report.temp_deleted += 1


# --- integrity check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    model: str
    pk: object
    name: str
    problem: str  # missing | size | hash
    detail: str = ""


@dataclass
class IntegrityReport:
    checked_rows: int = 0
    checked_files: int = 0
    faults: list[Fault] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def check_integrity(*, list_orphans: bool = True) -> IntegrityReport:
    """Every referenced file exists and has the size and SHA-256 its row records.

    Rows without ``sha256``/``size`` fields are checked for existence only. A file shared by
    several rows is read once per distinct (name, size, hash).
    """
    report = IntegrityReport()
    verdicts: dict[tuple[str, int | None, str | None], tuple[str, str] | None] = {}
    for model, field_name in file_fields():
        names = {f.name for f in model._meta.concrete_fields}
        columns = ["pk", field_name] + [c for c in ("size", "sha256") if c in names]
        for row in model._default_manager.order_by().values_list(*columns).iterator():
            values = dict(zip(columns, row, strict=True))
            name = values[field_name]
            if not name:
                continue
            report.checked_rows += 1
            key = (name, values.get("size"), values.get("sha256"))
            if key not in verdicts:
                verdicts[key] = _verdict(*key)
                report.checked_files += 1
            problem = verdicts[key]
            if problem is not None:
                report.faults.append(Fault(model._meta.label, values["pk"], name, *problem))
    if list_orphans:
        all_names = dict(stored_files())
        report.orphans = sorted(set(all_names) - referenced(all_names))
    return report


def _verdict(name: str, size: int | None, sha256: str | None) -> tuple[str, str] | None:
    path = blobs.path_of(name)
    try:
        actual_size = path.stat().st_size
    except FileNotFoundError:
        return "missing", ""
    if size is not None and actual_size != size:
        return "size", f"{actual_size} bytes, expected {size}"
    if sha256:
        _, digest = blobs.file_digest(path)
        if digest != sha256:
            return "hash", f"sha256 {digest}, expected {sha256}"
    return None
