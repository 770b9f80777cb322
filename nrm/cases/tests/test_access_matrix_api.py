"""Every API endpoint against the outsiders: anonymous, another organisation, the wrong role.

The case is owned by the police directorate in Belgrade (pu-bg). For every endpoint of the
router the test names who may use it, and asserts for everyone else that the answer is the
same as for a missing record, that nothing changed, and that the refusal was audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import (
    GUARDIAN,
    IDENTITY,
    SECRETS,
    api,
    denials,
    member,
    move,
    open_case,
    open_child_case,
    org,
    refer,
    share,
    state,
)
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import ServiceType

PROBLEM = "application/problem+json"


@pytest.fixture
def scene(world):
    """Return one case of pu-bg with a screening, consents, referrals, a service and a note."""
    police = world["police"]
    caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    screening = case_services.screening_record(
        actor=fresh(police), organisation=org("pu-bg"), answers=PRESUMED_ADULT, is_child=False
    )
    case = open_case(police, screening=screening)
    consent = share(police, case, "ngo-sigurna")
    share(police, case, "centre")
    to_ngo = refer(police, case, "ngo-sigurna")
    to_centre = refer(police, case, "centre")
    move(world["centre"], to_centre, ReferralStatus.ACCEPTED)
    delivery = case_services.service_record(
        actor=fresh(caseworker),
        case=case,
        service_type=ServiceType.objects.get(code="legal_aid"),
        organisation=org("pu-bg"),
    )
    case_services.note_add(actor=fresh(caseworker), case=case, text="Note only the owner reads")
    case.refresh_from_db()
    return SimpleNamespace(
        users={**world, "caseworker": caseworker},
        screening=screening,
        case=case,
        consent=consent,
        to_ngo=to_ngo,
        to_centre=to_centre,
        delivery=delivery,
    )


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # formatted with the scene
    body: dict | None
    right: str  # the persona that may use it
    ok: int
    # "object": one record, hidden from outsiders; "list": outsiders get an empty page;
    # "create": outsiders cannot act for pu-bg; "open": every signed-in user.
    kind: str


CASE = "/api/v1/cases/{s.case.pk}/"
ENDPOINTS = [
    Endpoint("screenings-list", "get", "/api/v1/screenings/", None, "police", 200, "list"),
    Endpoint("screenings-retrieve", "get", "/api/v1/screenings/{s.screening.pk}/", None, "police", 200, "object"),
    Endpoint(
        "screenings-create",
        "post",
        "/api/v1/screenings/",
        {"answers": PRESUMED_ADULT, "is_child": False},
        "police",
        201,
        "create",
    ),
    Endpoint("cases-list", "get", "/api/v1/cases/", None, "police", 200, "list"),
    Endpoint("cases-retrieve", "get", CASE, None, "police", 200, "object"),
    Endpoint(
        "cases-create",
        "post",
        "/api/v1/cases/",
        {"identity": {"given_name": "Nova"}, "sex": "M", "birth_year": 1990, "citizenship": "RS", "forms": ["labour"]},
        "police",
        201,
        "create",
    ),
    Endpoint("cases-partial_update", "patch", CASE, {"version": 1, "region": "Zemun"}, "caseworker", 200, "object"),
    Endpoint(
        "cases-consents",
        "post",
        CASE + "consents/",
        {"purpose": "share", "organisation": "{ngo_most}"},
        "police",
        201,
        "object",
    ),
    Endpoint("cases-withdraw", "post", CASE + "consents/{s.consent.pk}/withdraw/", None, "police", 200, "object"),
    Endpoint(
        "cases-identify",
        "post",
        CASE + "identify/",
        {"decision": "identified", "grounds": "Interview."},
        "centre",
        201,
        "object",
    ),
    Endpoint(
        "cases-services",
        "post",
        CASE + "services/",
        {"service_type": "psychological", "organisation": "{pu_bg}"},
        "caseworker",
        201,
        "object",
    ),
    Endpoint(
        "cases-update_service",
        "patch",
        CASE + "services/{s.delivery.pk}/",
        {"version": 1, "status": "in_progress", "started_on": "2024-04-03"},
        "caseworker",
        200,
        "object",
    ),
    Endpoint(
        "cases-close", "post", CASE + "close/", {"version": 1, "reason": "reintegrated"}, "caseworker", 200, "object"
    ),
    Endpoint("cases-notes", "post", CASE + "notes/", {"text": "Seen today."}, "caseworker", 201, "object"),
    Endpoint("cases-subject_export", "get", CASE + "subject-export/", None, "caseworker", 200, "object"),
    Endpoint("referrals-list", "get", "/api/v1/referrals/", None, "police", 200, "list"),
    Endpoint("referrals-retrieve", "get", "/api/v1/referrals/{s.to_ngo.pk}/", None, "police", 200, "object"),
    Endpoint(
        "referrals-create",
        "post",
        "/api/v1/referrals/",
        {"case": "{case}", "to_org": "{ngo_sigurna}", "service_type": "psychological"},
        "police",
        201,
        "object",
    ),
    Endpoint(
        "referrals-transition",
        "post",
        "/api/v1/referrals/{s.to_ngo.pk}/transition/",
        {"status": "accepted", "version": 1},
        "ngo",
        200,
        "object",
    ),
    Endpoint("directory", "get", "/api/v1/services/directory/", None, "analyst", 200, "open"),
    Endpoint("me", "get", "/api/v1/me/", None, "analyst", 200, "open"),
    Endpoint("indicator-list", "get", "/api/v1/indicator-lists/active/", None, "police", 200, "open"),
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
            "case": s.case.pk,
            "ngo_most": org("ngo-most").pk,
            "ngo_sigurna": org("ngo-sigurna").pk,
            "pu_bg": org("pu-bg").pk,
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


def test_router_is_covered():
    """Every route of the case and referral viewsets is in the matrix, so none can skip it.

    Other apps' routes (action plan, exchange) are tested with those apps.
    """
    from nrm.api.urls import router

    routes = {
        f"{prefix}:{name}"
        for prefix, viewset, _basename in router.registry
        if viewset.__module__ in ("nrm.cases.api", "nrm.referrals.api")
        for name in _actions(viewset)
    }
    assert routes == {
        "screenings:list",
        "screenings:retrieve",
        "screenings:create",
        "cases:list",
        "cases:retrieve",
        "cases:create",
        "cases:partial_update",
        "cases:consents",
        "cases:withdraw_consent",
        "cases:identify",
        "cases:services",
        "cases:update_service",
        "cases:close",
        "cases:notes",
        "cases:subject_export",
        "referrals:list",
        "referrals:retrieve",
        "referrals:create",
        "referrals:transition",
        "services/directory:list",
    }


def _actions(viewset) -> set[str]:
    names = {m for m in ("list", "retrieve", "create", "update", "partial_update", "destroy") if hasattr(viewset, m)}
    return names | {a.__name__ for a in viewset.get_extra_actions()}


# --- Anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_anonymous_is_refused(scene, name):
    endpoint = BY_NAME[name]
    before = state(scene.case)
    response = call(endpoint, scene)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"] == "Token"
    assert state(scene.case) == before
    for secret in SECRETS:
        assert secret.encode() not in response.content


def test_anonymous_may_read_the_schema_only(scene):
    """The OpenAPI schema describes the API, not its data; it is public, like the docs page."""
    response = api().get("/api/v1/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")
    for secret in SECRETS:
        assert secret.encode() not in response.content


# --- Another organisation --------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_another_organisation(scene, name):
    """ngo2 (ngo-most) has nothing to do with the case: for it the case does not exist."""
    endpoint = BY_NAME[name]
    before = state(scene.case)
    audit_before = AuditEntry.objects.count()
    body = endpoint.body
    if endpoint.kind == "create":
        body = {**endpoint.body, "organisation": "{pu_bg}"}
    response = call(endpoint, scene, scene.users["ngo2"], body)
    _assert_outsider(endpoint, scene, response, "ngo2", before, audit_before)


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST])
@pytest.mark.parametrize("name", IDS)
def test_same_organisation_with_the_wrong_role(scene, name, role):
    endpoint = BY_NAME[name]
    user = member("pu-wrong-role", "pu-bg", role)
    before = state(scene.case)
    audit_before = AuditEntry.objects.count()
    response = call(endpoint, scene, user)
    _assert_outsider(endpoint, scene, response, "pu-wrong-role", before, audit_before)


def _assert_outsider(endpoint, scene, response, username, before, audit_before):
    for secret in [*SECRETS, "Note only the owner reads"]:
        assert secret.encode() not in response.content
    assert state(scene.case) == before
    if endpoint.kind == "object":
        assert response.status_code == 404, response.content
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404}
        [entry] = AuditEntry.objects.filter(seq__gt=audit_before)
        assert (entry.actor, entry.outcome) == (username, "denied")
        assert entry.object_id in {str(scene.case.pk), str(scene.screening.pk), str(scene.to_ngo.pk)}
    elif endpoint.kind == "list":
        assert response.status_code == 200
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    elif endpoint.kind == "create":
        assert response.status_code == 400
        assert response["Content-Type"].startswith(PROBLEM)
        assert "organisation" in response.json()["errors"]
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["cases-partial_update", "cases-identify", "cases-services", "cases-update_service", "cases-close", "cases-notes"],
)
def test_frontline_owner_cannot_manage(scene, name):
    """The owner's frontline worker screens and refers; managing the case is the case workers'."""
    endpoint = BY_NAME[name]
    before = state(scene.case)
    response = call(endpoint, scene, scene.users["police"])
    assert response.status_code == 404
    assert state(scene.case) == before
    assert denials(actor="police")


@pytest.mark.parametrize("name", ["cases-retrieve", "cases-partial_update", "cases-close", "cases-notes"])
def test_receiver_before_accepting_cannot_touch_the_case(scene, name):
    endpoint = BY_NAME[name]
    before = state(scene.case)
    response = call(endpoint, scene, scene.users["ngo"])
    assert response.status_code == 404
    assert state(scene.case) == before


# --- The right role --------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_the_right_role(scene, name):
    endpoint = BY_NAME[name]
    before = state(scene.case)
    response = call(endpoint, scene, scene.users[endpoint.right])
    assert response.status_code == endpoint.ok, response.content
    assert response["Content-Type"] == "application/json"
    after = state(scene.case)
    if endpoint.method == "get":
        assert after == before
    else:
        assert after != before
    if endpoint.kind == "list":
        assert response.json()["count"] >= 1


def test_right_role_writes_land(scene):
    s = scene
    call(BY_NAME["cases-partial_update"], s, s.users["caseworker"])
    s.case.refresh_from_db()
    assert (s.case.version, s.case.region) == (2, "Zemun")
    call(BY_NAME["cases-identify"], s, s.users["centre"])
    s.case.refresh_from_db()
    assert s.case.identification_status == "identified"
    response = call(BY_NAME["referrals-transition"], s, s.users["ngo"])
    assert response.json()["status"] == "accepted" and response.json()["version"] == 2
    response = call(BY_NAME["cases-close"], s, s.users["caseworker"], {"version": 2, "reason": "reintegrated"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    # Closing closed the referrals still open.
    assert set(s.case.referrals.values_list("status", flat=True)) == {"completed"}  # settled by the closure


# --- Receivers and identity ------------------------------------------------------------------


def _names_in(response) -> list[str]:
    return [secret for secret in IDENTITY.values() if secret.encode() in response.content]


@pytest.mark.parametrize("shares_identity", [True, False])
def test_receiver_sees_the_case_after_accepting_and_identity_only_if_shared(world, shares_identity):
    police, ngo = world["police"], world["ngo"]
    case = open_case(police)
    share(police, case, "ngo-sigurna")
    response = api(police).post(
        "/api/v1/referrals/",
        {
            "case": case.pk,
            "to_org": org("ngo-sigurna").pk,
            "service_type": "accommodation",
            "shares_identity": shares_identity,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    referral = response.json()
    assert referral["shares_identity"] is shares_identity

    assert api(ngo).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    inbox = api(ngo).get("/api/v1/referrals/?box=in").json()
    assert [r["id"] for r in inbox["results"]] == [referral["id"]]
    assert _names_in(api(ngo).get("/api/v1/referrals/?box=in")) == []

    accepted = api(ngo).post(
        f"/api/v1/referrals/{referral['id']}/transition/", {"status": "accepted", "version": 1}, format="json"
    )
    assert accepted.status_code == 200, accepted.content

    response = api(ngo).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.json()
    if shares_identity:
        assert body["identity"]["given_name"] == IDENTITY["given_name"]
        assert _names_in(response) == list(IDENTITY.values())
    else:
        assert body["identity"] is None
        assert _names_in(response) == []
    assert "consents" not in body and body["plan_goals"] == ""
    # The owner sees everything.
    owner_view = api(police).get(f"/api/v1/cases/{case.pk}/")
    assert _names_in(owner_view) == list(IDENTITY.values())
    assert len(owner_view.json()["consents"]) == 1


def test_receiver_does_not_see_the_owners_notes(scene):
    s = scene
    assert call(BY_NAME["referrals-transition"], s, s.users["ngo"]).status_code == 200
    response = api(s.users["ngo"]).get(f"/api/v1/cases/{s.case.pk}/")
    assert response.status_code == 200
    assert b"Note only the owner reads" not in response.content
    owner = api(s.users["caseworker"]).get(f"/api/v1/cases/{s.case.pk}/")
    assert b"Note only the owner reads" in owner.content


def test_centre_sees_a_referred_case_only_after_accepting(world):
    police, centre = world["police"], world["centre"]
    case = open_child_case(police)
    referral = refer(police, case, "centre", legal_ground="child", legal_ground_note="Best interests.")
    assert api(centre).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    response = api(centre).post(
        f"/api/v1/cases/{case.pk}/identify/", {"decision": "identified", "grounds": "x"}, format="json"
    )
    assert response.status_code == 404
    move(centre, referral, ReferralStatus.ACCEPTED)
    response = api(centre).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["guardian"] == GUARDIAN
    assert response.json()["identity"]["family_name"] == IDENTITY["family_name"]


@pytest.mark.parametrize("who", ["analyst", "coordinator", "admin"])
def test_aggregate_roles_never_receive_identity(scene, who):
    """Walk every GET endpoint as a role with no record-level access; no name comes back."""
    s = scene
    child = open_child_case(s.users["police"])
    user = s.users[who]
    paths = [
        "/api/v1/",
        "/api/v1/me/",
        "/api/v1/screenings/",
        f"/api/v1/screenings/{s.screening.pk}/",
        "/api/v1/cases/",
        "/api/v1/cases/?q=2024",
        f"/api/v1/cases/{s.case.pk}/",
        f"/api/v1/cases/{child.pk}/",
        "/api/v1/referrals/",
        "/api/v1/referrals/?box=in",
        "/api/v1/referrals/?box=out",
        f"/api/v1/referrals/{s.to_ngo.pk}/",
        f"/api/v1/referrals/{s.to_centre.pk}/",
        "/api/v1/services/directory/",
        "/api/v1/indicator-lists/active/",
        "/api/v1/schema/",
    ]
    for path in paths:
        response = api(user).get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        for secret in [*SECRETS, "Note only the owner reads"]:
            assert secret.encode() not in response.content, (path, secret)
        if path.startswith(("/api/v1/screenings/", "/api/v1/cases/", "/api/v1/referrals/")):
            assert response.status_code == 404 or response.json()["count"] == 0, path
    # The same walk as the owner does return the identity: the check above can fail.
    owner = api(s.users["police"]).get(f"/api/v1/cases/{s.case.pk}/")
    assert IDENTITY["given_name"].encode() in owner.content
