"""The monthly report form reminds the focal point of the prevention work recorded on its activities."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from nrm.accounts.models import Organisation
from nrm.actionplan import services
from nrm.actionplan.models import Task
from nrm.prevention import services as prevention_services


def test_the_report_form_shows_the_months_prevention_work_on_the_activitys_tasks(people, plan):
    reporter = people["reporter"]
    mup = Organisation.objects.get(code="mup")
    report = services.report_create(actor=reporter, plan=plan, institution=mup, year=2018, month=3)
    entry = report.entries.select_related("activity").first()
    task = Task.objects.filter(activity=entry.activity).first()

    def record(organiser: str, on: dt.date, count: int, actor) -> None:
        prevention_services.event_record(
            actor=actor,
            organiser=Organisation.objects.get(code=organiser),
            kind="training",
            title="Training for border police",
            starts_on=on,
            ends_on=on,
            task=task,
            attendance=[{"profession": "police", "sex": "F", "count": count}],
        )

    record("mup", dt.date(2018, 3, 12), 14, reporter)
    record("mup", dt.date(2018, 4, 2), 30, reporter)  # another month: not this report's
    record("pu-bg", dt.date(2018, 3, 20), 9, people["police"])  # another organisation's: not visible to the reporter

    client = Client()
    client.force_login(reporter)
    page = client.get(f"/actionplan/reports/{report.pk}/edit/").content.decode()

    assert "events 1, participants 14," in page
    assert "participants 44" not in page and "participants 23" not in page
