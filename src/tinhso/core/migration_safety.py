"""Which new migrations would lock a large table against writes, or break a rolling upgrade.

A migration is "new" when it is not listed in ``core/data/migrations-released.txt``. Its
operations on tables that already existed at the last release are checked (a table created by a
new migration is empty, so anything goes there):

- ``AddIndex``, ``AddConstraint``, ``AlterUniqueTogether``, a new ``unique``/``db_index`` field:
  index builds and constraint validation hold a lock that blocks writes for the whole build —
  use ``core.migration_ops.AddIndexConcurrently`` (and for a constraint: add it ``NOT VALID``
  and validate in a second step, by ``RunSQL`` reviewed as below);
- ``AlterField`` that changes the column (type, length, null, …) — may rewrite or scan the table
  under an exclusive lock; changes of labels, choices, help texts or Python defaults are free;
- ``AddField`` NOT NULL without a default: fails on existing rows, and old code still running
  during the upgrade cannot insert;
- ``RemoveField``, ``DeleteModel``, ``RenameField``, ``RenameModel``, ``RenameIndex``: the
  contract step of expand/contract — the release still running during a rolling upgrade uses
  them;
- ``RunSQL``, ``RunPython``: cannot be judged here.

A migration whose author checked it says so with a class attribute
``reviewed_for_large_tables = "why it is safe"``; it is then reported but not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.db.models.fields import NOT_PROVIDED

from tinhso.core.migration_ops import AddIndexConcurrently, DropFieldIndexConcurrently

# Field attributes that change no column (Django emits no SQL for them).
NON_DB_ATTRS = {"verbose_name", "help_text", "choices", "validators", "blank", "default",
                "editable", "error_messages", "related_name", "related_query_name",
                "limit_choices_to", "on_delete", "upload_to", "storage", "to_field"}
LOCKING = (ops.AddIndex, ops.AddConstraint, ops.AlterUniqueTogether, ops.AlterIndexTogether)
CONTRACT = (ops.RemoveField, ops.DeleteModel, ops.RenameField, ops.RenameModel,
            ops.RenameIndex)
OPAQUE = (ops.RunSQL, ops.RunPython)


@dataclass(frozen=True)
class Finding:
    migration: str
    operation: str
    problem: str
    reviewed: str = ""


def released() -> set[tuple[str, str]]:
    text = resources.files("tinhso.core").joinpath("data/migrations-released.txt").read_text()
    rows = [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]
    return {tuple(row.split(".", 1)) for row in rows}  # type: ignore[misc]


def new_migrations(loader: MigrationLoader) -> list[tuple[str, str]]:
    """The project's migrations not yet released, in the order they apply."""
    known = released()
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            migration = loader.graph.nodes[key]
            if (key not in known and key not in plan
                    and type(migration).__module__.startswith("tinhso.")):
                plan.append(key)
    return plan


def _column_changed(old: Any, new: Any) -> bool:
    _, old_path, old_args, old_kwargs = old.deconstruct()
    _, new_path, new_args, new_kwargs = new.deconstruct()
    if old_path != new_path or old_args != new_args:
        return True
    keys = (set(old_kwargs) | set(new_kwargs)) - NON_DB_ATTRS
    return any(old_kwargs.get(k) != new_kwargs.get(k) for k in keys)


def check(loader: MigrationLoader | None = None) -> list[Finding]:
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    known = released()
    baseline_nodes = [key for key in loader.graph.nodes if key in known]
    baseline = loader.project_state(baseline_nodes, at_end=True) if baseline_nodes else None
    existing = set(baseline.models) if baseline else set()
    findings: list[Finding] = []
    for key in new_migrations(loader):
        migration = loader.graph.nodes[key]
        reviewed = str(getattr(migration, "reviewed_for_large_tables", "") or "")
        state = loader.project_state(key, at_end=False)
        name = f"{key[0]}.{key[1]}"
        for operation in migration.operations:
            problem = _judge(key[0], operation, state, existing)
            if problem:
                findings.append(Finding(name, operation.describe(), problem, reviewed))
            state = state.clone()
            operation.state_forwards(key[0], state)
    return findings


def _judge(app: str, operation: Any, state: Any, existing: set[tuple[str, str]]) -> str:
    if isinstance(operation, OPAQUE):
        return "RunSQL/RunPython: cannot be checked automatically"
    model = getattr(operation, "model_name", None) or getattr(operation, "name", None)
    on_existing = model is not None and (app, str(model).lower()) in existing
    if not on_existing:
        return ""
    if isinstance(operation, AddIndexConcurrently | DropFieldIndexConcurrently):
        return ""
    if isinstance(operation, LOCKING):
        return "builds an index or validates a constraint while blocking writes"
    if isinstance(operation, CONTRACT):
        return "removes or renames what the running release still uses (contract step)"
    if isinstance(operation, ops.AddField):
        field = operation.field
        if field.unique or getattr(field, "db_index", False):  # not in the stubs
            return "adds an indexed column: the index build blocks writes"
        has_default = field.has_default() or getattr(field, "db_default", NOT_PROVIDED) \
            is not NOT_PROVIDED
        if not field.null and not has_default and not field.many_to_many:
            return "adds a NOT NULL column without a default"
    if isinstance(operation, ops.AlterField):
        old = state.models[app, operation.model_name_lower].fields[operation.name]
        if _column_changed(old, operation.field):
            return "changes the column: may rewrite or scan the table under an exclusive lock"
    return ""
