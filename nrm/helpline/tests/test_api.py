"""The helpline API as its staff use it, and the statistics on a hand-made example.

The call belongs to the national helpline. Its staff log and read calls; coordinators and
analysts see only the aggregates; anyone else sees neither: who may use each endpoint, and what
every outsider gets, is the access matrix's (``test_access_matrix.py``).
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PRESUMED_ADULT, fresh
from nrm.audit.models import AuditEntry
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import api, org
from nrm.helpline import selectors, services
from nrm.helpline.models import Call
from nrm.helpline.tests.conftest import NOTES, at
from nrm.reporting.engine import count_table

PROBLEM = "application/problem+json"


def state() -> dict:
    return {
        "calls": sorted(Call.objects.values_list("pk", "screening_id")),
        "screenings": Screening.objects.count(),
    }


def test_staff_read_the_notes_and_the_read_is_audited(people, call):
    data = api(people["hotline"]).get(f"/api/v1/helpline/calls/{call.pk}/").json()
    assert data["notes"] == NOTES
    assert (data["referred_to_name"], data["screening"]) == ("Police Directorate Belgrade", None)
    assert AuditEntry.objects.filter(action="helpline.view", actor="hotline", outcome="allowed").count() == 1
    listing = api(people["hotline"]).get("/api/v1/helpline/calls/").json()
    assert "notes" not in listing["results"][0]


def test_to_screening_through_the_api_and_a_second_time_is_a_conflict(people, call):
    client = api(people["hotline"])
    path = f"/api/v1/helpline/calls/{call.pk}/to-screening/"
    first = client.post(path, {"answers": PRESUMED_ADULT, "is_child": False}, format="json")
    assert first.status_code == 201
    assert (first.json()["result"], first.json()["anonymous"], first.json()["channel"]) == (
        "presumed_victim",
        True,
        "helpline",
    )
    second = client.post(path, {"answers": [], "is_child": True}, format="json")
    assert second.status_code == 409 and second["Content-Type"].startswith(PROBLEM)
    assert list(second.json()["errors"]) == ["screening"]
    assert Screening.objects.count() == 1
    bad = client.post(path, {"answers": "x"}, format="json")
    assert bad.status_code == 400


def test_call_list_filters(people, call):
    hotline = fresh(people["hotline"])
    services.call_log(
        actor=hotline, organisation=org("helpline"), received_at=at(2024, 4, 1), channel="email", topic="other"
    )
    client = api(people["hotline"])
    assert client.get("/api/v1/helpline/calls/?month=2024-03").json()["count"] == 1
    assert client.get("/api/v1/helpline/calls/?channel=email").json()["count"] == 1
    assert client.get("/api/v1/helpline/calls/?topic=possible_trafficking").json()["count"] == 1
    assert client.get("/api/v1/helpline/calls/?converted=0").json()["count"] == 2


def test_call_list_queries_do_not_grow_with_rows(people, call, django_assert_max_num_queries):
    hotline = fresh(people["hotline"])

    def more(n):
        for i in range(n):
            services.call_log(
                actor=hotline,
                organisation=org("helpline"),
                received_at=at(2024, 5, 1 + i),
                channel="phone",
                topic="job_offer",
                referral_made=True,
                referred_to=org("ngo-sigurna"),
            )

    client = api(people["hotline"])
    more(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/helpline/calls/").json()["count"] == 3
    more(20)
    with django_assert_max_num_queries(len(small)):
        assert client.get("/api/v1/helpline/calls/").json()["count"] == 23


# --- Statistics ------------------------------------------------------------------------------


def test_calls_by_month_channel_and_topic(people):
    hotline = fresh(people["hotline"])
    made = [
        (at(2024, 1, 5), "phone", "possible_trafficking", True),
        (at(2024, 1, 20), "phone", "possible_trafficking", False),
        (at(2024, 1, 31, 23, 30), "chat", "job_offer", False),
        # Past midnight in Belgrade, still 31 January in UTC: counted in February.
        (at(2024, 2, 1, 0, 30), "chat", "job_offer", False),
        (at(2024, 2, 14), "phone", "possible_trafficking", True),
        (at(2023, 12, 31, 12), "sms", "information", False),
    ]
    calls = []
    for received_at, channel, topic, referred in made:
        calls.append(
            services.call_log(
                actor=hotline,
                organisation=org("helpline"),
                received_at=received_at,
                channel=channel,
                topic=topic,
                referral_made=referred,
                referred_to=org("pu-bg") if referred else None,
            )
        )
    services.helpline_call_to_screening(actor=hotline, call=calls[0], answers=PRESUMED_ADULT, is_child=False)

    def row(month, channel, topic, calls_, referred=0, screened=0):
        return {
            "month": month,
            "channel": channel,
            "topic": topic,
            "calls": calls_,
            "referred": referred,
            "screened": screened,
        }

    expected_2024 = [
        row("2024-01", "chat", "job_offer", 1),
        row("2024-01", "phone", "possible_trafficking", 2, referred=1, screened=1),
        row("2024-02", "chat", "job_offer", 1),
        row("2024-02", "phone", "possible_trafficking", 1, referred=1),
    ]
    assert selectors.call_rows(Call.objects.all(), year=2024) == expected_2024
    assert selectors.call_rows(Call.objects.all()) == [row("2023-12", "sms", "information", 1), *expected_2024]
    # The staff see their own helpline's figures as they are; the Coordinator's office sees
    # national figures with small cells suppressed.
    own = api(people["hotline"]).get("/api/v1/helpline/statistics/?year=2024").json()
    assert own["national"] is False and own["results"] == expected_2024
    national = api(people["coordinator"]).get("/api/v1/helpline/statistics/?year=2024").json()
    assert (national["national"], national["threshold"]) == (True, 5)
    tables = {t["name"]: t for t in national["tables"]}
    assert set(tables) == {"helpline_calls_by_channel", "helpline_calls_by_topic", "helpline_calls_by_month"}
    # The engine's table: every count is small, so every cell and total is suppressed.
    months = tables["helpline_calls_by_month"]
    assert months["filters"] == {"year": [2024]}
    assert months["categories"]["month"] == ["2024-01", "2024-02"]
    assert all(c["suppressed"] and c["count"] is None for c in months["cells"] + months["totals"] if c["suppressed"])
    assert {(c["month"], c["channel"]) for c in months["cells"] if c["suppressed"]} == {
        ("2024-01", "phone"),
        ("2024-01", "chat"),
        ("2024-02", "chat"),
        ("2024-02", "phone"),
    }
    # Raw, the months are those of Belgrade: the call at 00:30 on 1 February is February's.
    raw = count_table(by=["month", "channel"], population="helpline_calls", filters={"year": [2024]}, raw=True)
    assert {(c.key["month"], c.key["channel"]): c.count for c in raw.cells if c.count} == {
        ("2024-01", "phone"): 2,
        ("2024-01", "chat"): 1,
        ("2024-02", "chat"): 1,
        ("2024-02", "phone"): 1,
    }
    screened = count_table(by=["year"], population="helpline_screenings", raw=True)
    assert [(c.key["year"], c.count) for c in screened.cells] == [(2024, 1)]
    bad = api(people["coordinator"]).get("/api/v1/helpline/statistics/?year=last")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["year"]
