"""The case and referral API against the outsiders: anonymous, another organisation, the wrong role.

The case is owned by the police directorate in Belgrade (pu-bg). The shared harness
(``tests/matrix.py``) asserts for everyone but the right role that the answer is the same as for a
missing record, that nothing changed, and that the refusal was audited; the tests below add the
rules particular to cases (the frontline owner, receivers, identity).
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import (
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
from tests.matrix import LIST, OPEN, Route, Scene, matrix_tests, send


def build_scene(world) -> Scene:
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
    case_services.note_add(actor=fresh(caseworker), case=case, text=NOTE)
    # Two former receivers: csr-bg accepted, then the person withdrew the consent it relied on;
    # ngo-svetlo accepted and completed its work, and the police closed the referral.
    withdrawn = share(police, case, "csr-bg")
    move(world["socialwork"], refer(police, case, "csr-bg"), ReferralStatus.ACCEPTED)
    case_services.consent_withdraw(actor=fresh(police), consent=withdrawn)
    svetlo = member("svetlo-caseworker", "ngo-svetlo", Role.CASEWORKER)
    share(police, case, "ngo-svetlo")
    to_svetlo = refer(police, case, "ngo-svetlo")
    move(svetlo, to_svetlo, ReferralStatus.ACCEPTED)
    move(svetlo, to_svetlo, ReferralStatus.COMPLETED)
    move(police, to_svetlo, ReferralStatus.CLOSED)
    # Sent without consent, on a legal ground: on the review list of the owner's case workers.
    on_ground = refer(police, case, "csr-ns", legal_ground="emergency", legal_ground_note=GROUND)
    flag = case_services.flag_raise(actor=fresh(police), case=case, reason="trafficker_contact")
    episode = case_services.episode_add(actor=fresh(police), case=case, form="labour", notes=EPISODE_NOTE)
    case.refresh_from_db()
    return Scene(
        users={
            **world,
            "caseworker": caseworker,
            "other_org": world["ngo2"],
            "wrong_role": member("pu-reporter", "pu-bg", Role.REPORTER),
            "wrong_role_analyst": member("pu-analyst", "pu-bg", Role.ANALYST),
            "withdrawn_receiver": world["socialwork"],
            "closed_receiver": svetlo,
        },
        ids={
            "screening": screening,
            "case": case,
            "consent": consent,
            "to_ngo": to_ngo,
            "to_centre": to_centre,
            "on_ground": on_ground,
            "delivery": delivery,
            "flag": flag,
            "episode": episode,
            "caseworker_user": caseworker,
            "ngo_most": org("ngo-most"),
            "ngo_sigurna": org("ngo-sigurna"),
            "pu_bg": org("pu-bg"),
        },
        secrets=[*SECRETS, NOTE, EPISODE_NOTE],
        state=lambda: state(case),
    )


NOTE = "Note only the owner reads"
EPISODE_NOTE = "Episode note only the owner reads"
GROUND = "Injured and in danger: needs a doctor and a safe place today."
# Besides another organisation and the wrong roles, the receivers whose access ended: consent
# withdrawn (the referral suspended) and the referral closed.
OUTSIDERS = ("other_org", "wrong_role", "wrong_role_analyst", "withdrawn_receiver", "closed_receiver")
CASE = "/api/v1/cases/{case}/"
ROUTES = [
    Route("get", "/api/v1/screenings/", "police", kind=LIST, outsiders=OUTSIDERS),
    Route("get", "/api/v1/screenings/{screening}/", "police", outsiders=OUTSIDERS),
    Route(
        "post",
        "/api/v1/screenings/",
        "police",
        201,
        data={"answers": PRESUMED_ADULT, "is_child": False, "organisation": "{pu_bg}"},
        outsiders=OUTSIDERS,
        refused=400,
    ),
    Route("get", "/api/v1/cases/", "police", kind=LIST, outsiders=OUTSIDERS),
    Route("get", CASE, "police", outsiders=OUTSIDERS),
    Route(
        "post",
        "/api/v1/cases/",
        "police",
        201,
        data={
            "identity": {"given_name": "Nova"},
            "sex": "M",
            "birth_year": 1990,
            "citizenship": "RS",
            "forms": ["labour"],
            "organisation": "{pu_bg}",
        },
        outsiders=OUTSIDERS,
        refused=400,
    ),
    Route("patch", CASE, "caseworker", data={"version": 1, "region": "Zemun"}, outsiders=OUTSIDERS),
    Route(
        "post",
        CASE + "consents/",
        "police",
        201,
        data={"purpose": "share", "organisation": "{ngo_most}"},
        outsiders=OUTSIDERS,
    ),
    Route("post", CASE + "consents/{consent}/withdraw/", "police", outsiders=OUTSIDERS),
    Route(
        "post",
        CASE + "identify/",
        "centre",
        201,
        data={"decision": "identified", "grounds": "Interview."},
        outsiders=OUTSIDERS,
    ),
    Route(
        "post",
        CASE + "services/",
        "caseworker",
        201,
        data={"service_type": "psychological", "organisation": "{pu_bg}"},
        outsiders=OUTSIDERS,
    ),
    Route(
        "patch",
        CASE + "services/{delivery}/",
        "caseworker",
        data={"version": 1, "status": "in_progress", "started_on": "2024-04-03"},
        outsiders=OUTSIDERS,
    ),
    Route("post", CASE + "close/", "caseworker", data={"version": 1, "reason": "reintegrated"}, outsiders=OUTSIDERS),
    Route("post", CASE + "notes/", "caseworker", 201, data={"text": "Seen today."}, outsiders=OUTSIDERS),
    Route("get", CASE + "subject-export/", "caseworker", outsiders=OUTSIDERS),
    # Issue J. Search by name: the owner finds the case by the keyed token; an outsider's list is empty.
    Route(
        "get",
        "/api/v1/cases/?name=Zorkana%20Qvistovic&birth_date=1991-03-17",
        "police",
        kind=LIST,
        outsiders=OUTSIDERS,
        name="search cases by name",
    ),
    # The responsible case worker: named by the owner's case workers, not its frontline.
    Route(
        "post",
        CASE + "assign/",
        "caseworker",
        data={"responsible": "{caseworker_user}"},
        outsiders=(*OUTSIDERS, "police"),
    ),
    Route("get", CASE + "flags/", "police", outsiders=OUTSIDERS),
    Route("post", CASE + "flags/", "police", 201, data={"reason": "security_risk"}, outsiders=OUTSIDERS),
    Route("post", CASE + "flags/{flag}/lift/", "police", outsiders=OUTSIDERS),
    # Episodes of exploitation: read by whoever sees the case, written by the owner's case roles;
    # the Centre, an accepted receiver that may correct the case's facts, does not reach them.
    Route("get", CASE + "episodes/", "police", outsiders=OUTSIDERS),
    Route(
        "post",
        CASE + "episodes/",
        "police",
        201,
        data={"form": "begging", "country": "AT", "recruiter_relationship": "partner"},
        outsiders=(*OUTSIDERS, "centre"),
    ),
    Route(
        "patch",
        CASE + "episodes/{episode}/",
        "police",
        data={"place": "Graz", "started_on": "2023-03-01"},
        outsiders=(*OUTSIDERS, "centre"),
    ),
    Route("delete", CASE + "episodes/{episode}/", "police", 204, outsiders=(*OUTSIDERS, "centre")),
    Route("get", "/api/v1/referrals/", "police", kind=LIST, outsiders=OUTSIDERS),
    Route("get", "/api/v1/referrals/{to_ngo}/", "police", outsiders=OUTSIDERS),
    Route(
        "post",
        "/api/v1/referrals/",
        "police",
        201,
        data={"case": "{case}", "to_org": "{ngo_sigurna}", "service_type": "psychological"},
        outsiders=OUTSIDERS,
    ),
    Route(
        "post",
        "/api/v1/referrals/{to_ngo}/transition/",
        "ngo",
        data={"status": "accepted", "version": 1},
        outsiders=OUTSIDERS,
    ),
    # The owner's review of referrals sent without consent: its case workers, not the sender.
    Route("get", "/api/v1/referrals/legal-grounds/", "caseworker", kind=LIST, outsiders=(*OUTSIDERS, "police")),
    Route(
        "post",
        "/api/v1/referrals/{on_ground}/ground-review/",
        "caseworker",
        data={"version": 1, "ground_review": "upheld"},
        outsiders=(*OUTSIDERS, "police"),
    ),
    Route("get", "/api/v1/services/directory/", "analyst", kind=OPEN, outsiders=()),
    Route("get", "/api/v1/me/", "analyst", kind=OPEN, outsiders=()),
    Route("get", "/api/v1/indicator-lists/active/", "police", kind=OPEN, outsiders=()),
]
BY_ID = {r.id: r for r in ROUTES}

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


def test_anonymous_may_read_the_schema_only(scene):
    """The OpenAPI schema describes the API, not its data; it is public, like the docs page."""
    response = api().get("/api/v1/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")
    for secret in SECRETS:
        assert secret.encode() not in response.content


def test_outsiders_list_nothing(scene):
    """The lists answer an outsider with an empty page, not with the scene's records."""
    for path in ("/api/v1/screenings/", "/api/v1/cases/", "/api/v1/referrals/"):
        response = api(scene.users["ngo2"]).get(path)
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
        assert api(scene.users["police"]).get(path).json()["count"] >= 1


def test_outsiders_cannot_create_for_the_owner(scene):
    """A create on behalf of pu-bg by a non-member names the organisation field."""
    response = send(scene, ROUTES, "post", "/api/v1/cases/", "other_org")
    assert "organisation" in response.json()["errors"]


@pytest.mark.parametrize(
    "name",
    [
        ("patch", CASE),
        ("post", CASE + "identify/"),
        ("post", CASE + "services/"),
        ("patch", CASE + "services/{delivery}/"),
        ("post", CASE + "close/"),
        ("post", CASE + "notes/"),
    ],
)
def test_frontline_owner_cannot_manage(scene, name):
    """The owner's frontline worker screens and refers; managing the case is the case workers'."""
    method, path = name
    before = state(scene.ids["case"])
    response = send(scene, ROUTES, method, path, "police")
    assert response.status_code == 404
    assert state(scene.ids["case"]) == before
    assert denials(actor="police")


@pytest.mark.parametrize("name", [("get", CASE), ("patch", CASE), ("post", CASE + "close/"), ("post", CASE + "notes/")])
def test_receiver_before_accepting_cannot_touch_the_case(scene, name):
    method, path = name
    before = state(scene.ids["case"])
    response = send(scene, ROUTES, method, path, "ngo")
    assert response.status_code == 404
    assert state(scene.ids["case"]) == before


# --- The right role ---------------------------------------------------------------------------


def test_right_role_writes_land(scene):
    case = scene.ids["case"]
    send(scene, ROUTES, "patch", CASE, "caseworker")
    case.refresh_from_db()
    assert (case.version, case.region) == (2, "Zemun")
    send(scene, ROUTES, "post", CASE + "identify/", "centre")
    case.refresh_from_db()
    assert case.identification_status == "identified"
    response = send(scene, ROUTES, "post", "/api/v1/referrals/{to_ngo}/transition/", "ngo")
    assert response.json()["status"] == "accepted" and response.json()["version"] == 2
    response = send(scene, ROUTES, "post", CASE + "close/", "caseworker", {"version": 2, "reason": "reintegrated"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    # Closing settled the referrals still open: the ones being worked on are completed, the
    # suspended one (consent withdrawn) is closed, and none gives its receiver the case back.
    statuses = dict(case.referrals.values_list("to_org__code", "status"))
    assert statuses == {
        "ngo-sigurna": "completed",
        "centre": "completed",
        "csr-bg": "closed",
        "ngo-svetlo": "closed",
        "csr-ns": "closed",
    }


# --- Receivers and identity ------------------------------------------------------------------


def test_receiver_does_not_see_the_owners_notes(scene):
    assert send(scene, ROUTES, "post", "/api/v1/referrals/{to_ngo}/transition/", "ngo").status_code == 200
    case = scene.ids["case"]
    response = api(scene.users["ngo"]).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert NOTE.encode() not in response.content
    owner = api(scene.users["caseworker"]).get(f"/api/v1/cases/{case.pk}/")
    assert NOTE.encode() in owner.content


@pytest.mark.parametrize("who", ["analyst", "coordinator", "admin"])
def test_aggregate_roles_never_receive_identity(scene, who):
    """Walk every GET endpoint as a role with no record-level access; no name comes back."""
    s = SimpleNamespace(users=scene.users, **scene.ids)
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
        "/api/v1/referrals/legal-grounds/",
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


def test_the_harness_fails_when_an_outsider_gets_in(scene):
    """The shared checks can fail: the owner named as an outsider, an outsider named as the right role."""
    from tests.matrix import check_outsider, check_right_role

    route = BY_ID["GET " + CASE]
    with pytest.raises(AssertionError):
        check_outsider(scene, route, "police")
    with pytest.raises(AssertionError):
        check_right_role(scene, replace(route, right="other_org"))
    with pytest.raises(AssertionError, match="changed nothing"):
        check_right_role(scene, replace(route, changes=True))
