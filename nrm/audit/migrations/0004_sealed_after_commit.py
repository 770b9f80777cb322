"""Appends without a lock: rows are inserted unsealed (``seq`` NULL) and chained after commit.

The triggers are replaced by ones that allow the single sealing update (see
``nrm.audit.triggers``); existing rows are all sealed already and keep their seq and MACs.
"""

from django.db import migrations, models


def remove_triggers(apps, schema_editor):
    from nrm.audit.triggers import remove

    remove(schema_editor.connection)


def install_triggers(apps, schema_editor):
    from nrm.audit.triggers import install

    install(schema_editor.connection)


def install_strict_triggers(apps, schema_editor):
    from nrm.audit.triggers import install_strict

    install_strict(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_role_and_mac_chain")]

    operations = [
        # elidable: a new database (the squash) has no triggers to remove.
        migrations.RunPython(remove_triggers, install_strict_triggers, elidable=True),
        migrations.AlterModelOptions(name="auditentry", options={"ordering": ["id"]}),
        migrations.AlterField(
            model_name="auditentry", name="seq", field=models.BigIntegerField(null=True, unique=True)
        ),
        migrations.AlterField(
            model_name="auditentry", name="prev_hash", field=models.CharField(blank=True, max_length=64)
        ),
        migrations.AlterField(model_name="auditentry", name="hash", field=models.CharField(blank=True, max_length=64)),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_unsealed"),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
