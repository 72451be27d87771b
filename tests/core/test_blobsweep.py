"""`tinhso sweep-media` and `tinhso check-integrity` on real rows and real files."""

from __future__ import annotations

import json
import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.dossiers.conftest import pdf
from tinhso.core import blobs, blobsweep
from tinhso.dossiers import services
from tinhso.dossiers.models import Attachment

pytestmark = pytest.mark.django_db
OLD = time.time() - 10 * 24 * 3600


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def attachment(citizen, procedure, agency, media) -> Attachment:
    services.dossier_submit_online(acting_user=citizen, procedure_code=procedure.code,
                                   agency_code=agency.code, form_data={"ho_ten": "A"},
                                   files=[("to-khai", pdf())])
    row = Attachment.objects.get()
    os.utime(media / row.file.name, (OLD, OLD))
    return row


def orphan(media, content: bytes = b"%PDF-1.4\norphan\n", *, age: float = OLD) -> str:
    blob = blobs.put(content, area="dossiers")
    os.utime(media / blob.name, (age, age))
    return blob.name


def test_sweep_deletes_old_orphans_only(attachment, media):
    old = orphan(media)
    young = orphan(media, b"%PDF-1.4\nyoung\n", age=time.time())
    stray = media / "dossiers" / blobs.INCOMING / "left-by-a-crash"
    stray.write_bytes(b"half")
    os.utime(stray, (OLD, OLD))
    report = blobsweep.sweep_orphans(min_age=3600)
    assert report.deleted == [old] and report.temp_deleted == 1
    assert not (media / old).exists() and not stray.exists()
    assert (media / young).exists()
    assert (media / attachment.file.name).exists()  # referenced: kept however old


def test_dry_run_changes_nothing(attachment, media):
    old = orphan(media)
    out = call_command_output("sweep_media", "--dry-run", "--min-age", "60")
    assert f"would delete {old}" in out
    assert (media / old).exists()


def test_a_file_reused_while_the_sweep_runs_is_put_back(media, monkeypatch):
    """A request stores the same bytes after the sweep chose the file (its mtime refreshed just
    before the sweep moves it away): the sweep must notice and keep the file."""
    content = b"%PDF-1.4\nreused\n"
    name = orphan(media, content)
    original = blobsweep._sweep_one

    def racing(name_, path, **kwargs):
        blobs.put(content, area="dossiers")  # the in-flight request reusing the file
        return original(name_, path, **kwargs)

    monkeypatch.setattr(blobsweep, "_sweep_one", racing)
    report = blobsweep.sweep_orphans(min_age=3600)
    assert report.deleted == [] and report.restored == [name]
    assert (media / name).read_bytes() == content


def test_a_row_committed_while_the_sweep_runs_keeps_its_file(attachment, media, monkeypatch):
    name = attachment.file.name
    real = blobsweep.referenced
    calls = []

    def late_commit(names):  # the first look misses the row, as if it committed just after
        calls.append(1)
        return set() if len(calls) == 1 else real(names)

    monkeypatch.setattr(blobsweep, "referenced", late_commit)
    report = blobsweep.sweep_orphans(min_age=3600)
    assert report.restored == [name] and (media / name).exists()


def test_files_left_by_a_killed_sweep_are_put_back_or_deleted(attachment, media):
    """A sweep killed after moving files aside: the next one restores the referenced file and
    deletes the unreferenced one."""
    name = attachment.file.name
    old = orphan(media)
    for victim in (name, old):
        trash = blobsweep._trash_path(victim)
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(media / victim, trash)
    report = blobsweep.sweep_orphans(min_age=3600)
    assert report.restored == [name] and report.deleted == [old]
    assert (media / name).exists() and not (media / old).exists()
    assert list((media / blobsweep.SWEEP_DIR).iterdir()) == []


def test_check_integrity_passes_on_good_files_and_lists_orphans(attachment, media):
    old = orphan(media)
    out = call_command_output("check_integrity", "--json")
    report = json.loads(out)
    assert report["faults"] == [] and report["orphans"] == [old]
    assert report["checked_rows"] >= 1


@pytest.mark.parametrize("damage", ["missing", "size", "hash"])
def test_check_integrity_fails_on_any_fault(attachment, media, damage):
    path = media / attachment.file.name
    if damage == "missing":
        path.unlink()
    elif damage == "size":
        path.write_bytes(path.read_bytes()[:-3])
    else:
        data = path.read_bytes()
        path.write_bytes(data[:-1] + (b"x" if data[-1:] != b"x" else b"y"))
    with pytest.raises(CommandError) as info:
        call_command_output("check_integrity")
    assert info.value.returncode == 2
    report = blobsweep.check_integrity()
    assert [(f.model, f.name, f.problem) for f in report.faults] == [
        ("dossiers.Attachment", attachment.file.name, damage)]


def test_check_integrity_covers_drafts_and_signed_documents(citizen, procedure, agency, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.dossiers.conftest import PDF_BYTES
    from tinhso.portal import services as portal

    covered = {model._meta.label for model, _ in blobsweep.file_fields()}
    assert {"dossiers.Attachment", "portal.DraftFile", "documents.Document"} <= covered
    draft = portal.draft_create(acting_user=citizen, procedure=procedure)
    row = portal.draft_add_file(acting_user=citizen, draft=draft,
                                component=procedure.components.get(code="to-khai"),
                                upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    (media / row.file.name).write_bytes(b"%PDF-1.4 damaged")
    assert [(f.model, f.problem) for f in blobsweep.check_integrity().faults] == [
        ("portal.DraftFile", "size")]


def call_command_output(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
