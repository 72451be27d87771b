"""``tinhso audit-deps``: fail when an installed dependency has a known vulnerability.

``make test`` runs it. Live first (pip-audit against PyPI's vulnerability data), else the
committed PyPA advisory snapshot, whose age is printed; ``--max-age-days`` turns a stale snapshot
into a failure. ``--build-snapshot VULNS_DIR`` refreshes the snapshot (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core import depaudit


def _pypi_vulnerability_api_reachable(package: str, version: str) -> bool:
    """pip-audit's default service reads ``/pypi/<name>/<version>/json``; some mirrors and
    proxies answer the project page but not the per-release one (404), so probe that one."""
    try:
        r = httpx.get(f"https://pypi.org/pypi/{package}/{version}/json", timeout=5.0)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and "vulnerabilities" in r.json()


class Command(BaseCommand):
    help = ("Kiểm tra lỗ hổng đã biết của các gói phụ thuộc. Audit the installed dependencies "
            "against known vulnerabilities (pip-audit when reachable, else the PyPA snapshot).")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", choices=["auto", "live", "snapshot"], default="auto",
                            help="auto: pip-audit if PyPI's vulnerability API answers, else the "
                                 "snapshot; live: pip-audit or fail; snapshot: offline only")
        parser.add_argument("--snapshot", type=Path, default=depaudit.SNAPSHOT_PATH)
        parser.add_argument("--max-age-days", type=int, default=0,
                            help="fail when the snapshot is older than this (0: only warn)")
        parser.add_argument("--build-snapshot", type=Path, metavar="VULNS_DIR",
                            help="write --snapshot from a PyPA advisory-database checkout's "
                                 "vulns/ directory, for our dependency closure")
        parser.add_argument("--commit", default="", help="with --build-snapshot: its commit")
        parser.add_argument("--date", default="", help="with --build-snapshot: commit date")

    def handle(self, *args: Any, **opts: Any) -> None:
        installed = depaudit.dependency_closure()
        if opts["build_snapshot"]:
            self._build(opts, sorted(installed))
            return
        live = opts["source"] != "snapshot"
        if live and self._live(installed, required=opts["source"] == "live"):
            return
        self._offline(installed, opts["snapshot"], opts["max_age_days"])

    def _build(self, opts: dict[str, Any], names: list[str]) -> None:
        from tinhso.core import depaudit_snapshot

        taken = dt.date.fromisoformat(opts["date"][:10]) if opts["date"] else dt.date.today()
        snap = depaudit_snapshot.build(opts["build_snapshot"], names, commit=opts["commit"],
                                       taken=taken)
        depaudit_snapshot.write(snap, opts["snapshot"])
        count = sum(len(v) for v in snap["packages"].values())
        self.stdout.write(f"{opts['snapshot']}: {count} advisories for {len(names)} packages")

    def _live(self, installed: dict[str, str], *, required: bool) -> bool:
        tool = shutil.which("pip-audit") or shutil.which("pip-audit", path=str(
            Path(sys.executable).parent))
        probe = ("django", installed.get("django", "5.2"))
        missing = ("pip-audit is not installed" if tool is None
                   else "PyPI's vulnerability API is not reachable"
                   if not _pypi_vulnerability_api_reachable(*probe) else "")
        if missing or tool is None:
            if required:
                raise CommandError(f"live audit impossible: {missing}.")
            self.stdout.write(f"live audit unavailable ({missing}): using the snapshot")
            return False
        reqs = "\n".join(f"{n}=={v}" for n, v in sorted(installed.items()))
        done = subprocess.run(  # noqa: S603 - our own requirement list, no shell
            [tool, "--no-deps", "--disable-pip", "-r", "/dev/stdin"], input=reqs, text=True,
            capture_output=True, timeout=600, check=False)
        self.stdout.write(done.stdout)
        if done.returncode != 0:
            raise CommandError(f"pip-audit found vulnerabilities or failed:\n{done.stderr}")
        return True

    def _offline(self, installed: dict[str, str], path: Path, max_age: int) -> None:
        snap = depaudit.load_snapshot(path)
        age = depaudit.snapshot_age_days(snap)
        self.stdout.write(f"advisory snapshot {snap['snapshot_date']} ({age} days old) from "
                          f"{snap['source']} @ {snap['source_commit'][:12]}; "
                          f"{len(installed)} packages checked")
        for name in depaudit.uncovered(installed, snap):
            self.stdout.write(f"not in the snapshot (refresh it): {name}")
        findings = depaudit.audit(installed, snap)
        for f in findings:
            self.stdout.write(f"VULNERABLE {f.line()}")
        if findings:
            raise CommandError(f"{len(findings)} known vulnerabilit(y/ies) in installed "
                               "dependencies: upgrade the pins in pyproject.toml.")
        if max_age and age > max_age:
            raise CommandError(f"the advisory snapshot is {age} days old (limit {max_age}): "
                               "refresh it (docs/security.md).")
        self.stdout.write("no known vulnerability in the installed dependencies")
