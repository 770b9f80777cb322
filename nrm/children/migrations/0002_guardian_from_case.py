"""Copy each case's free-text guardian into a guardian record (the column is dropped by cases.0007).

The old text held name and contact together; it goes into the record's name, which is encrypted
like the contact. The appointing authority and the date were never recorded: left empty.
"""

from django.db import migrations


def forward(apps, schema_editor) -> None:
    Case = apps.get_model("cases", "Case")
    Guardian = apps.get_model("children", "Guardian")
    for case in Case.objects.exclude(guardian="").iterator():
        text = case.guardian  # decrypted for its row by the historical field
        if not text.strip():
            continue
        Guardian.objects.create(
            case_id=case.pk,
            organisation_id=case.owner_id,
            recorded_by_id=case.opened_by_id,
            appointing_authority="",
            appointed_on=None,
            name=text,
            contact="",
        )


def backward(apps, schema_editor) -> None:
    Case = apps.get_model("cases", "Case")
    Guardian = apps.get_model("children", "Guardian")
    for guardian in Guardian.objects.filter(ended_on=None).order_by("id").iterator():
        case = Case.objects.get(pk=guardian.case_id)
        case.guardian = "\n".join(part for part in (guardian.name, guardian.contact) if part)
        case.save(update_fields=["guardian"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_binding"),
        ("children", "0001_initial"),
    ]

    # elidable: it only converts existing rows or triggers; a squash (new databases only) leaves it out.
    operations = [migrations.RunPython(forward, backward, elidable=True)]
