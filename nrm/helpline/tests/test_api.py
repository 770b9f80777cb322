"""Every helpline endpoint against the outsiders, and the statistics on a hand-made example.

The call belongs to the national helpline. Its staff log and read calls; coordinators and
analysts see only the aggregates; anyone else sees neither.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import api, member, org
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


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: dict | None
    right: str
    ok: int
    kind: str  # object, list, create, open, stats (as in the justice matrix)


ENDPOINTS = [
    Endpoint("calls-list", "get", "/api/v1/helpline/calls/", None, "hotline", 200, "list"),
    Endpoint("calls-retrieve", "get", "/api/v1/helpline/calls/{call}/", None, "hotline", 200, "object"),
    Endpoint(
        "calls-create",
        "post",
        "/api/v1/helpline/calls/",
        {"channel": "sms", "topic": "job_offer", "language": "en"},
        "hotline",
        201,
        "create",
    ),
    Endpoint(
        "calls-to_screening",
        "post",
        "/api/v1/helpline/calls/{call}/to-screening/",
        {"answers": PRESUMED_ADULT, "is_child": False},
        "hotline",
        201,
        "object",
    ),
    Endpoint("topics", "get", "/api/v1/helpline/topics/", None, "ngo2", 200, "open"),
    Endpoint("statistics", "get", "/api/v1/helpline/statistics/", None, "coordinator", 200, "stats"),
]
BY_NAME = {e.name: e for e in ENDPOINTS}
IDS = [e.name for e in ENDPOINTS]


def call_endpoint(endpoint: Endpoint, the_call, user=None, body=None):
    client = api(user)
    path = endpoint.path.format(call=the_call.pk)
    data = body if body is not None else endpoint.body
    if endpoint.method == "get":
        return client.get(path)
    return client.post(path, data, format="json")


def test_every_helpline_route_is_in_the_matrix():
    from nrm.api.urls import router

    routes = {
        f"{prefix}:{name}"
        for prefix, viewset, _basename in router.registry
        if viewset.__module__ == "nrm.helpline.api"
        for name in {
            m for m in ("list", "retrieve", "create", "update", "partial_update", "destroy") if hasattr(viewset, m)
        }
        | {a.__name__ for a in viewset.get_extra_actions()}
    }
    assert routes == {
        "helpline/calls:list",
        "helpline/calls:retrieve",
        "helpline/calls:create",
        "helpline/calls:to_screening",
        "helpline/topics:list",
        "helpline/statistics:list",
    }


@pytest.mark.parametrize("name", IDS)
def test_anonymous_is_refused(people, call, name):
    before = state()
    response = call_endpoint(BY_NAME[name], call)
    assert response.status_code == 401 and response["Content-Type"].startswith(PROBLEM)
    assert state() == before


@pytest.mark.parametrize("who", ["police", "ngo2", "coordinator", "analyst", "wrong-role", "identifier-there"])
@pytest.mark.parametrize("name", IDS)
def test_outsiders(people, call, name, who):
    """Another organisation, the aggregate readers, and helpline members with another role."""
    if who == "wrong-role":
        user = member("helpline-reporter", "helpline", Role.REPORTER)
    elif who == "identifier-there":
        user = member("helpline-identifier", "helpline", Role.IDENTIFIER)
    else:
        user = fresh(people[who])
    endpoint = BY_NAME[name]
    body = {**endpoint.body, "organisation": org("helpline").pk} if endpoint.kind == "create" else None
    before = state()
    response = call_endpoint(endpoint, call, user, body)
    assert b"Quorbatek" not in response.content
    assert state() == before
    if endpoint.kind == "object":
        assert response.status_code == 404
        assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404}
        entry = AuditEntry.objects.order_by("-seq").first()
        assert (entry.actor, entry.outcome) == (user.username, "denied")
    elif endpoint.kind == "list":
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    elif endpoint.kind == "create":
        assert response.status_code == 400 and list(response.json()["errors"]) == ["organisation"]
    elif endpoint.kind == "stats":
        if who in ("coordinator", "analyst"):
            assert response.status_code == 200 and response.json()["national"] is True
        else:
            assert response.status_code == 403 and response["Content-Type"].startswith(PROBLEM)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", IDS)
def test_the_right_role(people, call, name):
    endpoint = BY_NAME[name]
    before = state()
    response = call_endpoint(endpoint, call, fresh(people[endpoint.right]))
    assert response.status_code == endpoint.ok, response.content
    if endpoint.method == "get":
        assert state() == before
    else:
        assert state() != before
    if endpoint.right == "coordinator":
        assert b"Quorbatek" not in response.content


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
