"""A flag's optional short note, encrypted and bound to its row: flags get their binding first."""

from django.db import migrations

import nrm.core.fields
from nrm.core.binding_migration import add_binding


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_case_merged_into")]

    operations = [
        *add_binding("cases", ["CaseFlag"]),
        migrations.AddField(
            model_name="caseflag",
            name="note",
            field=nrm.core.fields.EncryptedTextField(blank=True),
        ),
    ]
