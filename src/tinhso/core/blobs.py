"""Content-addressed file store: atomic writes, verified reads, deletion only by a sweep.

A stored file (blob) is named by the SHA-256 of its bytes: ``<area>/<sha[:2]>/<sha><suffix>``
under ``MEDIA_ROOT``. The rules, each learned from a way files were lost (issue 9):

- **Atomic writes.** Bytes go to a temporary file in ``<area>/.incoming/`` (same file system),
  are hashed as they are written, fsynced, then renamed onto the final name and the directory
  is fsynced. A crash leaves at worst a stray temporary file, never a short file under a hash.
- **Existing files are verified, not trusted.** When the name exists already its size and hash
  are checked; a damaged file is replaced by the good bytes being stored.
- **No deletion in a request.** A request that fails leaves its new files behind: they may be
  the very files a concurrent request just committed. ``sweep_orphans`` (in ``blobsweep``)
  deletes files no committed row references once they are older than a grace period.
- **Verified reads.** ``open_verified`` hashes the file before it is served; a file whose
  bytes no longer match is never served and is reported (log + audit row).

Storing refreshes the file's modification time: the sweep's grace period counts from the last
time a request relied on the file, so a file reused by an in-flight transaction is not swept.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from tinhso.core.errors import DomainError

log = logging.getLogger("tinhso.storage")
CHUNK = 1024 * 1024
INCOMING = ".incoming"


@dataclass(frozen=True)
class Blob:
    name: str  # relative to MEDIA_ROOT, as stored in a FileField
    sha256: str
    size: int


class StoredFileUnavailable(DomainError):
    """A referenced file is missing or its bytes do not match its hash: a server-side fault."""

    status = 500

    def __init__(self, name: str, problem: str, details: dict[str, object]) -> None:
        super().__init__(
            "FILE_DAMAGED" if problem != "missing" else "FILE_MISSING",
            "Tệp lưu trữ bị hỏng hoặc bị mất; quản trị hệ thống đã được báo. "
            "Vui lòng liên hệ cơ quan tiếp nhận.",
            "The stored file is damaged or missing; the administrators have been told.",
            {"problem": problem, **details},
        )
        self.name = name
        self.problem = problem


class StorageFull(DomainError):
    """The file system holding the stored files is full (or over quota): nothing was stored,
    nothing else of the request is written; the user may try again later."""

    status = 507

    def __init__(self) -> None:
        super().__init__(
            "STORAGE_FULL",
            "Máy chủ tạm thời hết chỗ lưu tệp nên chưa lưu được gì. Vui lòng thử lại sau; "
            "quản trị hệ thống đã được báo.",
            "The server has run out of storage space, so nothing was saved. Please try again "
            "later; the administrators have been told.")


# "No space left on device" and "disk quota exceeded".
_FULL = {errno.ENOSPC, errno.EDQUOT}


def root() -> Path:
    return Path(settings.MEDIA_ROOT)


def path_of(name: str) -> Path:
    return root() / name


def blob_name(area: str, sha256: str, suffix: str = "") -> str:
    return f"{area}/{sha256[:2]}/{sha256}{suffix}"


def file_digest(path: Path) -> tuple[int, str]:
    """(size, SHA-256) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _matches(path: Path, sha256: str, size: int) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        return file_digest(path) == (size, sha256)
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(area_dir: Path, content: bytes) -> tuple[Path, str]:
    """Write ``content`` to a new temporary file, hashing exactly the bytes written; fsync."""
    incoming = area_dir / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    temp = incoming / uuid.uuid4().hex
    digest = hashlib.sha256()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as handle:
            view = memoryview(content)
            for start in range(0, len(view), CHUNK):
                chunk = view[start:start + CHUNK]
                handle.write(chunk)
                digest.update(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digest.hexdigest()


def put(content: bytes, *, area: str, sha256: str | None = None, suffix: str = "") -> Blob:
    """Store ``content`` under its hash in ``area``; return its name. Safe to call concurrently.

    ``sha256`` (when the caller hashed the upload already) must match the bytes written, else
    nothing is stored and ``ValueError`` is raised.
    """
    size = len(content)
    if sha256 is not None:
        target = path_of(blob_name(area, sha256, suffix))
        if _reuse(target, sha256, size):
            return Blob(blob_name(area, sha256, suffix), sha256, size)
    try:
        return _put(content, area=area, sha256=sha256, suffix=suffix, size=size)
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        log.critical("storage full under %s: %s", root(), exc)
        raise StorageFull() from exc


def _put(content: bytes, *, area: str, sha256: str | None, suffix: str, size: int) -> Blob:
    temp, written = _write_temp(root() / area, content)
    if sha256 is not None and written != sha256:
        temp.unlink(missing_ok=True)
        raise ValueError(f"content hashed {written} while written, expected {sha256}")
    name = blob_name(area, written, suffix)
    target = path_of(name)
    if sha256 is None and _reuse(target, written, size):
        temp.unlink(missing_ok=True)
        return Blob(name, written, size)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)
    _fsync_dir(target.parent)
    _fsync_dir(target.parent.parent)
    return Blob(name, written, size)


def _reuse(target: Path, sha256: str, size: int) -> bool:
    """True when ``target`` holds these bytes already (its mtime is then refreshed).

    The mtime is refreshed *before* the check: a sweep that moved the file away in between
    makes ``utime`` fail, and the caller writes the file again (see ``blobsweep``).
    """
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    if _matches(target, sha256, size):
        return True
    log.error("stored file %s does not match its hash; replacing it with the uploaded bytes",
              target)
    return False


def open_verified(name: str, *, sha256: str, size: int) -> BinaryIO:
    """Open a stored file for serving after checking its size and hash.

    The bytes are hashed through the same open handle that is then rewound and served, so a
    file replaced meanwhile cannot slip through unverified. Raises ``StoredFileUnavailable``
    (reported) when the file is missing or damaged.
    """
    try:
        handle = open(path_of(name), "rb")  # noqa: SIM115 (returned to the caller)
    except FileNotFoundError:
        raise _report(name, "missing", {"expected_sha256": sha256}) from None
    try:
        digest = hashlib.sha256()
        got = 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            got += len(chunk)
        if got != size or digest.hexdigest() != sha256:
            raise _report(name, "damaged", {"expected_sha256": sha256, "expected_size": size,
                                            "actual_sha256": digest.hexdigest(),
                                            "actual_size": got})
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def _report(name: str, problem: str, details: dict[str, object]) -> StoredFileUnavailable:
    """Log and audit a stored file that cannot be served; the audit row is what operators see
    in the admin (``file_missing`` / ``file_damaged``), besides ``tinhso check-integrity``."""
    from tinhso.accounts.models import AuditLog

    log.error("stored file %s is %s: %s", name, problem, details)
    try:
        AuditLog.objects.create(actor=None, action=f"file_{problem}", object_type="file",
                                object_id=name[-60:], data={"name": name, **details})
    except Exception:  # the report must not hide the fault it reports
        log.exception("could not write the audit row for %s", name)
    return StoredFileUnavailable(name, problem, details)
