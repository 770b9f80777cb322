"""Give every existing case one episode per form of exploitation it lists.

Until now a case held its forms and one country, place and period of exploitation; each form
becomes an episode carrying the case's country, place and period (unknown dates stay unknown).
The place is encrypted on the episode (bulk_create seals it per row, bound to the new row).
"""

from django.db import migrations


def forward(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Episode = apps.get_model("cases", "Episode")
    through = Case.forms.through
    last = 0
    while True:
        links = list(
            through.objects.filter(pk__gt=last)
            .select_related("case")
            .order_by("pk")
            .only(
                "pk",
                "exploitationform_id",
                "case__id",
                "case__country_of_exploitation",
                "case__place_of_exploitation",
                "case__exploitation_start",
                "case__exploitation_end",
            )[:2000]
        )
        if not links:
            break
        episodes = []
        for link in links:
            case = link.case
            start, end = case.exploitation_start, case.exploitation_end
            if start and end and end < start:
                end = None  # an impossible period is not carried over: the start is the likelier fact
            episodes.append(
                Episode(
                    case_id=case.id,
                    form_id=link.exploitationform_id,
                    country=case.country_of_exploitation,
                    place=case.place_of_exploitation,
                    started_on=start,
                    ended_on=end,
                )
            )
        Episode.objects.bulk_create(episodes)
        last = links[-1].pk


def backward(apps, schema_editor):
    # The forms stayed on the cases: removing the episodes gives the earlier state back.
    apps.get_model("cases", "Episode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_episodes")]

    # elidable: it only converts existing rows or triggers; a squash (new databases only) leaves it out.
    operations = [migrations.RunPython(forward, backward, elidable=True)]
