"""The disk full during an upload: a clear error, nothing half-written, and the same request
succeeds once there is room again.

The stored files live on a small real file system (a 2 MiB tmpfs mounted by the test; needs
root, as in CI) that a filler file has almost filled. A citizen's submission with a 600 KiB
attachment then gets ``507 STORAGE_FULL`` (Vietnamese and English message); no dossier, event
or attachment row exists, and no temporary file is left behind. The operator frees space; the
citizen retries with the same ``Idempotency-Key`` and gets one dossier whose file downloads
intact.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.dossiers.test_api import bearer, post_submission
from tinhso.dossiers.models import Attachment, Dossier, DossierEvent

pytestmark = pytest.mark.django_db


def _pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    tail = (b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    body = b"%" + bytes((i * 7919) % 251 + 1 for i in range(size - len(head) - len(tail) - 2))
    return head + body + b"\n" + tail


@pytest.fixture
def small_disk(tmp_path, settings):
    if os.geteuid() != 0:
        pytest.fail("needs root to mount a small tmpfs (CI runs as root)")
    mount = tmp_path / "media"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True,
                   timeout=30)
    settings.MEDIA_ROOT = str(mount)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def _fill(mount: Path, leave: int) -> Path:
    filler = mount / "filler.bin"
    stat = os.statvfs(mount)
    free = stat.f_bavail * stat.f_frsize
    filler.write_bytes(b"\0" * max(0, free - leave))
    return filler


def _files(mount: Path) -> list[Path]:
    return [p for p in mount.rglob("*") if p.is_file() and p.name != "filler.bin"]


def test_full_disk_refuses_cleanly_then_the_retry_succeeds(small_disk, citizen, procedure,
                                                           agency):
    filler = _fill(small_disk, leave=200 * 1024)
    content = _pdf(600 * 1024)
    client = Client()
    auth = bearer(citizen)
    payload = {"procedure": procedure.code, "agency": agency.code,
               "form_data": {"ho_ten": "Lê Văn Cường"}}

    def submit():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return post_submission(
            client, auth, payload,
            files={"to-khai": SimpleUploadedFile("to-khai.pdf", content, "application/pdf")},
            HTTP_IDEMPOTENCY_KEY="disk-full-retry-0001")

    refused = submit()
    assert refused.status_code == 507, refused.content
    body = refused.json()
    assert body["code"] == "STORAGE_FULL" and "hết chỗ" in body["message_vi"]
    assert body["message_en"]
    assert not (Dossier.objects.exists() or DossierEvent.objects.exists()
                or Attachment.objects.exists())
    assert _files(small_disk) == []  # no truncated or temporary file left behind

    filler.unlink()  # the operator frees space
    accepted = submit()
    assert accepted.status_code == 201, accepted.content
    assert submit().json()["code"] == accepted.json()["code"]  # the same key: the same dossier
    attachment = Attachment.objects.get()
    stored = small_disk / attachment.file.name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == attachment.sha256
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
