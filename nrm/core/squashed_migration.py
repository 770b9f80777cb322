"""A squashed migration that creates its tables in one go: ``nrm migrate`` on a new database in seconds.

Django's ``Migration.apply`` changes the project state one operation at a time and re-renders,
after each, every model related to the one changed. Nearly every model here reaches every
other through ``User`` and ``Organisation``, so each ``CreateModel``, ``AddField`` or
``AddIndex`` re-rendered about a hundred models: most of the time of ``migrate`` on a new
database (docs/scaling.md, "A new database").

:class:`TablesMigration` applies its leading run of operations that only build models it
creates itself (``CreateModel``, then fields, indexes, constraints and options of those models)
by changing the state for all of them first, rendering once, and creating each table from its
final state, which is what those operations amount to. What follows that run (``RunPython``,
``RunSQL``, changes to models of earlier migrations) runs one by one as in Django. ``sqlmigrate``
and unapplying use Django's path unchanged.
"""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.fields import FieldOperation
from django.db.migrations.operations.models import CreateModel, IndexOperation, ModelOptionOperation
from django.db.migrations.state import ProjectState


def _leading_tables(operations: list[Operation]) -> tuple[list[Operation], list[str]]:
    """The leading operations that only build models created among them, and those models' names."""
    created: list[str] = []
    run: list[Operation] = []
    for operation in operations:
        if isinstance(operation, CreateModel):
            if operation.options.get("index_together"):  # Django creates these apart from the table
                break
            created.append(operation.name_lower)
        elif isinstance(operation, FieldOperation | IndexOperation):
            if operation.model_name_lower not in created:
                break
        elif isinstance(operation, ModelOptionOperation):
            if operation.name_lower not in created:
                break
        else:
            break
        run.append(operation)
    return run, created


class TablesMigration(migrations.Migration):
    """A migration whose first operations create its app's tables: applied with one render (see the module)."""

    def apply(self, project_state: ProjectState, schema_editor, collect_sql: bool = False) -> ProjectState:
        run, created = _leading_tables(self.operations)
        if collect_sql or not created:
            return super().apply(project_state, schema_editor, collect_sql)
        # The state of every operation of the run, without rendering between them (a rendered
        # state re-renders related models on each change), then the new models rendered once.
        apps = project_state.__dict__.pop("apps", None)
        for operation in run:
            operation.state_forwards(self.app_label, project_state)
        if apps is not None:
            project_state.__dict__["apps"] = apps
            project_state.reload_models([(self.app_label, name) for name in created], delay=False)
        alias = schema_editor.connection.alias
        for operation in run:
            if isinstance(operation, CreateModel):
                model = project_state.apps.get_model(self.app_label, operation.name)
                if operation.allow_migrate_model(alias, model):
                    schema_editor.create_model(model)
        rest = self.operations[len(run) :]
        if not rest:
            return project_state
        tail = migrations.Migration(self.name, self.app_label)
        tail.operations = rest
        tail.atomic = self.atomic
        return tail.apply(project_state, schema_editor)
