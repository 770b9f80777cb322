"""Every justice endpoint against the outsiders: anonymous, another organisation, the wrong role.

The proceeding belongs to the Belgrade police (pu-bg) and is shared with the Belgrade
prosecutor's office (rjt-bg). For every endpoint the test names who may use it and asserts,
for everyone else, the same answer as for a missing record, that nothing changed, that the
refusal was audited, and that no defendant's identity left the server.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import IDENTITY, SECRETS, api, member, move, open_case, org, refer, share
from nrm.justice import services
from nrm.justice.models import Proceeding
from nrm.justice.tests.helpers import DEFENDANT_SECRETS, state
from nrm.referrals.choices import ReferralStatus

PROBLEM = "application/problem+json"
P = "/api/v1/justice/proceedings/{s.proceeding.pk}/"
V = "/api/v1/justice/victims/{s.part_a.pk}/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: dict | None
    right: str  # a persona that may use it
    ok: int
    # "object": one record, hidden from outsiders; "list": outsiders get an empty page;
    # "create": outsiders cannot act for a justice organisation; "open": every signed-in user;
    # "stats": aggregates for national readers and justice staff, 403 for anyone else.
    kind: str


ENDPOINTS = [
    Endpoint("proceedings-list", "get", "/api/v1/justice/proceedings/", None, "police", 200, "list"),
    Endpoint("proceedings-retrieve", "get", P, None, "police", 200, "object"),
    Endpoint(
        "proceedings-create",
        "post",
        "/api/v1/justice/proceedings/",
        {"reference": "KTO 99/24", "investigation_on": "2024-05-01", "cases": ["{case_c}"]},
        "police",
        201,
        "create",
    ),
    Endpoint(
        "proceedings-partial_update", "patch", P, {"version": 3, "court": "Higher Court"}, "prosecutor", 200, "object"
    ),
    Endpoint(
        "proceedings-advance",
        "post",
        P + "advance/",
        {"version": 3, "stage": "final_verdict", "on": "2025-06-02"},
        "prosecutor",
        200,
        "object",
    ),
    Endpoint("proceedings-share", "post", P + "share/", {"organisation": "{rjt_ns}"}, "police", 201, "object"),
    Endpoint(
        "proceedings-defendants",
        "post",
        P + "defendants/",
        {"name": "Second Defendant", "sex": "F", "offences": ["388"]},
        "police",
        201,
        "object",
    ),
    Endpoint(
        "proceedings-charges",
        "post",
        P + "charges/",
        {"defendant": "{defendant}", "offence": "350"},
        "police",
        201,
        "object",
    ),
    Endpoint(
        "proceedings-verdicts",
        "post",
        P + "verdicts/",
        {"charge": "{charge}", "instance": "final", "outcome": "convicted", "decided_on": "2025-09-01"},
        "prosecutor",
        201,
        "object",
    ),
    Endpoint(
        "proceedings-victims", "post", P + "victims/", {"case": "{case_c}", "role": "witness"}, "police", 201, "object"
    ),
    Endpoint("victims-list", "get", "/api/v1/justice/victims/", None, "ngo", 200, "list"),
    Endpoint("victims-retrieve", "get", V, None, "ngo", 200, "object"),
    Endpoint(
        "victims-partial_update",
        "patch",
        V,
        {"version": 2, "compensation_awarded": "200000.00", "awarded_on": "2025-03-14"},
        "prosecutor",
        200,
        "object",
    ),
    Endpoint("offences", "get", "/api/v1/justice/offences/", None, "ngo2", 200, "open"),
    Endpoint("measures", "get", "/api/v1/justice/protection-measures/", None, "ngo2", 200, "open"),
    Endpoint("statistics", "get", "/api/v1/justice/statistics/", None, "analyst", 200, "stats"),
    Endpoint("statistics-year", "get", "/api/v1/justice/statistics/?year=2024", None, "coordinator", 200, "stats"),
]
BY_NAME = {e.name: e for e in ENDPOINTS}
IDS = [e.name for e in ENDPOINTS]


def fill(value, s):
    """Put the scene's ids into a path or body template."""
    if isinstance(value, dict):
        return {k: fill(v, s) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, s) for v in value]
    if isinstance(value, str) and "{" in value:
        ids = {
            "case_c": s.case_c.pk,
            "rjt_ns": org("rjt-ns").pk,
            "pu_bg": org("pu-bg").pk,
            "defendant": s.defendant.pk,
            "charge": s.charge.pk,
        }
        if value.strip("{}") in ids:
            return ids[value.strip("{}")]
        return value.format(s=s)
    return value


def call(endpoint: Endpoint, s, user=None, body: dict | None = None):
    client = api(user)
    path = fill(endpoint.path, s)
    data = fill(body if body is not None else endpoint.body, s)
    if endpoint.method == "get":
        return client.get(path)
    return getattr(client, endpoint.method)(path, data, format="json")


def test_every_justice_route_is_in_the_matrix():
    from nrm.api.urls import router

    routes = {
        f"{prefix}:{name}"
        for prefix, viewset, _basename in router.registry
        if viewset.__module__ == "nrm.justice.api"
        for name in _actions(viewset)
    }
    assert routes == {
        "justice/proceedings:list",
        "justice/proceedings:retrieve",
        "justice/proceedings:create",
        "justice/proceedings:partial_update",
        "justice/proceedings:advance",
        "justice/proceedings:share",
        "justice/proceedings:defendants",
        "justice/proceedings:charges",
        "justice/proceedings:verdicts",
        "justice/proceedings:victims",
        "justice/victims:list",
        "justice/victims:retrieve",
        "justice/victims:partial_update",
        "justice/offences:list",
        "justice/protection-measures:list",
        "justice/statistics:list",
    }


def _actions(viewset) -> set[str]:
    names = {m for m in ("list", "retrieve", "create", "update", "partial_update", "destroy") if hasattr(viewset, m)}
    return names | {a.__name__ for a in viewset.get_extra_actions()}


def _no_secrets(response, *, defendants: bool = True) -> None:
    for secret in [*SECRETS, *(DEFENDANT_SECRETS if defendants else [])]:
        assert secret.encode() not in response.content, secret


# --- Anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_anonymous_is_refused(scene, name):
    before = state()
    response = call(BY_NAME[name], scene)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    assert state() == before
    _no_secrets(response)


# --- Another organisation, the wrong role ----------------------------------------------------


@pytest.mark.parametrize("outsider", ["ngo2", "other-police"])
@pytest.mark.parametrize("name", IDS)
def test_another_organisation(scene, name, outsider):
    """ngo-most, and another police directorate, have nothing to do with the proceeding."""
    user = scene.users[outsider] if outsider == "ngo2" else member("pu-ns-officer", "pu-ns", Role.FRONTLINE)
    endpoint = BY_NAME[name]
    body = endpoint.body
    if endpoint.kind == "create":
        body = {**endpoint.body, "organisation": "{pu_bg}"}
    before = state()
    response = call(endpoint, scene, user, body)
    _assert_outsider(endpoint, response, user.username, before, justice_staff=outsider == "other-police")


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ADMIN, Role.IDENTIFIER, Role.ANALYST])
@pytest.mark.parametrize("name", IDS)
def test_same_organisation_with_the_wrong_role(scene, name, role):
    user = member("pu-wrong-role", "pu-bg", role)
    endpoint = BY_NAME[name]
    before = state()
    response = call(endpoint, scene, user)
    if role == Role.ANALYST and endpoint.kind == "stats":
        # An analyst reads national aggregates wherever their membership is, and nothing else.
        assert response.status_code == 200
        assert state() == before
        return
    if role == Role.IDENTIFIER and name in ("victims-list", "victims-retrieve"):
        # The case rule lets pu-bg's identification staff see pu-bg's cases, hence the victims' parts.
        assert response.status_code == 200
        _no_secrets(response)
        assert state() == before
        return
    _assert_outsider(endpoint, response, "pu-wrong-role", before)


def _assert_outsider(endpoint, response, username, before, *, justice_staff: bool = False):
    _no_secrets(response)
    assert state() == before
    if endpoint.kind == "object":
        assert response.status_code == 404, response.content
        assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404}
        entry = AuditEntry.objects.order_by("-seq").first()
        assert (entry.actor, entry.outcome) == (username, "denied")
    elif endpoint.kind == "list":
        assert response.status_code == 200
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    elif endpoint.kind == "create":
        assert response.status_code == 400
        assert "organisation" in response.json()["errors"]
    elif endpoint.kind == "stats":
        if justice_staff:  # national tables, with disclosure control: nothing of the proceeding shows
            assert response.status_code == 200
            assert response.json()["threshold"] == 5
        else:
            assert response.status_code == 403
            assert response["Content-Type"].startswith(PROBLEM)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", [e.name for e in ENDPOINTS if e.method != "get"] + ["proceedings-retrieve"])
def test_the_ngo_holding_a_victims_case_cannot_touch_the_proceeding(scene, name):
    endpoint = BY_NAME[name]
    before = state()
    response = call(endpoint, scene, scene.users["ngo"])
    _no_secrets(response)
    assert state() == before
    if endpoint.kind == "create":
        assert response.status_code == 400
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", ["proceedings-share"])
def test_the_prosecutor_shared_with_cannot_share_again(scene, name):
    before = state()
    response = call(BY_NAME[name], scene, scene.users["prosecutor"])
    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize("name", [e.name for e in ENDPOINTS if e.kind == "stats"])
def test_ngo_and_case_staff_get_no_justice_statistics(scene, name):
    for who in ("ngo", "socialwork", "centre"):
        response = call(BY_NAME[name], scene, scene.users[who])
        assert response.status_code == 403


# --- The right role --------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_the_right_role(scene, name):
    endpoint = BY_NAME[name]
    before = state()
    response = call(endpoint, scene, scene.users[endpoint.right])
    assert response.status_code == endpoint.ok, response.content
    assert response["Content-Type"] == "application/json"
    if endpoint.method == "get":
        assert state() == before
    else:
        assert state() != before
    if endpoint.kind == "list":
        assert response.json()["count"] >= 1
    if endpoint.right in ("ngo", "analyst", "coordinator"):
        _no_secrets(response)


def test_the_owner_reads_the_whole_proceeding_and_the_read_is_audited(scene):
    response = api(scene.users["police"]).get(f"/api/v1/justice/proceedings/{scene.proceeding.pk}/?reason=hearing")
    data = response.json()
    assert data["defendants"][0]["name"] == "Dragoslav Xyvernik"
    assert data["defendants"][0]["charges"][0]["verdicts"][0]["outcome"] == "convicted"
    assert sorted(v["case"] for v in data["victims"]) == sorted([scene.case_a.pk, scene.case_b.pk])
    assert [s["organisation_name"] for s in data["shares"]] == ["Higher Public Prosecutor's Office Belgrade"]
    assert (data["is_owner"], data["can_edit"], data["defendant_count"], data["victim_count"]) == (True, True, 1, 2)
    entry = AuditEntry.objects.filter(action="proceeding.view").get()
    assert (entry.actor, entry.outcome, entry.reason, entry.detail) == (
        "police",
        "allowed",
        "hearing",
        {"identity": True},
    )
    assert entry.organisation_id == org("pu-bg").pk
    # The victims' identity is the case rule's business, not the proceeding's.
    for secret in IDENTITY.values():
        assert secret.encode() not in response.content


# --- The NGO's view: its case's part only ----------------------------------------------------


def test_ngo_sees_only_its_cases_part_and_never_a_defendant(scene):
    client = api(scene.users["ngo"])
    listing = client.get("/api/v1/justice/victims/")
    assert [row["id"] for row in listing.json()["results"]] == [scene.part_a.pk]
    detail = client.get(f"/api/v1/justice/victims/{scene.part_a.pk}/")
    data = detail.json()
    assert data["case"] == scene.case_a.pk
    assert data["proceeding"]["reference"] == "KTO 17/24"
    assert data["proceeding"]["stage"] == "first_instance_verdict"
    assert data["protection_measures"] == ["video_link"]
    assert (data["compensation_claimed"], data["compensation_currency"]) == ("450000.00", "RSD")
    assert data["offences"] == [{"code": "388", "article": "Art. 388", "name": "Trafficking in human beings"}]
    assert data["verdicts"] == {"first": {"convicted": 1, "acquitted": 0, "dismissed": 0}}
    assert data["can_edit"] is False
    for response in (listing, detail):
        _no_secrets(response)
        assert b"Xyvernik" not in response.content
        assert scene.case_b.reference.encode() not in response.content
    entry = AuditEntry.objects.filter(action="proceeding.victim.view").get()
    assert (entry.actor, entry.object_type, entry.object_id) == ("ngo", "case", str(scene.case_a.pk))
    # The other victim's part does not exist for the NGO.
    other = client.get(f"/api/v1/justice/victims/{scene.part_b.pk}/")
    assert other.status_code == 404
    assert AuditEntry.objects.filter(action="proceeding.victim.view", outcome="denied", actor="ngo").count() == 1


def test_ngo_loses_the_part_when_the_referral_closes(scene):
    referral = scene.case_a.referrals.get(to_org=org("ngo-sigurna"))
    move(scene.users["police"], referral, ReferralStatus.CLOSED)
    response = api(scene.users["ngo"]).get(f"/api/v1/justice/victims/{scene.part_a.pk}/")
    assert response.status_code == 404


def test_victims_list_filters_by_case(scene):
    client = api(scene.users["police"])
    assert client.get("/api/v1/justice/victims/").json()["count"] == 2
    rows = client.get(f"/api/v1/justice/victims/?case={scene.case_b.pk}").json()["results"]
    assert [r["id"] for r in rows] == [scene.part_b.pk]


# --- Writes land -----------------------------------------------------------------------------


def test_writes_through_the_api(scene):
    s = scene
    prosecutor = api(s.users["prosecutor"])
    response = call(BY_NAME["proceedings-verdicts"], s, s.users["prosecutor"])
    assert response.json()["outcome"] == "convicted"
    s.proceeding.refresh_from_db()
    assert (s.proceeding.stage, s.proceeding.version) == ("final_verdict", 4)
    stale = prosecutor.patch(
        f"/api/v1/justice/proceedings/{s.proceeding.pk}/", {"version": 3, "court": "X"}, format="json"
    )
    assert stale.status_code == 409 and stale["Content-Type"].startswith(PROBLEM)
    bad = prosecutor.patch(
        f"/api/v1/justice/victims/{s.part_a.pk}/",
        {"version": 2, "compensation_paid": "10.00", "paid_on": "2025-04-01"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"compensation_paid": ["Record the compensation awarded before any payment."]}
    created = api(s.users["police"]).post(
        "/api/v1/justice/proceedings/",
        {"reference": "KTO 5/25", "cases": [s.case_c.pk, 999999]},
        format="json",
    )
    assert created.status_code == 400 and list(created.json()["errors"]) == ["cases"]


def test_proceeding_create_is_idempotent(scene):
    client = api(scene.users["police"])
    body = {"reference": "KTO 77/25", "investigation_on": "2025-01-02", "cases": [scene.case_c.pk]}
    first = client.post("/api/v1/justice/proceedings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/justice/proceedings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"


# --- Queries do not grow with rows -----------------------------------------------------------


def _more_proceedings(s, n: int) -> None:
    police = fresh(s.users["police"])
    start = Proceeding.objects.count()
    for i in range(start, start + n):
        case = open_case(police)
        share(police, case, "ngo-sigurna")
        move(s.users["ngo"], refer(police, case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
        p = services.proceeding_open(
            actor=fresh(police), organisation=org("pu-bg"), reference=f"KTO {100 + i}/24", cases=[case]
        )
        services.proceeding_share(actor=fresh(police), proceeding=p, organisation=org("rjt-bg"))
        services.defendant_add(actor=fresh(police), proceeding=p, name=f"Defendant {i}", offences=["388"])
        part = p.victims.get()
        services.victim_update(
            actor=fresh(police), part=part, expected_version=1, protection_measures=["video_link", "closed_hearing"]
        )


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/justice/proceedings/", "police"),
        ("/api/v1/justice/proceedings/", "prosecutor"),
        ("/api/v1/justice/victims/", "police"),
        ("/api/v1/justice/victims/", "ngo"),
    ],
)
def test_list_queries_do_not_grow_with_rows(scene, path, who, django_assert_max_num_queries):
    client = api(scene.users[who])
    _more_proceedings(scene, 2)
    with CaptureQueriesContext(connection) as small:
        count = client.get(path).json()["count"]
    _more_proceedings(scene, 12)
    with django_assert_max_num_queries(len(small)):
        response = client.get(path)
    assert response.json()["count"] > count


def test_detail_queries_do_not_grow_with_defendants_and_victims(scene):
    client = api(scene.users["police"])
    path = f"/api/v1/justice/proceedings/{scene.proceeding.pk}/"
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    police = fresh(scene.users["police"])
    for i in range(5):
        d = services.defendant_add(
            actor=fresh(police), proceeding=scene.proceeding, name=f"D {i}", offences=["388", "350"]
        )
        services.verdict_record(actor=fresh(police), charge=d.charges.first(), instance="first", outcome="acquitted")
        services.victim_link(
            actor=police, proceeding=scene.proceeding, case=open_case(police), protection_measures=["video_link"]
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200
    assert len(large) == len(small)
