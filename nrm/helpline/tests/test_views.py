"""The helpline pages as its staff and the national readers use them.

Bad input names the field and stores nothing. Who may open each page, and what every outsider
gets, is the access matrix's (``test_access_matrix.py``).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import PRESUMED_ADULT
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import org
from nrm.helpline import services
from nrm.helpline.models import Call
from nrm.helpline.tests.conftest import at


def state() -> dict:
    return {
        "calls": sorted(Call.objects.values_list("pk", "screening_id")),
        "screenings": Screening.objects.count(),
    }


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


NEW_CALL = {"channel": "sms", "topic": "job_offer", "language": "en"}
PERSON = {"sex": "U", "age_band": "unknown"}


def test_list_filters_and_queries(people, call):
    services.call_log(
        actor=people["hotline"], organisation=org("helpline"), received_at=at(2024, 4, 1), channel="chat", topic="other"
    )
    client = as_user(people["hotline"])
    response = client.get("/helpline/")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 2
    response = client.get("/helpline/?month=2024-03&channel=phone&topic=possible_trafficking")
    assert [c.pk for c in response.context["page"].object_list] == [call.pk]
    response = client.get("/helpline/?month=2024-04")
    assert [c.pk for c in response.context["page"].object_list] != [call.pk]
    # A bad month is ignored, not an error page.
    assert client.get("/helpline/?month=March").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/helpline/")
    few = len(ctx)
    for day in range(2, 12):
        services.call_log(
            actor=people["hotline"],
            organisation=org("helpline"),
            received_at=at(2024, 5, day),
            channel="sms",
            topic="other",
        )
    with CaptureQueriesContext(connection) as ctx:
        client.get("/helpline/")
    assert len(ctx) == few


def test_log_a_call(people):
    client = as_user(people["hotline"])
    assert client.get("/helpline/calls/new/").status_code == 200
    response = client.post(
        "/helpline/calls/new/", {**NEW_CALL, "organisation": org("helpline").pk, "notes": "Asked about a job in Malta"}
    )
    call = Call.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/helpline/calls/{call.pk}/"
    assert call.channel == "sms" and call.topic.code == "job_offer" and call.taken_by == people["hotline"]
    page = client.get(response["Location"])
    assert b"Asked about a job in Malta" in page.content and b"Make it a screening" in page.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "pigeon", "topic": "job_offer"}, "channel"),
        ({"channel": "sms", "topic": "nope"}, "topic"),
        ({"channel": "sms", "topic": "job_offer", "language": "english1"}, "language"),
        ({"channel": "sms", "topic": "job_offer", "referral_made": "on"}, "referred_to"),
        ({"channel": "sms", "topic": "job_offer", "referred_to_other": "A lawyer"}, "referral_made"),
        ({"channel": "sms", "topic": "job_offer", "received_at": "2999-01-01T10:00"}, "received_at"),
    ],
)
def test_bad_call_names_the_field_and_stores_nothing(people, body, field):
    response = as_user(people["hotline"]).post("/helpline/calls/new/", {**body, "organisation": org("helpline").pk})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Call.objects.count() == 0


def test_call_to_screening(people, call):
    client = as_user(people["hotline"])
    page = client.get(f"/helpline/calls/{call.pk}/screening/")
    assert page.status_code == 200
    assert PRESUMED_ADULT[0].encode() in page.content and b"Deceptive recruitment" in page.content
    response = client.post(f"/helpline/calls/{call.pk}/screening/", {**PERSON, "answers": PRESUMED_ADULT})
    call.refresh_from_db()
    screening = call.screening
    assert response.status_code == 302 and response["Location"] == f"/screenings/{screening.pk}/"
    assert screening.result == "presumed_victim" and screening.anonymous and screening.channel == "helpline"
    assert b"Presumed victim" in client.get(response["Location"]).content
    detail = client.get(f"/helpline/calls/{call.pk}/")
    assert f'href="/screenings/{screening.pk}/"'.encode() in detail.content
    assert b"Make it a screening" not in detail.content
    # A second conversion is not offered, and posting anyway stores nothing.
    before = state()
    again = client.post(f"/helpline/calls/{call.pk}/screening/", {**PERSON, "answers": PRESUMED_ADULT})
    assert again.status_code == 302 and again["Location"] == f"/helpline/calls/{call.pk}/"
    assert state() == before


def test_bad_screening_names_the_field_and_stores_nothing(people, call):
    before = state()
    response = as_user(people["hotline"]).post(
        f"/helpline/calls/{call.pk}/screening/", {**PERSON, "answers": ["no-such"]}
    )
    assert response.status_code == 200 and "answers" in response.context["form"].errors
    assert state() == before


def test_statistics_suppressed_for_national_readers(people, call):
    response = as_user(people["coordinator"]).get("/helpline/statistics/?year=2024")
    assert response.context["national"] is True
    tables = {t["table"].name: t["table"] for t in response.context["tables"]}
    by_channel = tables["helpline_calls_by_channel"]
    # One call: its cell and every total are suppressed and shown as "x", never as 1.
    assert by_channel.suppressed_count and all(c.count is None for c in by_channel.cells if c.suppressed)
    assert {c.key["channel"] for c in by_channel.cells if c.suppressed} == {"phone"}
    body = response.content.decode()
    assert "/statistics/tables/helpline_calls_by_month/table.csv?year_from=2024&amp;year_to=2024" in body
    own = as_user(people["hotline"]).get("/helpline/statistics/?year=2024")
    assert own.context["national"] is False and own.context["results"][0]["calls"] == 1
