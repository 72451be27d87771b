"""``tinhso backup`` and ``tinhso restore``: take and restore the archive of ``core/backup.py``.

Restore goes into an EMPTY database and an EMPTY media directory only (it never merges into or
overwrites a running installation), extracts into a temporary directory beside the target first,
checks every member against the manifest (the archive's last member), and only then moves the
database and the files into place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from tinhso.core.backup import (
    BackupError,
    DecryptingReader,
    EncryptingWriter,
    Member,
    sha256_file,
)

FORMAT = 1


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return path


def _pg_args() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432),
            "-U", str(db.get("USER") or "postgres")]
    return args, env


def _dump_database(workdir: Path) -> tuple[str, Path]:
    vendor = connection.vendor
    if vendor == "sqlite":
        target = workdir / "tinhso.sqlite3"
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        copy = sqlite3.connect(str(target))
        with copy:
            source.backup(copy)  # SQLite's online backup: a consistent snapshot while serving
        copy.close()
        source.close()
        return vendor, target
    if vendor == "postgresql":
        target = workdir / "tinhso.pgdump"
        args, env = _pg_args()
        subprocess.run([_tool("pg_dump"), *args, "-Fc", "--no-owner", "-f", str(target),  # noqa: S603
                        str(connection.settings_dict["NAME"])], env=env, check=True)
        return vendor, target
    raise BackupError(f"unsupported database {vendor}")


def make_backup(dest: Path, passphrase: str) -> dict[str, Any]:
    """Write the archive to ``dest`` (atomically: a temporary file renamed at the end)."""
    media_root = Path(settings.MEDIA_ROOT)
    members: list[Member] = []
    partial = dest.with_name(dest.name + ".partial")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        vendor, db_file = _dump_database(Path(tmp))
        with open(partial, "wb") as raw:
            writer = EncryptingWriter(raw, passphrase)
            with tarfile.open(fileobj=writer, mode="w|gz") as tar:
                digest, size = sha256_file(str(db_file))
                name = f"database/{db_file.name}"
                tar.add(str(db_file), arcname=name)
                members.append(Member(name, size, digest))
                for path in sorted(media_root.rglob("*")) if media_root.exists() else []:
                    if not path.is_file() or path.name.endswith((".tmp", ".partial")):
                        continue
                    digest, size = sha256_file(str(path))
                    name = f"media/{path.relative_to(media_root).as_posix()}"
                    tar.add(str(path), arcname=name)
                    members.append(Member(name, size, digest))
                manifest = {
                    "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "database": vendor, "migrations": _migrations(),
                    "members": [m.__dict__ for m in members],
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                tar.addfile(info, fileobj=_bytes(data))
            writer.close()
    os.replace(partial, dest)
    return {"database": vendor, "files": len(members) - 1,
            "bytes": dest.stat().st_size, "members": len(members)}


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return latest


def _extract(src: Path, passphrase: str, into: Path) -> dict[str, Any]:
    """Extract and check every member; return the manifest. Raises BackupError on any fault."""
    seen: dict[str, tuple[str, int]] = {}
    manifest: dict[str, Any] | None = None
    with open(src, "rb") as raw:
        reader = DecryptingReader(raw, passphrase)
        try:
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:
                for info in tar:
                    if not info.isfile():
                        continue
                    name = info.name
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise BackupError(f"unsafe path in the archive: {name}")
                    handle = tar.extractfile(info)
                    assert handle is not None
                    if name == "manifest.json":
                        manifest = json.loads(handle.read())
                        continue
                    target = into / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        shutil.copyfileobj(handle, out, 1024 * 1024)
                    seen[name] = sha256_file(str(target))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"the archive cannot be read: {exc}") from exc
    if manifest is None or manifest.get("format") != FORMAT:
        raise BackupError("the archive has no manifest (cut off?)")
    for member in manifest["members"]:
        if seen.get(member["name"]) != (member["sha256"], member["size"]):
            raise BackupError(f"{member['name']} does not match the manifest")
    if len(seen) != len(manifest["members"]):
        raise BackupError("the archive holds members the manifest does not list")
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore_backup(src: Path, passphrase: str, *, check_only: bool = False) -> dict[str, Any]:
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media_root.parent) as tmp:
        manifest = _extract(src, passphrase, Path(tmp))
        summary = {"database": manifest["database"], "created_at": manifest["created_at"],
                   "files": len(manifest["members"]) - 1}
        if check_only:
            return summary
        if manifest["database"] != connection.vendor:
            raise BackupError(f"the archive holds a {manifest['database']} database; "
                              f"this installation uses {connection.vendor}")
        if media_root.exists() and any(media_root.iterdir()):
            raise BackupError(f"{media_root} is not empty: restore only into an empty one")
        if not _database_is_empty():
            raise BackupError("the database is not empty: restore only into an empty one")
        _restore_database(Path(tmp) / "database", manifest["database"])
        source_media = Path(tmp) / "media"
        if source_media.exists():
            if media_root.exists():
                media_root.rmdir()
            shutil.move(str(source_media), str(media_root))
        return summary


def _restore_database(folder: Path, vendor: str) -> None:
    if vendor == "sqlite":
        target = Path(str(connection.settings_dict["NAME"]))
        connection.close()
        # The empty target may be an empty file or hold only an empty WAL: replace all three.
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(folder / "tinhso.sqlite3", f"{target}.restoring")
        os.replace(f"{target}.restoring", target)
        return
    args, env = _pg_args()
    connection.close()
    subprocess.run([_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "-d",  # noqa: S603
                    str(connection.settings_dict["NAME"]), str(folder / "tinhso.pgdump")],
                   env=env, check=True)
