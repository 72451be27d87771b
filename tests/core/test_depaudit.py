"""`tinhso audit-deps`: the dependency audit must fail on a known vulnerability."""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tinhso.core import depaudit, depaudit_snapshot


def _snapshot(packages: dict, *, taken: str = "2026-01-01", covered: list[str] | None = None
              ) -> dict:
    return {"source": "https://github.com/pypa/advisory-database", "source_commit": "0" * 40,
            "snapshot_date": taken, "license": "CC-BY-4.0", "attribution": "test",
            "covered": covered if covered is not None else sorted(depaudit.dependency_closure()),
            "packages": packages}


def _fake_advisory(introduced: str, fixed: str) -> dict:
    return {"id": "PYSEC-0000-FAKE", "aliases": ["CVE-0000-0000"], "summary": "fake",
            "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": introduced}, {"fixed": fixed}]}],
            "versions": [], "references": ["https://example.invalid/advisory"]}


def test_closure_has_our_direct_and_transitive_dependencies():
    closure = depaudit.dependency_closure()
    assert closure["django"] == metadata.version("django")
    assert "asgiref" in closure  # Django's own dependency
    assert "pytest" in closure  # the dev extra
    assert "tinhso" not in closure


@pytest.mark.parametrize(("version", "events", "affected"), [
    ("1.0", [{"introduced": "0"}, {"fixed": "1.1"}], True),
    ("1.1", [{"introduced": "0"}, {"fixed": "1.1"}], False),
    ("2.0", [{"introduced": "2.0"}, {"last_affected": "2.0"}], True),
    ("2.0.1", [{"introduced": "2.0"}, {"last_affected": "2.0"}], False),
    ("3.5", [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "3.0"}], True),
    ("1.5", [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "3.0"}, {"fixed": "3.1"}],
     False),
    ("5.2.1", [{"introduced": "5.2"}, {"fixed": "5.2.4"}], True),
])
def test_ranges(version, events, affected):
    advisory = {"ranges": [{"type": "ECOSYSTEM", "events": events}]}
    assert depaudit.is_affected(version, advisory) is affected


def test_listed_versions_count_even_without_range():
    assert depaudit.is_affected("0.9", {"versions": ["0.9"], "ranges": []})
    assert not depaudit.is_affected("0.9", {"versions": ["0.8"], "ranges": []})


def test_committed_snapshot_is_attributed_and_clean():
    snap = depaudit.load_snapshot()
    assert snap["license"] == "CC-BY-4.0" and "pypa/advisory-database" in snap["attribution"]
    assert len(snap["source_commit"]) == 40
    assert "django" in snap["packages"]  # real data, not an empty file
    assert depaudit.audit(depaudit.dependency_closure(), snap) == []


def test_fake_advisory_on_installed_django_fails_the_command(tmp_path, capsys):
    installed = metadata.version("django")
    path = tmp_path / "adv.json"
    path.write_text(json.dumps(_snapshot({"django": [_fake_advisory("0", "999.0")]})))
    with pytest.raises(CommandError, match="1 known vulnerabilit"):
        call_command("audit_deps", "--source", "snapshot", "--snapshot", str(path))
    out = capsys.readouterr().out
    assert f"VULNERABLE django {installed}: PYSEC-0000-FAKE (CVE-0000-0000)" in out
    assert "fixed in 999.0" in out and "days old" in out


def test_advisory_fixed_before_installed_version_passes(tmp_path, capsys):
    path = tmp_path / "adv.json"
    path.write_text(json.dumps(_snapshot({"django": [_fake_advisory("0", "1.0")]})))
    call_command("audit_deps", "--source", "snapshot", "--snapshot", str(path))
    assert "no known vulnerability" in capsys.readouterr().out


def test_stale_snapshot_fails_only_with_a_limit(tmp_path):
    path = tmp_path / "adv.json"
    old = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    path.write_text(json.dumps(_snapshot({}, taken=old)))
    call_command("audit_deps", "--source", "snapshot", "--snapshot", str(path))
    with pytest.raises(CommandError, match="40 days old"):
        call_command("audit_deps", "--source", "snapshot", "--snapshot", str(path),
                     "--max-age-days", "30")


def test_packages_missing_from_the_snapshot_are_named(tmp_path, capsys):
    path = tmp_path / "adv.json"
    path.write_text(json.dumps(_snapshot({}, covered=["django"])))
    call_command("audit_deps", "--source", "snapshot", "--snapshot", str(path))
    assert "not in the snapshot (refresh it): asgiref" in capsys.readouterr().out


def test_build_keeps_ids_ranges_and_references_and_skips_withdrawn(tmp_path):
    vulns = tmp_path / "vulns"
    (vulns / "Django").mkdir(parents=True)
    (vulns / "unrelated").mkdir()
    (vulns / "Django" / "PYSEC-1.yaml").write_text(
        "id: PYSEC-1\naliases: [CVE-1]\nsummary: bad\nmodified: 2024-01-01T00:00:00Z\n"
        "affected:\n- package: {name: django, ecosystem: PyPI}\n  ranges:\n"
        "  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: '4.2.1'\n"
        "  versions: ['4.2']\nreferences:\n- {type: ADVISORY, url: 'https://a.example/1'}\n")
    (vulns / "Django" / "PYSEC-2.yaml").write_text(
        "id: PYSEC-2\nwithdrawn: 2024-02-01T00:00:00Z\naffected:\n"
        "- package: {name: django, ecosystem: PyPI}\n  versions: ['4.2']\n")
    (vulns / "unrelated" / "PYSEC-3.yaml").write_text("id: PYSEC-3\n")
    snap = depaudit_snapshot.build(vulns, ["django"], commit="c" * 40,
                                   taken=dt.date(2024, 10, 10))
    out = Path(tmp_path / "snap.json")
    depaudit_snapshot.write(snap, out)
    again = json.loads(out.read_text())
    assert list(again["packages"]) == ["django"]
    [adv] = again["packages"]["django"]
    assert adv["id"] == "PYSEC-1" and adv["aliases"] == ["CVE-1"]
    assert adv["references"] == ["https://a.example/1"]
    assert depaudit.audit({"django": "4.2"}, again)[0].advisory_id == "PYSEC-1"
    assert depaudit.audit({"django": "4.2.1"}, again) == []
    assert again["snapshot_date"] == "2024-10-10" and "CC-BY 4.0" in again["attribution"]


def _fake_pip_audit(tmp_path, monkeypatch, exit_code: int) -> Path:
    """A stand-in pip-audit on PATH that records its arguments and stdin."""
    log = tmp_path / "args.txt"
    tool = tmp_path / "bin" / "pip-audit"
    tool.parent.mkdir()
    tool.write_text(f"#!/bin/sh\necho \"$@\" > {log}\ncat >> {log}\n"
                    f"echo 'fake audit'\nexit {exit_code}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}:/usr/bin:/bin")
    from tinhso.core.management.commands import audit_deps

    monkeypatch.setattr(audit_deps, "_pypi_vulnerability_api_reachable", lambda *a: True)
    return log


def test_live_source_runs_pip_audit_on_the_closure(tmp_path, monkeypatch, capsys):
    log = _fake_pip_audit(tmp_path, monkeypatch, 0)
    call_command("audit_deps")
    text = log.read_text()
    assert "--no-deps" in text and f"django=={metadata.version('django')}" in text
    assert "fake audit" in capsys.readouterr().out


def test_live_source_failure_fails_the_command(tmp_path, monkeypatch):
    _fake_pip_audit(tmp_path, monkeypatch, 1)
    with pytest.raises(CommandError, match="pip-audit found"):
        call_command("audit_deps")


def test_live_required_but_unreachable_fails(monkeypatch):
    from tinhso.core.management.commands import audit_deps

    monkeypatch.setattr(audit_deps, "_pypi_vulnerability_api_reachable", lambda *a: False)
    with pytest.raises(CommandError, match="live audit impossible"):
        call_command("audit_deps", "--source", "live")
