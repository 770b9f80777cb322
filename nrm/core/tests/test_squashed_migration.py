"""A TablesMigration leaves the same tables and the same state as Django's one-operation-at-a-time path.

Both paths apply the same operations (two models that point at each other, an index, a
constraint, an option, then code that reads the models) under two app labels; the tables,
columns, constraints and the resulting state must match, and the code after the run sees the
final models. On PostgreSQL the test's own transaction holds the DDL; SQLite's schema editor
cannot run inside one, so there it works on a private in-memory database.
"""

from __future__ import annotations

import django.db.models.deletion
import pytest
from django.db import connection, migrations, models
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from nrm.core.squashed_migration import TablesMigration, _leading_tables

SEEN: dict[str, list[str]] = {}


def _note_fields(apps, schema_editor) -> None:
    # Code after the run must see the final models, the field added by AddField included.
    model = next(m for m in apps.get_models() if m._meta.model_name == "shelter")
    SEEN[model._meta.app_label] = sorted(f.name for f in model._meta.get_fields())


def _operations(app_label: str) -> list:
    return [
        migrations.CreateModel(
            name="Shelter",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=80)),
                ("beds", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="Stay",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("started", models.DateField()),
                ("shelter", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to=f"{app_label}.shelter")),
            ],
        ),
        migrations.AddField(
            "shelter", "last_stay", models.ForeignKey(null=True, on_delete=models.SET_NULL, to=f"{app_label}.stay")
        ),
        migrations.AddIndex("stay", models.Index(fields=["started"], name=f"{app_label}_stay_started")),
        migrations.AddConstraint("shelter", models.UniqueConstraint(fields=["name"], name=f"{app_label}_shelter_name")),
        migrations.AlterModelOptions("stay", {"ordering": ["-started"]}),
        migrations.RunPython(_note_fields, migrations.RunPython.noop),
    ]


def _database():
    if connection.vendor == "sqlite":
        return SQLiteWrapper({**connection.settings_dict, "NAME": ":memory:"}, alias="default")
    return connection


def _apply(db, migration: migrations.Migration) -> ProjectState:
    state = ProjectState(real_apps={"auth", "contenttypes"})
    state.apps  # rendered, as the executor has it
    with db.schema_editor(atomic=True) as editor:
        return migration.apply(state, editor)


def _schema(db, app_label: str) -> dict:
    """Tables, columns and constraints of ``app_label``, with the label taken out of every name."""
    out = {}
    with db.cursor() as cursor:
        for table in db.introspection.table_names(cursor):
            if not table.startswith(app_label + "_"):
                continue
            columns = sorted(
                (c.name, c.type_code, c.null_ok) for c in db.introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                (
                    tuple(c["columns"]),
                    bool(c["primary_key"]),
                    bool(c["unique"]),
                    bool(c["index"]),
                    str(c["foreign_key"]).replace(app_label, "app"),
                )
                for c in db.introspection.get_constraints(cursor, table).values()
            )
            out[table.replace(app_label, "app")] = (columns, constraints)
    return out


def _state(state: ProjectState, app_label: str) -> dict:
    return {
        name: (
            [(f, str(field.deconstruct()[1:]).replace(app_label, "app")) for f, field in ms.fields.items()],
            str(ms.options).replace(app_label, "app"),
        )
        for (label, name), ms in state.models.items()
        if label == app_label
    }


@pytest.mark.django_db
def test_one_render_leaves_what_one_operation_at_a_time_leaves():
    db = _database()
    plain = migrations.Migration("0001_initial", "nrmplain")
    plain.operations = _operations("nrmplain")
    fast = TablesMigration("0001_initial", "nrmfast")
    fast.operations = _operations("nrmfast")
    try:
        plain_state = _apply(db, plain)
        fast_state = _apply(db, fast)
        assert _schema(db, "nrmfast") == _schema(db, "nrmplain") != {}
        assert _state(fast_state, "nrmfast") == _state(plain_state, "nrmplain")
        assert SEEN["nrmfast"] == SEEN["nrmplain"]
        assert "last_stay" in SEEN["nrmfast"] and "stay" in SEEN["nrmfast"]  # the reverse relation too
    finally:
        if db is not connection:
            db.close()


def test_the_run_stops_at_the_first_change_to_a_model_of_an_earlier_migration():
    operations = _operations("x")
    operations.insert(2, migrations.AddField("person", "note", models.TextField(blank=True)))
    run, created = _leading_tables(operations)
    assert created == ["shelter", "stay"] and len(run) == 2


def test_a_new_database_runs_the_squashes_only():
    """No migration a squash replaces is in a new database's plan (an old one sees the squashes as applied)."""
    loader = MigrationLoader(None, replace_migrations=True)
    replaced = {key for m in loader.disk_migrations.values() if m.replaces for key in m.replaces}
    plan = {key for leaf in loader.graph.leaf_nodes() for key in loader.graph.forwards_plan(leaf)}
    assert ("cases", "0007_search_assign_flags_squashed_0016_asylum_status") in plan
    assert ("audit", "0001_squashed_0005_partition_by_year") in plan
    assert not replaced & plan
