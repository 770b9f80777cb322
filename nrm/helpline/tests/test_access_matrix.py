"""Every helpline page and API operation against the outsiders, with the shared harness (``tests/matrix.py``).

The call belongs to the national helpline; ``hotline``, a frontline worker there, logs and reads
its calls. The outsiders: the Belgrade police (another organisation, frontline like the helpline's
staff), another NGO, the helpline's members in roles without helpline access (reporter,
identification), and the Coordinator's office and analysts, who read only the aggregates. The tests
below the matrix add what the harness does not assert: the exact answers, and who reads the statistics.
"""

from __future__ import annotations

import pytest

from conftest import PRESUMED_ADULT
from nrm.accounts.choices import Role
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import member, org
from nrm.helpline.models import Call
from nrm.helpline.tests.conftest import NOTES, make_call, make_people
from tests.matrix import AREA, LIST, OPEN, Route, Scene, matrix_tests, send

NOT_FOUND = {"type": "about:blank", "title": "Not found", "status": 404}
EMPTY = {"count": 0, "next": None, "previous": None, "results": []}
PROBLEM = "application/problem+json"


def state() -> dict:
    return {
        "calls": sorted(Call.objects.values_list("pk", "screening_id")),
        "screenings": Screening.objects.count(),
    }


def build_scene(world) -> Scene:
    """Return one call of the national helpline, with notes only its staff may read."""
    people = make_people(world)
    call = make_call(people)
    return Scene(
        users={
            **people,
            "other_org": people["police"],
            "wrong_role": member("helpline-reporter", "helpline", Role.REPORTER),
            "wrong_role_identifier": member("helpline-identifier", "helpline", Role.IDENTIFIER),
        },
        ids={"call": call, "helpline": org("helpline")},
        secrets=[NOTES],
        state=state,
    )


API_OUTSIDERS = ("other_org", "wrong_role", "wrong_role_identifier", "ngo2", "coordinator", "analyst")
PAGE_OUTSIDERS = ("other_org", "wrong_role", "ngo2", "coordinator", "analyst")
# The statistics: helpline staff read their own calls, national readers the suppressed national
# tables (an analyst reads them too, and finds nothing of the call there); anyone else is refused.
STAT_OUTSIDERS = ("other_org", "wrong_role", "wrong_role_identifier", "ngo2")

CALL = "/api/v1/helpline/calls/{call}/"
NEW_CALL = {"organisation": "{helpline}", "channel": "sms", "topic": "job_offer", "language": "en"}
SCREENING = {"answers": PRESUMED_ADULT, "is_child": False}
PERSON = {"sex": "U", "age_band": "unknown", "answers": PRESUMED_ADULT}

API_ROUTES = [
    Route("get", "/api/v1/helpline/calls/", "hotline", kind=LIST, outsiders=API_OUTSIDERS),
    Route("get", CALL, "hotline", outsiders=API_OUTSIDERS),
    Route(
        "post",
        "/api/v1/helpline/calls/",
        "hotline",
        201,
        kind=AREA,
        data=NEW_CALL,
        outsiders=API_OUTSIDERS,
        refused=400,
    ),
    Route("post", CALL + "to-screening/", "hotline", 201, data=SCREENING, outsiders=API_OUTSIDERS),
    Route("get", "/api/v1/helpline/topics/", "ngo2", kind=OPEN, outsiders=()),
    Route(
        "get",
        "/api/v1/helpline/statistics/",
        "coordinator",
        kind=AREA,
        outsiders=(*STAT_OUTSIDERS, "analyst"),
        refused={**dict.fromkeys(STAT_OUTSIDERS, 403), "analyst": 200},
    ),
]

PAGE_ROUTES = [
    Route("get", "/helpline/", "hotline", kind=AREA, outsiders=PAGE_OUTSIDERS),
    Route("get", "/helpline/calls/new/", "hotline", kind=AREA, outsiders=PAGE_OUTSIDERS),
    Route("post", "/helpline/calls/new/", "hotline", 302, kind=AREA, data=NEW_CALL, outsiders=PAGE_OUTSIDERS),
    Route("get", "/helpline/calls/{call}/", "hotline", outsiders=PAGE_OUTSIDERS),
    Route("get", "/helpline/calls/{call}/screening/", "hotline", outsiders=PAGE_OUTSIDERS),
    Route("post", "/helpline/calls/{call}/screening/", "hotline", 302, data=PERSON, outsiders=PAGE_OUTSIDERS),
    Route("get", "/helpline/statistics/", "coordinator", kind=AREA, outsiders=("other_org", "wrong_role", "ngo2")),
]

ROUTES = [*API_ROUTES, *PAGE_ROUTES]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


# --- The exact answers the outsiders get ------------------------------------------------------


@pytest.mark.parametrize("path", [CALL, CALL + "to-screening/"])
def test_a_refused_call_is_answered_like_a_missing_one(scene, path):
    method = "get" if path == CALL else "post"
    for who in API_OUTSIDERS:
        assert send(scene, ROUTES, method, path, who).json() == NOT_FOUND, who


def test_outsiders_list_nothing(scene):
    for who in API_OUTSIDERS:
        assert send(scene, ROUTES, "get", "/api/v1/helpline/calls/", who).json() == EMPTY, who
    # The list can fail: the helpline's is not empty.
    assert send(scene, ROUTES, "get", "/api/v1/helpline/calls/", "hotline").json()["count"] == 1


def test_outsiders_cannot_log_a_call_for_the_helpline(scene):
    """A call logged on behalf of the helpline, or naming no helpline, by anyone outside it names the organisation."""
    for who in API_OUTSIDERS:
        for data in (None, {"channel": "sms", "topic": "job_offer"}):
            response = send(scene, ROUTES, "post", "/api/v1/helpline/calls/", who, data)
            assert response.status_code == 400, who
            assert list(response.json()["errors"]) == ["organisation"], who


def test_who_reads_the_statistics(scene):
    for who in ("coordinator", "analyst"):
        response = send(scene, ROUTES, "get", "/api/v1/helpline/statistics/", who)
        assert response.status_code == 200 and response.json()["national"] is True
        assert b"Quorbatek" not in response.content
    own = send(scene, ROUTES, "get", "/api/v1/helpline/statistics/", "hotline")
    assert own.status_code == 200 and own.json()["national"] is False
    for who in STAT_OUTSIDERS:
        response = send(scene, ROUTES, "get", "/api/v1/helpline/statistics/", who)
        assert response.status_code == 403 and response["Content-Type"].startswith(PROBLEM), who
    for who in ("coordinator", "analyst", "hotline"):
        assert send(scene, ROUTES, "get", "/helpline/statistics/", who).status_code == 200, who
