from django.db import migrations


def install(apps, schema_editor):
    from nrm.audit.triggers import install_strict as install

    install(schema_editor.connection)


def remove(apps, schema_editor):
    from nrm.audit.triggers import remove

    remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    # elidable: it only converts existing rows or triggers; a squash (new databases only) leaves it out.
    operations = [migrations.RunPython(install, remove, elidable=True)]
