"""The migration lock check: what blocks writes on an existing table is caught, the rest passes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader

from tinhso.core import migration_safety as ms
from tinhso.core.migration_ops import AddIndexConcurrently, DropFieldIndexConcurrently


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


def test_dropping_a_covered_field_index_is_not_blocking(state):
    field = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="dossiers",
                              db_index=False)
    assert judge(DropFieldIndexConcurrently("dossier", "agency", field), state) == ""


COVERED = [("dossiers", "Dossier", "agency"), ("dossiers", "Dossier", "applicant"),
           ("dossiers", "Dossier", "assignee"), ("dossiers", "DossierEvent", "dossier"),
           ("dossiers", "DossierStep", "dossier"), ("payments", "Payment", "dossier"),
           *[("ioc", model, field) for model in ("DailyFact", "MonthlyFact")
             for field in ("agency", "unit", "procedure")],
           ("ioc", "OpenMonthFact", "agency"), ("ioc", "OpenMonthFact", "unit")]


@pytest.mark.parametrize(("app", "model_name", "field_name"), COVERED)
@pytest.mark.django_db
def test_fields_without_their_own_index_are_led_by_a_composite_one(app, model_name,
                                                                   field_name):
    """Decision 0031: a foreign key loses its one-column index only where a declared index
    starts with it — and the database has no leftover index of that name."""
    from django.apps import apps
    from django.db import connection

    model = apps.get_model(app, model_name)
    field = model._meta.get_field(field_name)
    assert field.db_index is False
    assert any(index.fields[0] == field_name and len(index.fields) > 1
               and index.condition is None for index in model._meta.indexes)
    editor = connection.SchemaEditorClass(connection)  # naming only: no schema change
    own = editor._create_index_name(model._meta.db_table, [field.column], suffix="")
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, model._meta.db_table)) \
            if connection.vendor == "postgresql" else {
                row[1] for row in cursor.execute(f"PRAGMA index_list({model._meta.db_table})")}
    assert own not in names
