"""Fill the new search tokens of existing persons and make each case's opener its responsible worker.

The tokens need the names and dates of birth, which are encrypted: each person is decrypted
here, once, by the migration (no request reads them), and the tokens written beside them.
"""

from django.db import migrations
from django.db.models import F

from nrm.core import crypto
from nrm.core.fields import Unreadable


def fill(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(responsible=None).update(responsible=F("opened_by"))
    last = 0
    while True:
        batch = list(
            Person.objects.filter(pk__gt=last)
            .exclude(given_name="", family_name="")
            .order_by("pk")
            .only("pk", "binding", "given_name", "family_name", "date_of_birth", "birth_year")[:1000]
        )
        if not batch:
            break
        for person in batch:
            if any(isinstance(v, Unreadable) for v in (person.given_name, person.family_name, person.date_of_birth)):
                continue  # unreadable under the configured keys: left without tokens
            person.search_key_date, person.search_key_year = crypto.search_tokens(
                given_name=person.given_name,
                family_name=person.family_name,
                date_of_birth=person.date_of_birth or "",
                birth_year=person.birth_year,
            )
        Person.objects.bulk_update(batch, ["search_key_date", "search_key_year"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_search_assign_flags")]

    # elidable: it only converts existing rows or triggers; a squash (new databases only) leaves it out.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
