"""Every justice page and API operation against the outsiders, with the shared harness (``tests/matrix.py``).

The proceeding belongs to the Belgrade police (pu-bg, ``police``) and is shared with the Belgrade
prosecutor's office (rjt-bg, ``prosecutor``); the NGO ngo-sigurna holds the case of one victim
(``part_a``). The outsiders: another police directorate (pu-ns, a justice organisation of its own),
pu-bg's staff in roles without justice access (reporter, administrator, identification, analyst),
the NGO holding a victim's case (its part only, never the proceeding), another NGO, and the
Coordinator's office. The tests below the matrix add what the harness does not assert: the exact
answers, the personas let in by another rule, and what each right role reads.
"""

from __future__ import annotations

import pytest

from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import SECRETS, member, org
from nrm.justice.tests.helpers import DEFENDANT_SECRETS, state
from nrm.justice.tests.helpers import build_scene as justice_scene
from tests.matrix import AREA, LIST, OPEN, Route, Scene, matrix_tests, request, send

REFERENCE = "KTO 17/24"
NOT_FOUND = {"type": "about:blank", "title": "Not found", "status": 404}
EMPTY = {"count": 0, "next": None, "previous": None, "results": []}


def build_scene(world) -> Scene:
    """Return the justice scene (``nrm.justice.tests.helpers.build_scene``) as the harness's Scene."""
    s = justice_scene(world)
    users = {
        **s.users,
        "other_org": member("pu-ns-officer", "pu-ns", Role.FRONTLINE),
        "wrong_role": member("pu-reporter", "pu-bg", Role.REPORTER),
        "wrong_role_admin": member("pu-admin", "pu-bg", Role.ADMIN),
        "wrong_role_identifier": member("pu-identifier", "pu-bg", Role.IDENTIFIER),
        "wrong_role_analyst": member("pu-analyst", "pu-bg", Role.ANALYST),
    }
    return Scene(
        users=users,
        ids={
            "proceeding": s.proceeding,
            "version": s.proceeding.version,
            "defendant": s.defendant,
            "charge": s.charge,
            "part_a": s.part_a,
            "part_version": s.part_a.version,
            "case_c": s.case_c,
            "case_c_ref": s.case_c.reference,
            "pu_bg": org("pu-bg"),
            "rjt_ns": org("rjt-ns"),
        },
        secrets=[*SECRETS, *DEFENDANT_SECRETS, REFERENCE, s.case_a.reference, s.case_b.reference],
        state=state,
    )


# --- Who is refused ---------------------------------------------------------------------------

# The API: another police directorate, pu-bg's staff without justice roles, both NGOs.
API_OUTSIDERS = (
    "other_org",
    "wrong_role",
    "wrong_role_admin",
    "wrong_role_identifier",
    "wrong_role_analyst",
    "ngo",
    "ngo2",
)
# A victim's part is also seen by whoever may see the victim's case: pu-bg's identification
# staff see pu-bg's cases (tested below), and the NGO holding the case reads its part.
PART_OUTSIDERS = ("other_org", "wrong_role", "wrong_role_admin", "wrong_role_analyst", "ngo2")
# The pages: the same, with the national readers, who read only the statistics.
PAGE_OUTSIDERS = ("other_org", "wrong_role", "ngo", "ngo2", "analyst", "coordinator")
# The statistics: anyone but national readers and justice staff. Another police directorate and
# an analyst wherever their membership is read the national, suppressed tables: nothing of the scene.
STAT_OUTSIDERS = ("other_org", "wrong_role", "wrong_role_admin", "wrong_role_identifier", "ngo", "ngo2", "socialwork")
STAT_READERS = {"other_org": 200, "wrong_role_analyst": 200}

P = "/api/v1/justice/proceedings/{proceeding}/"
V = "/api/v1/justice/victims/{part_a}/"
W = "/justice/{proceeding}/"

NEW_PROCEEDING = {"reference": "KTO 99/24", "investigation_on": "2024-05-01", "organisation": "{pu_bg}"}
DEFENDANT = {"name": "Second Defendant", "sex": "F", "offences": ["388"]}
CHARGE = {"defendant": "{defendant}", "offence": "350"}
VERDICT = {"charge": "{charge}", "instance": "final", "outcome": "convicted", "decided_on": "2025-09-01"}
ASSET = {"kind": "confiscated", "amount": "1500000.00", "currency": "RSD", "decided_on": "2025-09-01"}
VICTIM_PART = {
    "role": "witness_injured_party",
    "protection_measures": ["video_link"],
    "compensation_currency": "RSD",
    "compensation_claimed": "450000.00",
    "claimed_on": "2024-10-01",
    "compensation_awarded": "200000.00",
    "awarded_on": "2025-03-14",
    "version": "{part_version}",
}

API_ROUTES = [
    Route("get", "/api/v1/justice/proceedings/", "police", kind=LIST, outsiders=API_OUTSIDERS),
    Route("get", P, "police", outsiders=API_OUTSIDERS),
    Route(
        "post",
        "/api/v1/justice/proceedings/",
        "police",
        201,
        kind=AREA,
        data={**NEW_PROCEEDING, "cases": ["{case_c}"]},
        outsiders=API_OUTSIDERS,
        refused=400,
    ),
    Route("patch", P, "prosecutor", data={"version": "{version}", "court": "Higher Court"}, outsiders=API_OUTSIDERS),
    Route(
        "post",
        P + "advance/",
        "prosecutor",
        data={"version": "{version}", "stage": "final_verdict", "on": "2025-06-02"},
        outsiders=API_OUTSIDERS,
    ),
    Route(
        "post",
        P + "share/",
        "police",
        201,
        data={"organisation": "{rjt_ns}"},
        outsiders=(*API_OUTSIDERS, "prosecutor"),
    ),
    Route("post", P + "defendants/", "police", 201, data=DEFENDANT, outsiders=API_OUTSIDERS),
    Route("post", P + "charges/", "police", 201, data=CHARGE, outsiders=API_OUTSIDERS),
    Route("post", P + "verdicts/", "prosecutor", 201, data=VERDICT, outsiders=API_OUTSIDERS),
    Route("post", P + "assets/", "prosecutor", 201, data=ASSET, outsiders=API_OUTSIDERS),
    Route("post", P + "victims/", "police", 201, data={"case": "{case_c}", "role": "witness"}, outsiders=API_OUTSIDERS),
    Route("get", "/api/v1/justice/victims/", "ngo", kind=LIST, outsiders=PART_OUTSIDERS),
    Route("get", V, "ngo", outsiders=PART_OUTSIDERS),
    Route(
        "patch",
        V,
        "prosecutor",
        data={"version": "{part_version}", "compensation_awarded": "200000.00", "awarded_on": "2025-03-14"},
        outsiders=(*PART_OUTSIDERS, "wrong_role_identifier", "ngo"),
    ),
    Route("get", "/api/v1/justice/offences/", "ngo2", kind=OPEN, outsiders=()),
    Route("get", "/api/v1/justice/protection-measures/", "ngo2", kind=OPEN, outsiders=()),
    Route(
        "get",
        "/api/v1/justice/statistics/",
        "analyst",
        kind=AREA,
        outsiders=(*STAT_OUTSIDERS, "wrong_role_analyst"),
        refused={**STAT_READERS, **dict.fromkeys(STAT_OUTSIDERS[1:], 403)},
    ),
    Route(
        "get",
        "/api/v1/justice/statistics/?year=2024",
        "coordinator",
        kind=AREA,
        outsiders=(*STAT_OUTSIDERS, "wrong_role_analyst"),
        refused={**STAT_READERS, **dict.fromkeys(STAT_OUTSIDERS[1:], 403)},
    ),
]

PAGE_ROUTES = [
    # Another police directorate has a list and a form of its own: empty, and for its own organisation.
    Route("get", "/justice/", "police", kind=AREA, outsiders=PAGE_OUTSIDERS, refused={"other_org": 200}),
    Route("get", "/justice/new/", "police", kind=AREA, outsiders=PAGE_OUTSIDERS, refused={"other_org": 200}),
    Route(
        "post",
        "/justice/new/",
        "police",
        302,
        kind=AREA,
        data={**NEW_PROCEEDING, "cases": "{case_c_ref}"},
        outsiders=PAGE_OUTSIDERS,
        refused={"other_org": 200},  # the form, with the organisation refused on its field
    ),
    Route("get", "/justice/statistics/", "analyst", kind=AREA, outsiders=("wrong_role", "ngo", "ngo2", "socialwork")),
    Route("get", W, "police", outsiders=PAGE_OUTSIDERS),
    Route("get", W + "advance/", "prosecutor", outsiders=PAGE_OUTSIDERS),
    Route(
        "post",
        W + "advance/",
        "prosecutor",
        302,
        data={"stage": "final_verdict", "on": "2025-06-02", "version": "{version}"},
        outsiders=PAGE_OUTSIDERS,
    ),
    Route("get", W + "share/", "police", outsiders=(*PAGE_OUTSIDERS, "prosecutor")),
    Route(
        "post",
        W + "share/",
        "police",
        302,
        data={"organisation": "{rjt_ns}"},
        outsiders=(*PAGE_OUTSIDERS, "prosecutor"),
    ),
    Route("get", W + "defendants/new/", "police", outsiders=PAGE_OUTSIDERS),
    Route("post", W + "defendants/new/", "police", 302, data=DEFENDANT, outsiders=PAGE_OUTSIDERS),
    Route("get", W + "charges/new/", "police", outsiders=PAGE_OUTSIDERS),
    Route("post", W + "charges/new/", "police", 302, data=CHARGE, outsiders=PAGE_OUTSIDERS),
    Route("get", W + "verdicts/new/", "prosecutor", outsiders=PAGE_OUTSIDERS),
    Route("post", W + "verdicts/new/", "prosecutor", 302, data=VERDICT, outsiders=PAGE_OUTSIDERS),
    Route("get", W + "assets/new/", "prosecutor", outsiders=PAGE_OUTSIDERS),
    Route("post", W + "assets/new/", "prosecutor", 302, data=ASSET, outsiders=PAGE_OUTSIDERS),
    Route("get", W + "victims/new/", "police", outsiders=PAGE_OUTSIDERS),
    Route(
        "post",
        W + "victims/new/",
        "police",
        302,
        data={"case": "{case_c_ref}", "role": "witness", "protection_measures": ["video_link"]},
        outsiders=PAGE_OUTSIDERS,
    ),
    Route("get", W + "victims/{part_a}/", "prosecutor", outsiders=PAGE_OUTSIDERS),
    Route("post", W + "victims/{part_a}/", "prosecutor", 302, data=VICTIM_PART, outsiders=PAGE_OUTSIDERS),
]

ROUTES = [*API_ROUTES, *PAGE_ROUTES]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


# --- The exact answers the outsiders get ------------------------------------------------------

API_OBJECTS = [r for r in API_ROUTES if r.kind == "object"]


@pytest.mark.parametrize("route", API_OBJECTS, ids=[r.id for r in API_OBJECTS])
def test_a_refused_record_is_answered_like_a_missing_one(scene, route):
    for who in route.outsiders:
        response = request(scene, route, scene.users[who])
        assert response.json() == NOT_FOUND, who


def test_outsiders_list_nothing(scene):
    for who in API_OUTSIDERS:
        assert send(scene, ROUTES, "get", "/api/v1/justice/proceedings/", who).json() == EMPTY, who
    for who in PART_OUTSIDERS:
        assert send(scene, ROUTES, "get", "/api/v1/justice/victims/", who).json() == EMPTY, who
    # The lists can fail: the owner's are not empty.
    assert send(scene, ROUTES, "get", "/api/v1/justice/proceedings/", "police").json()["count"] == 1
    assert send(scene, ROUTES, "get", "/api/v1/justice/victims/", "police").json()["count"] == 2


def test_outsiders_cannot_open_a_proceeding_for_the_owner(scene):
    """A create on behalf of pu-bg by anyone outside it names the organisation field; so does one
    naming no organisation by anyone without one (another police directorate opens its own)."""
    for who in API_OUTSIDERS:
        for data in (None, {"reference": "KTO 98/24"}) if who != "other_org" else (None,):
            response = send(scene, ROUTES, "post", "/api/v1/justice/proceedings/", who, data)
            assert response.status_code == 400, who
            assert "organisation" in response.json()["errors"], who


def test_another_police_directorate_cannot_open_a_proceeding_for_the_owner_on_the_page(scene):
    response = send(scene, ROUTES, "post", "/justice/new/", "other_org")
    assert response.status_code == 200 and "organisation" in response.context["form"].errors


def test_another_police_directorates_page_lists_nothing(scene):
    response = send(scene, ROUTES, "get", "/justice/", "other_org")
    assert response.status_code == 200 and not response.context["page"].object_list


def test_statistics_are_for_national_readers_and_justice_staff(scene):
    # Another police directorate and pu-bg's analyst read the national, suppressed tables.
    for who in ("other_org", "wrong_role_analyst"):
        response = send(scene, ROUTES, "get", "/api/v1/justice/statistics/", who)
        assert response.status_code == 200 and response.json()["threshold"] == 5
    for who in ("ngo", "ngo2", "socialwork", "centre", "wrong_role", "wrong_role_admin", "wrong_role_identifier"):
        response = send(scene, ROUTES, "get", "/api/v1/justice/statistics/", who)
        assert response.status_code == 403 and response["Content-Type"].startswith("application/problem+json")
    for who in ("coordinator", "police", "prosecutor"):
        assert send(scene, ROUTES, "get", "/justice/statistics/", who).status_code == 200
        assert send(scene, ROUTES, "get", "/api/v1/justice/statistics/", who).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/justice/victims/", V])
def test_the_owners_identification_staff_see_the_victims_parts_not_the_defendants(scene, path):
    """The case rule lets pu-bg's identification staff see pu-bg's cases, hence the victims' parts."""
    before = scene.snapshot()
    response = send(scene, ROUTES, "get", path, "wrong_role_identifier")
    assert response.status_code == 200
    for secret in [*SECRETS, *DEFENDANT_SECRETS]:
        assert secret.encode() not in response.content
    assert scene.snapshot() == before


# --- The right roles --------------------------------------------------------------------------


@pytest.mark.parametrize("route", API_ROUTES, ids=[r.id for r in API_ROUTES])
def test_the_right_role_gets_json(scene, route):
    response = request(scene, route, scene.users[route.right])
    assert response["Content-Type"] == "application/json"
    if route.kind == LIST:
        assert response.json()["count"] >= 1
    if route.right in ("ngo", "analyst", "coordinator"):
        for secret in [*SECRETS, *DEFENDANT_SECRETS]:
            assert secret.encode() not in response.content, secret
