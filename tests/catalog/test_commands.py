"""tinhso catalog-export / catalog-import (management commands catalog_export / catalog_import)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tinhso.catalog.models import Procedure

pytestmark = pytest.mark.django_db


def test_export_then_import(tmp_path: Path, loaded_catalog: list[Any]) -> None:
    target = tmp_path / "out" / "catalog.json"
    call_command("catalog_export", str(target), stdout=io.StringIO())
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["format"] == "tinhso-catalog" and len(doc["procedures"]) == len(loaded_catalog)
    assert "Đăng ký khai sinh" in target.read_text(encoding="utf-8")  # not \u-escaped
    Procedure.objects.filter(code="1.001193").update(name="Hỏng")
    out = io.StringIO()
    call_command("catalog_import", str(target), stdout=out)
    assert "cập nhật 1" in out.getvalue()
    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh"


def test_import_accepts_a_bare_list(tmp_path: Path, entries: list[Any]) -> None:
    source = tmp_path / "list.json"
    source.write_text(json.dumps(entries[:2], ensure_ascii=False), encoding="utf-8")
    call_command("catalog_import", str(source), stdout=io.StringIO())
    assert Procedure.objects.count() == 2


def test_dry_run_writes_nothing(tmp_path: Path, entries: list[Any]) -> None:
    source = tmp_path / "c.json"
    source.write_text(json.dumps({"procedures": entries}), encoding="utf-8")
    out = io.StringIO()
    call_command("catalog_import", str(source), "--dry-run", stdout=out)
    assert "nothing written" in out.getvalue() and not Procedure.objects.exists()


def test_bad_entry_lists_errors_and_imports_nothing(tmp_path: Path, entries: list[Any]) -> None:
    entries[3]["fee"] = "miễn phí"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("catalog_import", str(source), stderr=err)
    assert f"entry 3 ({entries[3]['code']}) fee:" in err.getvalue()
    assert not Procedure.objects.exists()


def test_missing_file_and_broken_json(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="file not found"):
        call_command("catalog_import", str(tmp_path / "nope.json"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"procedures": [\n  {', encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        call_command("catalog_import", str(broken))


def test_cli_accepts_the_hyphenated_names(tmp_path: Path, loaded_catalog: list[Any]) -> None:
    from tinhso.cli import main

    target = tmp_path / "cli.json"
    main(["catalog-export", str(target), "--skip-checks"])
    assert len(json.loads(target.read_text(encoding="utf-8"))["procedures"]) == len(
        loaded_catalog)
