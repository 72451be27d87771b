"""The content-addressed store (tinhso.core.blobs): atomic writes, damaged files replaced,
verified reads that refuse and report bad bytes."""

from __future__ import annotations

import hashlib
import os

import pytest

from tinhso.accounts.models import AuditLog
from tinhso.core import blobs

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4\n" + bytes(range(256)) * 4096 + b"\n%%EOF\n"  # 1 MiB and a bit
SHA = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_put_names_the_file_by_its_hash_and_leaves_no_temporary_file(media):
    blob = blobs.put(CONTENT, area="dossiers")
    assert blob == blobs.Blob(f"dossiers/{SHA[:2]}/{SHA}", SHA, len(CONTENT))
    assert (media / blob.name).read_bytes() == CONTENT
    assert list((media / "dossiers" / blobs.INCOMING).iterdir()) == []


def test_a_truncated_file_under_the_hash_is_replaced_by_the_good_bytes(media):
    """The kill -9 repro at unit level: a short file sits under the full file's name."""
    target = media / blobs.blob_name("dossiers", SHA)
    target.parent.mkdir(parents=True)
    target.write_bytes(CONTENT[: len(CONTENT) // 2])
    blob = blobs.put(CONTENT, area="dossiers", sha256=SHA)
    assert (media / blob.name).read_bytes() == CONTENT


def test_a_same_size_file_with_other_bytes_is_replaced_too(media):
    target = media / blobs.blob_name("dossiers", SHA)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"X" * len(CONTENT))
    blobs.put(CONTENT, area="dossiers", sha256=SHA)
    assert target.read_bytes() == CONTENT


def test_a_good_existing_file_is_reused_and_its_mtime_refreshed(media):
    blob = blobs.put(CONTENT, area="dossiers")
    path = media / blob.name
    os.utime(path, (1_000_000, 1_000_000))
    inode = path.stat().st_ino
    blobs.put(CONTENT, area="dossiers", sha256=SHA)
    assert path.stat().st_ino == inode  # not rewritten
    assert path.stat().st_mtime > 1_000_000  # but the sweep's grace period starts again


def test_bytes_that_do_not_hash_to_the_claimed_sha_are_not_stored(media):
    with pytest.raises(ValueError):
        blobs.put(CONTENT, area="dossiers", sha256="0" * 64)
    assert not (media / blobs.blob_name("dossiers", "0" * 64)).exists()
    assert list((media / "dossiers" / blobs.INCOMING).iterdir()) == []


def test_open_verified_serves_good_bytes(media):
    blob = blobs.put(CONTENT, area="dossiers")
    with blobs.open_verified(blob.name, sha256=SHA, size=len(CONTENT)) as handle:
        assert handle.read() == CONTENT


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_open_verified_refuses_and_reports_damaged_or_missing_files(media, damage, caplog):
    blob = blobs.put(CONTENT, area="dossiers")
    path = media / blob.name
    if damage == "truncate":
        path.write_bytes(CONTENT[:100])
    elif damage == "flip":
        path.write_bytes(CONTENT[:-1] + b"?")
    else:
        path.unlink()
    with pytest.raises(blobs.StoredFileUnavailable) as info:
        blobs.open_verified(blob.name, sha256=SHA, size=len(CONTENT))
    assert info.value.code == ("FILE_MISSING" if damage == "delete" else "FILE_DAMAGED")
    assert info.value.status == 500
    audit = AuditLog.objects.get()
    assert audit.action in ("file_missing", "file_damaged") and audit.data["name"] == blob.name
    assert any(blob.name in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
