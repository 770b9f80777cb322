"""Migration operations that give existing rows of a model their ``binding`` (see :class:`nrm.core.models.Bound`).

Three steps, because a unique column cannot be added to rows that exist with one default
(every row would get the same UUID): add it nullable, give each row its own UUID, then make it
unique and required. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid

from django.db import migrations, models


def _fill(app_label: str, model_names: list[str]):
    def fill(apps, schema_editor) -> None:
        for name in model_names:
            model = apps.get_model(app_label, name)
            manager = model._base_manager.using(schema_editor.connection.alias)
            for pk in manager.filter(binding__isnull=True).values_list("pk", flat=True).iterator():
                manager.filter(pk=pk).update(binding=uuid.uuid4())

    return fill


def add_binding(app_label: str, model_names: list[str]) -> list:
    """Return the operations that add a distinct, unique ``binding`` to every row of the models."""
    return [
        *(
            migrations.AddField(name.lower(), "binding", models.UUIDField(null=True, editable=False))
            for name in model_names
        ),
        # elidable: a squash runs on new databases only, where no row waits for a binding.
        migrations.RunPython(_fill(app_label, model_names), migrations.RunPython.noop, elidable=True),
        *(
            migrations.AlterField(
                name.lower(), "binding", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
            )
            for name in model_names
        ),
    ]
