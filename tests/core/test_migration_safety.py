"""The migration lock check: what blocks writes on an existing table is caught, the rest passes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader

from tinhso.core import migration_safety as ms
from tinhso.core.migration_ops import AddIndexConcurrently


@pytest.fixture(scope="module")
def state():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = [k for k in loader.graph.nodes if k in ms.released()]
    return loader.project_state(nodes, at_end=True)


def judge(operation, state) -> str:
    return ms._judge("dossiers", operation, state, set(state.models))


def test_operations_that_block_writes_are_caught(state):
    index = models.Index(fields=["submitted_at"], name="dossier_submitted")
    assert "blocking writes" in judge(ops.AddIndex("dossier", index), state)
    assert judge(AddIndexConcurrently("dossier", index), state) == ""
    wider = models.CharField("mã hồ sơ", max_length=80, unique=True)
    assert "changes the column" in judge(ops.AlterField("dossier", "code", wider), state)
    relabelled = models.CharField("mã số hồ sơ", max_length=60, unique=True,
                                  help_text="mới")
    assert judge(ops.AlterField("dossier", "code", relabelled), state) == ""
    assert "NOT NULL" in judge(ops.AddField("dossier", "x", models.IntegerField()), state)
    assert judge(ops.AddField("dossier", "x", models.IntegerField(default=0)), state) == ""
    assert judge(ops.AddField("dossier", "x", models.IntegerField(null=True)), state) == ""
    assert "contract" in judge(ops.RemoveField("dossier", "rating"), state)
    assert "cannot be checked" in judge(ops.RunPython(lambda *a: None), state)
    # A table the release did not have yet: anything goes.
    assert judge(ops.AddIndex("brandnew", index), state) == ""


def test_the_projects_unreleased_migrations_pass():
    call_command("check_migrations")
