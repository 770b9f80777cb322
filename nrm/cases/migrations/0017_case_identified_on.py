"""Case.identified_on: the date of the decision 'identified' in force, kept on the case (issue K).

The statistics counted identified victims by that date through a subquery over the decisions in
every table; the column replaces it. Existing cases are filled here by the same definition as
``cases.services.identified_on_expected`` (repeated, as a migration must not follow later code):
while a case is identified, the date of its latest-dated decision 'identified'; else null.
"""

from django.db import migrations, models
from django.db.models import DateField, OuterRef, Subquery


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Identification = apps.get_model("cases", "Identification")
    decided = (
        Identification.objects.filter(case_id=OuterRef("pk"), decision="identified")
        .order_by("-decided_on")
        .values("decided_on")[:1]
    )
    # One statement, whatever the number of cases; the others stay null.
    Case.objects.filter(identification_status="identified").update(
        identified_on=Subquery(decided, output_field=DateField())
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_asylum_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="identified_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["identified_on"], name="cases_case_identif_d953c3_idx"),
        ),
    ]
