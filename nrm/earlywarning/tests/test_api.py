"""The early-warning API beyond the access matrix: the other users allowed, list counts, input errors,
idempotency and the schema. Anonymous callers, another organisation and the wrong role are in the
shared access matrix (``test_access_matrix.py``).

The scene: three observations of police Novi Sad (Vojvodina) raised an alert to the Coordinator's
office and the police of Vojvodina; the asylum office observed in Belgrade. Police Belgrade is
another organisation; the reporter of police Novi Sad has a role without early-warning access.
"""

from __future__ import annotations

import pytest

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation
from nrm.earlywarning.tests.conftest import NOTE, REGION, observe

PROBLEM = "application/problem+json"
USERS = ["novisad", "police", "analyst", "coordinator", "ns_reporter", "admin"]


@pytest.fixture
def scene(people, threshold):
    for _ in range(3):
        obs = observe(people["novisad"], likelihood=4, note=NOTE)
    observe(people["asylum"], org_code="asylum-office", region="Belgrade", indicator="asylum_leaving_centres")
    return {"obs": obs, "alert": Alert.objects.get(), "threshold": threshold}


def state() -> tuple:
    return (
        sorted(Observation.objects.values_list("pk", flat=True)),
        sorted(Alert.objects.values_list("pk", "status", "score")),
        AlertEvent.objects.count(),
        sorted(AlertThreshold.objects.values_list("pk", "min_score", "is_active")),
    )


NEW_OBSERVATION = {"indicator": "child_with_unrelated_adults", "region": REGION, "likelihood": 2}
# endpoint -> (method, path, body, {user: expected status})
EXPECTED = {
    "groups": ("get", "/api/v1/early-warning/groups/", None, dict.fromkeys(USERS, 200)),
    "indicators": ("get", "/api/v1/early-warning/indicators/?group=workers_abroad", None, dict.fromkeys(USERS, 200)),
    "observations-list": ("get", "/api/v1/early-warning/observations/", None, dict.fromkeys(USERS, 200)),
    "observations-retrieve": (
        "get",
        "/api/v1/early-warning/observations/{obs}/",
        None,
        {"novisad": 200, "police": 404, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "observations-create": (
        "post",
        "/api/v1/early-warning/observations/",
        NEW_OBSERVATION,
        {"novisad": 201, "police": 201, "analyst": 400, "coordinator": 201, "ns_reporter": 400, "admin": 400},
    ),
    "matrix": (
        "get",
        "/api/v1/early-warning/matrix/",
        None,
        {"novisad": 200, "police": 200, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "alerts-list": ("get", "/api/v1/early-warning/alerts/", None, dict.fromkeys(USERS, 200)),
    "alerts-retrieve": (
        "get",
        "/api/v1/early-warning/alerts/{alert}/",
        None,
        {"novisad": 200, "police": 404, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "alerts-acknowledge": (
        "post",
        "/api/v1/early-warning/alerts/{alert}/acknowledge/",
        {"note": "On it"},
        {"novisad": 200, "police": 404, "analyst": 404, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "alerts-close": (
        "post",
        "/api/v1/early-warning/alerts/{alert}/close/",
        {"note": "Handled"},
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "thresholds-list": ("get", "/api/v1/early-warning/thresholds/", None, dict.fromkeys(USERS, 200)),
    "thresholds-create": (
        "post",
        "/api/v1/early-warning/thresholds/",
        {"min_score": 10, "min_observations": 2, "group": "asylum_seekers"},
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 201, "ns_reporter": 404, "admin": 404},
    ),
    "thresholds-update": (
        "patch",
        "/api/v1/early-warning/thresholds/{threshold}/",
        {"min_score": 20},
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
}
# How many rows each user's lists hold.
LIST_COUNTS = {
    "observations-list": {"novisad": 3, "police": 0, "analyst": 4, "coordinator": 4, "ns_reporter": 0, "admin": 0},
    "alerts-list": {"novisad": 1, "police": 0, "analyst": 1, "coordinator": 1, "ns_reporter": 0, "admin": 0},
    "thresholds-list": {"novisad": 1, "police": 1, "analyst": 1, "coordinator": 1, "ns_reporter": 0, "admin": 0},
}


def hit(name: str, scene: dict, user=None):
    method, path, body, _expected = EXPECTED[name]
    url = path.format(obs=scene["obs"].pk, alert=scene["alert"].pk, threshold=scene["threshold"].pk)
    client = api(user)
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_every_route_is_in_the_matrix():
    from nrm.api.urls import router

    routes = {
        f"{prefix}:{name}"
        for prefix, viewset, _basename in router.registry
        if viewset.__module__ == "nrm.earlywarning.api"
        for name in {
            m for m in ("list", "retrieve", "create", "update", "partial_update", "destroy") if hasattr(viewset, m)
        }
        | {a.__name__ for a in viewset.get_extra_actions()}
    }
    assert routes == {
        "early-warning/groups:list",
        "early-warning/indicators:list",
        "early-warning/observations:list",
        "early-warning/observations:retrieve",
        "early-warning/observations:create",
        "early-warning/matrix:list",
        "early-warning/alerts:list",
        "early-warning/alerts:retrieve",
        "early-warning/alerts:acknowledge",
        "early-warning/alerts:close",
        "early-warning/thresholds:list",
        "early-warning/thresholds:retrieve",
        "early-warning/thresholds:create",
        "early-warning/thresholds:update",
        "early-warning/thresholds:partial_update",
    }


HARNESS_NAMES = {"other_org": "police", "wrong_role": "ns_reporter"}


def in_the_matrix(name: str) -> set[str]:
    """Return the personas the shared access matrix already tries on endpoint ``name``."""
    from nrm.earlywarning.tests.test_access_matrix import ROUTES

    method, path, _body, _expected = EXPECTED[name]
    return {
        HARNESS_NAMES.get(p, p) for r in ROUTES if (r.method, r.path) == (method, path) for p in (r.right, *r.outsiders)
    }


# The (endpoint, persona) pairs the access matrix does not try: the other personas allowed.
# The matrix's other organisation records for police Novi Sad (refused); here it records for its own.
OTHERS = [(name, who) for name in EXPECTED for who in USERS if who not in in_the_matrix(name)] + [
    ("observations-create", "police")
]


@pytest.mark.parametrize(("name", "who"), OTHERS, ids=[f"{n}-{w}" for n, w in OTHERS])
def test_the_others(people, scene, name, who):
    method, _path, _body, expected = EXPECTED[name]
    user = fresh(people[who])
    before = state()
    response = hit(name, scene, user)
    assert response.status_code == expected[who], response.content
    if response.status_code >= 400 or method == "get":
        assert state() == before
    else:
        assert state() != before
    if who not in ("novisad", "analyst", "coordinator") or name != "observations-retrieve":
        assert b"Quorbatek" not in response.content


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("name", list(LIST_COUNTS))
def test_lists_hold_what_each_user_sees(people, scene, name, who):
    body = hit(name, scene, fresh(people[who])).json()
    assert body.get("count", len(body.get("results", []))) == LIST_COUNTS[name][who]


def test_a_refusal_is_the_missing_record_and_a_create_names_the_organisation(people, scene):
    for name, who in [("observations-retrieve", "police"), ("alerts-close", "analyst"), ("matrix", "admin")]:
        response = hit(name, scene, fresh(people[who]))
        assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404}, name
    for who in ("analyst", "ns_reporter", "admin"):
        response = hit("observations-create", scene, fresh(people[who]))
        assert response.status_code == 400 and list(response.json()["errors"]) == ["organisation"], who


def test_refused_reads_and_writes_are_audited(people, scene):
    hit("observations-retrieve", scene, fresh(people["police"]))
    hit("alerts-retrieve", scene, fresh(people["police"]))
    hit("alerts-close", scene, fresh(people["analyst"]))
    denied = list(AuditEntry.objects.filter(outcome="denied").order_by("id").values_list("actor", "action"))
    assert denied == [
        ("police", "earlywarning.observation_view"),
        ("police", "earlywarning.alert_view"),
        ("analyst", "earlywarning.alert_closed"),
    ]


def test_the_matrix_over_what_the_user_sees(people, scene):
    body = api(fresh(people["coordinator"])).get("/api/v1/early-warning/matrix/?window_days=30").json()
    rows = {(r["group"], r["region"]): r for r in body["results"]}
    assert body["national"] is True and body["window_days"] == 30
    assert rows[("migrants_in_transit", REGION)] == {
        "group": "migrants_in_transit",
        "region": REGION,
        "likelihood": 4,
        "impact": 5,
        "score": 20,
        "level": "very_high",
        "observations": 3,
        "persons_concerned": 0,
    }
    assert ("asylum_seekers", "Belgrade") in rows
    mine = api(fresh(people["novisad"])).get("/api/v1/early-warning/matrix/?group=migrants_in_transit").json()
    assert [r["region"] for r in mine["results"]] == [REGION] and mine["national"] is False
    bad = api(fresh(people["novisad"])).get("/api/v1/early-warning/matrix/?as_of=yesterday")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["as_of"]
    bad = api(fresh(people["novisad"])).get("/api/v1/early-warning/matrix/?group=martians")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["group"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_OBSERVATION, "likelihood": 7}, "likelihood"),
        ({**NEW_OBSERVATION, "region": "Atlantis"}, "region"),
        ({**NEW_OBSERVATION, "observed_on": "2999-01-01"}, "observed_on"),
        ({**NEW_OBSERVATION, "indicator": "nothing"}, "indicator"),
        ({**NEW_OBSERVATION, "persons_concerned": -3}, "persons_concerned"),
    ],
)
def test_bad_input_is_problem_json_naming_the_field(people, scene, body, field):
    before = state()
    response = api(fresh(people["novisad"])).post("/api/v1/early-warning/observations/", body, format="json")
    assert response.status_code == 400 and response["Content-Type"].startswith(PROBLEM)
    assert list(response.json()["errors"]) == [field]
    assert state() == before


def test_an_observation_create_is_idempotent(people, scene):
    client = api(fresh(people["novisad"]))
    first = client.post(
        "/api/v1/early-warning/observations/", NEW_OBSERVATION, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/early-warning/observations/", NEW_OBSERVATION, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and first.json()["id"] == again.json()["id"]
    assert Observation.objects.count() == 5


def test_alert_detail_has_recipients_and_history(people, scene):
    coordinator = api(fresh(people["coordinator"]))
    coordinator.post(f"/api/v1/early-warning/alerts/{scene['alert'].pk}/acknowledge/", {"note": "Seen"}, format="json")
    closed = coordinator.post(f"/api/v1/early-warning/alerts/{scene['alert'].pk}/close/", {}, format="json")
    assert closed.status_code == 400 and list(closed.json()["errors"]) == ["note"]
    body = coordinator.get(f"/api/v1/early-warning/alerts/{scene['alert'].pk}/").json()
    assert body["status"] == "acknowledged" and body["level"] == "very_high"
    assert [e["kind"] for e in body["events"]] == ["raised", "acknowledged"]
    again = coordinator.post(f"/api/v1/early-warning/alerts/{scene['alert'].pk}/acknowledge/", {}, format="json")
    assert again.status_code == 409


def test_the_schema_builds(people):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/early-warning/")]
    assert "/api/v1/early-warning/alerts/{id}/acknowledge/" in paths
    assert "/api/v1/early-warning/matrix/" in paths
