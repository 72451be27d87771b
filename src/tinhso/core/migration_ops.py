"""Migration operations that do not block writes on a large table.

``AddIndexConcurrently`` builds the index with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL
(writes go on while it builds) and with a plain ``CREATE INDEX`` elsewhere (SQLite has no
concurrent writers to block). ``DropFieldIndexConcurrently`` turns a field's ``db_index`` off
(an index another one already covers) with ``DROP INDEX CONCURRENTLY``: a plain ``DROP INDEX``
takes an exclusive lock on the table and queues every read and write behind the longest
running query. The migration that uses either must say ``atomic = False``: PostgreSQL cannot
build or drop an index concurrently inside a transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.migrations.operations import AddIndex, AlterField


def _concurrently(schema_editor: Any, operation: str) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError(f"{operation} needs `atomic = False` on its migration")
    return True


class AddIndexConcurrently(AddIndex):
    def _concurrently(self, schema_editor: Any) -> bool:
        return _concurrently(schema_editor, "AddIndexConcurrently")

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._concurrently(schema_editor):
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)


class DropFieldIndexConcurrently(AlterField):
    """``AlterField`` to the same field with ``db_index=False``: the field's own one-column
    index is dropped (concurrently on PostgreSQL); the column is not touched. Backwards it is
    built again, concurrently too."""

    def _index_name(self, schema_editor: Any, model: Any) -> str:
        # The name Django gave the field's index when it created it (the same on every
        # backend); SQLite's introspection cannot parse some of our tables' SQL.
        column = model._meta.get_field(self.name).column
        return str(schema_editor._create_index_name(model._meta.db_table, [column], suffix=""))

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        concurrently = "CONCURRENTLY " if _concurrently(
            schema_editor, "DropFieldIndexConcurrently") else ""
        name = schema_editor.quote_name(self._index_name(schema_editor, model))
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        # Only PostgreSQL's schema editor knows the keyword.
        extra = {"concurrently": True} if _concurrently(
            schema_editor, "DropFieldIndexConcurrently") else {}
        schema_editor.execute(schema_editor._create_index_sql(
            model, fields=[field], name=self._index_name(schema_editor, model), **extra))

    def describe(self) -> str:
        return f"Drop the one-column index of {self.model_name}.{self.name} concurrently"
