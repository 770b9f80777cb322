"""The prevention API beyond the access matrix: national readers, creates with Idempotency-Key, errors naming the field.

The records belong to the Belgrade police (``police``). Its staff read and write them; the
Coordinator's office and analysts read every organisation's. Anonymous callers, another
organisation and the wrong role are in the shared access matrix (``test_access_matrix.py``).
"""

from __future__ import annotations

import pytest

from nrm.actionplan.models import Task
from nrm.actionplan.services import load_plan
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, org
from nrm.prevention.models import Attendance, AwarenessAction, Event, IndicatorFeed, KapSurvey, Material
from nrm.programmes.models import Indicator, IndicatorValue

PROBLEM = "application/problem+json"


def state() -> tuple:
    return (
        sorted(Event.objects.values_list("pk", "version", "title")),
        sorted(Attendance.objects.values_list("event_id", "count")),
        sorted(AwarenessAction.objects.values_list("pk", "title")),
        Material.objects.count(),
        KapSurvey.objects.count(),
        IndicatorFeed.objects.count(),
        IndicatorValue.objects.count(),
    )


NEW_EVENT = {
    "kind": "round_table",
    "title": "Round table on labour exploitation",
    "starts_on": "2024-10-01",
    "attendance": [{"profession": "labour_inspector", "sex": "F", "count": 6}],
}
NEW_AWARENESS = {
    "kind": "campaign",
    "title": "Campaign",
    "starts_on": "2024-10-01",
    "materials": [{"kind": "info_card", "language": "fa", "title": "Card", "copies_distributed": 40}],
}
NEW_SURVEY = {
    "title": "KAP",
    "conducted_from": "2024-10-01",
    "conducted_to": "2024-10-10",
    "population": "Teachers",
    "sample_size": 40,
    "results": [{"domain": "practice", "statement": "Refers", "measure": "mean_score", "result": "3.2"}],
}
MATERIAL = {"kind": "poster", "language": "en", "title": "Poster", "copies_distributed": 5}


@pytest.fixture
def objects(event, awareness, survey):
    return {"event": event.pk, "awareness": awareness.pk, "survey": survey.pk}


# (name, method, path, body, kind): kind "read" of one record, "list", "write" on a record, "create"
ENDPOINTS = [
    ("professions", "get", "/api/v1/prevention/professions/", None, "open"),
    ("events-list", "get", "/api/v1/prevention/events/", None, "list"),
    ("events-retrieve", "get", "/api/v1/prevention/events/{event}/", None, "read"),
    ("events-create", "post", "/api/v1/prevention/events/", {**NEW_EVENT, "organiser": "{pu-bg}"}, "create"),
    ("events-update", "patch", "/api/v1/prevention/events/{event}/", {"version": 1, "title": "Changed"}, "write"),
    ("awareness-list", "get", "/api/v1/prevention/awareness/", None, "list"),
    ("awareness-retrieve", "get", "/api/v1/prevention/awareness/{awareness}/", None, "read"),
    ("awareness-create", "post", "/api/v1/prevention/awareness/", {**NEW_AWARENESS, "organiser": "{pu-bg}"}, "create"),
    ("awareness-material", "post", "/api/v1/prevention/awareness/{awareness}/materials/", MATERIAL, "write"),
    ("surveys-list", "get", "/api/v1/prevention/surveys/", None, "list"),
    ("surveys-retrieve", "get", "/api/v1/prevention/surveys/{survey}/", None, "read"),
    ("surveys-create", "post", "/api/v1/prevention/surveys/", {**NEW_SURVEY, "organiser": "{pu-bg}"}, "create"),
    ("task-evidence", "get", "/api/v1/prevention/task-evidence/?task={task}&month=2024-03", None, "evidence"),
]


def call(user, endpoint, objects, body=None):
    _name, method, path, default, _kind = endpoint
    ids = {**objects, "task": objects.get("task", 0)}
    data = dict(body if body is not None else default or {})
    if data.get("organiser") == "{pu-bg}":
        data["organiser"] = org("pu-bg").pk
    client = api(user)
    url = path.format(**ids)
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, format="json")


def test_national_readers_read_all_of_the_police(people, objects):
    """The Coordinator's office and analysts read every organisation's records (the matrix refuses their writes)."""
    for who in ("analyst", "coordinator"):
        for endpoint in ENDPOINTS:
            if endpoint[4] not in ("read", "list", "open"):
                continue
            before = state()
            response = call(people[who], endpoint, objects)
            assert response.status_code == 200, (who, endpoint[0])
            if endpoint[4] == "list":
                assert len(response.json()["results"]) == 1, (who, endpoint[0])
            assert state() == before


@pytest.mark.parametrize("who", ["ngo2", "analyst", "coordinator"])
def test_a_create_for_the_police_by_others_names_the_organiser(people, objects, who):
    """Recording for the police is refused on the field that names them."""
    for endpoint in ENDPOINTS:
        if endpoint[4] == "create":
            before = state()
            response = call(people[who], endpoint, objects)
            assert response.status_code == 400 and "organiser" in response.json()["errors"], endpoint[0]
            assert state() == before


def test_the_police_create_read_and_update(people, objects):
    police = people["police"]
    created = call(police, ENDPOINTS[3], objects)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["participants"] == 6 and body["attendance"][0]["profession"] == "labour_inspector"
    assert body["organiser"] == org("pu-bg").pk and body["version"] == 1
    patched = api(police).patch(
        f"/api/v1/prevention/events/{body['id']}/",
        {
            "version": 1,
            "average_score": "4.5",
            "forms_returned": 6,
            "attendance": [{"profession": "police", "sex": "M", "count": 11}],
        },
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["participants"] == 11 and patched.json()["version"] == 2
    stale = api(police).patch(f"/api/v1/prevention/events/{body['id']}/", {"version": 1, "title": "X"}, format="json")
    assert stale.status_code == 409 and stale["Content-Type"] == PROBLEM
    listed = api(police).get("/api/v1/prevention/events/?year=2024&kind=round_table")
    assert [r["id"] for r in listed.json()["results"]] == [body["id"]]
    for path, key in [("awareness", 4), ("surveys", 11)]:
        response = call(police, ENDPOINTS[7 if path == "awareness" else 11], objects)
        assert response.status_code == 201, (key, response.content)
    material = call(police, ENDPOINTS[8], objects)
    assert material.status_code == 201 and Material.objects.filter(kind="poster").exists()


def test_a_repeated_create_with_the_same_idempotency_key_creates_once(people, objects):
    client = api(people["police"])
    body = {**NEW_EVENT, "organiser": org("pu-bg").pk}
    first = client.post("/api/v1/prevention/events/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/prevention/events/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and first.json()["id"] == again.json()["id"]
    assert Event.objects.filter(title=NEW_EVENT["title"]).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_EVENT, "ends_on": "2024-09-01"}, "ends_on"),
        ({**NEW_EVENT, "attendance": [{"profession": "police", "count": 0}]}, "attendance[0].count"),
        ({**NEW_EVENT, "attendance": [{"profession": "wizard", "count": 2}]}, "attendance[0].profession"),
        ({**NEW_EVENT, "average_score": "7", "forms_returned": 2}, "average_score"),
        ({**NEW_EVENT, "kind": "party"}, "kind"),
    ],
)
def test_bad_input_is_problem_json_naming_the_field(people, objects, body, field):
    before = state()
    response = api(people["police"]).post("/api/v1/prevention/events/", body, format="json")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
    assert state() == before


def test_materials_distributed_beyond_produced_is_refused(people, objects):
    before = state()
    body = {**NEW_AWARENESS, "materials": [{**MATERIAL, "copies_produced": 3, "copies_distributed": 4}]}
    response = api(people["police"]).post("/api/v1/prevention/awareness/", body, format="json")
    assert response.status_code == 400 and "materials[0].copies_distributed" in response.json()["errors"]
    percent = {
        **NEW_SURVEY,
        "results": [{"domain": "knowledge", "statement": "S", "measure": "percent", "result": "140"}],
    }
    response = api(people["police"]).post("/api/v1/prevention/surveys/", percent, format="json")
    assert response.status_code == 400 and "results[0].result" in response.json()["errors"]
    assert state() == before


def test_indicator_feeds_are_the_coordinators(people):
    indicator = Indicator.objects.get(programme__code="rs-irc-anti-trafficking", code="roundtables")
    body = {"indicator": indicator.pk, "measure": "events", "event_kind": "round_table"}
    for who in ("police", "analyst"):
        before = state()
        assert api(people[who]).post("/api/v1/prevention/indicator-feeds/", body, format="json").status_code == 404
        assert state() == before
    assert api(None).get("/api/v1/prevention/indicator-feeds/").status_code == 401
    created = api(people["coordinator"]).post(
        "/api/v1/prevention/indicator-feeds/", body, format="json", HTTP_IDEMPOTENCY_KEY="feed-1"
    )
    assert created.status_code == 201, created.content
    feed = created.json()["id"]
    assert api(people["police"]).get("/api/v1/prevention/indicator-feeds/").json()["results"] == []
    assert len(api(people["analyst"]).get("/api/v1/prevention/indicator-feeds/").json()["results"]) == 1
    period = {"period_start": "2024-01-01", "period_end": "2024-12-31"}
    before = state()
    refused = api(people["analyst"]).post(f"/api/v1/prevention/indicator-feeds/{feed}/apply/", period, format="json")
    assert refused.status_code == 404 and state() == before
    applied = api(people["coordinator"]).post(
        f"/api/v1/prevention/indicator-feeds/{feed}/apply/", period, format="json"
    )
    assert applied.status_code == 201 and applied.json()["value"] == "0.00"
    assert AuditEntry.objects.filter(action="prevention.feed.apply", outcome="allowed").exists()


def test_task_evidence_endpoint(people, event):
    load_plan()
    task = Task.objects.get(number="3.2.3")
    Event.objects.filter(pk=event.pk).update(task=task)
    url = f"/api/v1/prevention/task-evidence/?task={task.pk}&month=2024-03"
    own = api(people["police"]).get(url).json()
    assert own["participants"] == 20 and own["trainings"] == 1 and own["events"][0]["id"] == event.pk
    assert api(people["ngo2"]).get(url).json()["participants"] == 0
    assert api(people["coordinator"]).get(url).json()["participants"] == 20
    bad = api(people["police"]).get(f"/api/v1/prevention/task-evidence/?task={task.pk}&month=2024-13")
    assert bad.status_code == 400 and "month" in bad.json()["errors"]


def test_the_schema_builds(people):
    response = api(people["admin"]).get("/api/v1/schema/")
    assert response.status_code == 200 and b"/api/v1/prevention/events/" in response.content
