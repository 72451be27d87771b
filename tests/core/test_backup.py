"""Backup while writing, restore into an empty installation, everything committed is there.

Real processes, as an operator runs them: a writer submitting dossiers with files, ``tinhso
backup`` taken meanwhile, ``tinhso restore`` into a fresh database and media directory, then
the restored copy checked (every dossier committed before the backup began, every file with its
hash) and ``tinhso ioc verify``. The database is SQLite or PostgreSQL, as the test run's
DATABASE_URL (CI runs both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tinhso.core import backup

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "mat-khau-sao-luu-thu-nghiem"


def _pg_admin_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url.rsplit("/", 1)[0] + "/postgres" if url.startswith("postgres") else None


def _fresh_database(tmp: Path, name: str) -> str:
    admin = _pg_admin_url()
    if admin is None:
        return f"sqlite:///{tmp / name}.sqlite3"
    import psycopg

    db = f"tinhso_bk_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    return admin.rsplit("/", 1)[0] + f"/{db}"


def _drop(url: str) -> None:
    admin = _pg_admin_url()
    if admin and url.startswith("postgres"):
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}" with (force)')


def _env(url: str, var: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "TINHSO_VAR_DIR": str(var),
            "TINHSO_MEDIA_ROOT": str(var / "media"), "TINHSO_BACKUP_PASSPHRASE": PASSPHRASE,
            "TINHSO_ISSUE_DOCUMENTS": "false", "DJANGO_SETTINGS_MODULE": "tinhso.settings"}


def _tinhso(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "tinhso.cli", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(f"tinhso {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _check(env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "tests/core/scripts/backup_check.py"], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_backup_during_writes_restores_everything(tmp_path):
    src_url, dst_url = _fresh_database(tmp_path, "src"), _fresh_database(tmp_path, "dst")
    src, dst = _env(src_url, tmp_path / "src"), _env(dst_url, tmp_path / "dst")
    try:
        _tinhso(src, "migrate", "--noinput")
        log, stop = tmp_path / "committed.log", tmp_path / "stop"
        writer = subprocess.Popen([sys.executable, "tests/core/scripts/backup_writer.py",
                                   str(log), str(stop)], env=src, cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while (not log.exists() or len(log.read_text().splitlines()) < 10):
                assert writer.poll() is None, "the writer died"
                assert time.monotonic() < deadline, "the writer committed nothing"
                time.sleep(0.2)
            started = time.time()
            archive = tmp_path / "tinhso.tsb"
            _tinhso(src, "backup", str(archive))  # while the writer keeps writing
            time.sleep(0.5)
        finally:
            stop.touch()
            writer.wait(60)
        before = {line.split()[1] for line in log.read_text().splitlines()
                  if float(line.split()[0]) < started}
        assert len(before) >= 10

        assert "verified" in _tinhso(dst, "restore", "--check", str(archive)).stdout
        _tinhso(dst, "restore", str(archive))
        restored = _check(dst)
        assert before <= set(restored["codes"])  # every dossier committed before the backup
        assert restored["bad"] == [] and restored["attachments"] == len(restored["codes"])
        _tinhso(dst, "migrate", "--noinput")
        _tinhso(dst, "check-integrity")  # every referenced file exists with its size and hash
        _tinhso(dst, "ioc", "verify")
        # Restore refuses a non-empty installation.
        again = _tinhso(dst, "restore", str(archive), check=False)
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        _drop(src_url)
        _drop(dst_url)


def test_archive_is_authenticated_and_complete(tmp_path):
    """Wrong passphrase, an altered byte, a cut-off end, a dropped frame: each is refused."""
    path = tmp_path / "a.bin"
    payload = os.urandom(backup.CHUNK * 2 + 1234)
    with open(path, "wb") as raw:
        writer = backup.EncryptingWriter(raw, PASSPHRASE)
        writer.write(payload)
        writer.close()
    data = path.read_bytes()

    def read(blob: bytes, passphrase: str = PASSPHRASE) -> bytes:
        import io

        return b"".join(backup.decrypted_chunks(io.BytesIO(blob), passphrase))

    assert read(data) == payload
    assert payload[:100] not in data  # encrypted
    with pytest.raises(backup.BackupError, match="passphrase"):
        read(data, "mot-mat-khau-khac-han")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 1
    with pytest.raises(backup.BackupError):
        read(bytes(flipped))
    with pytest.raises(backup.BackupError, match="truncated"):
        read(data[: len(data) - 5000])
    header_end = data.index(b"\n", len(backup.MAGIC)) + 1
    first = int.from_bytes(data[header_end:header_end + 4], "big") + 16
    with pytest.raises(backup.BackupError):
        read(data[:header_end] + data[header_end + first:])  # the first frame dropped
    with open(tmp_path / "b", "wb") as raw, pytest.raises(backup.BackupError):
        backup.EncryptingWriter(raw, "short")
