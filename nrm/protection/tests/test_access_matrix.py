"""Protection measures against the outsiders (``tests/matrix.py``): pu-bg's case, its case worker writes."""

from __future__ import annotations

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import SECRETS, member, open_case
from nrm.protection import services
from tests.matrix import Route, Scene, matrix_tests

AUTHORITY = "Authority Qwertzovic in the matrix scene"


def build_scene(world) -> Scene:
    cw = member("pm-pu-cw", "pu-bg", Role.CASEWORKER)
    case = open_case(world["police"], citizenship="UA")
    services.protection_set(
        actor=fresh(cw),
        case=case,
        non_punishment="yes",
        non_punishment_on=case.opened_on,
        non_punishment_authority=AUTHORITY,
    )
    return Scene(
        users={
            **world,
            "cw": cw,
            "other_org": world["ngo2"],
            "wrong_role": member("pm-pu-reporter", "pu-bg", Role.REPORTER),
        },
        ids={"case": case},
        secrets=[*SECRETS, AUTHORITY],
    )


FORM = {"version": 1, "return_kind": "voluntary", "return_risk_assessed": "yes", "non_punishment": ""}
BODY = {"return_kind": "forced", "return_risk_assessed": "no"}
# The owner's frontline reads the case, and with it the record, but does not write it.
WRITERS_ONLY = ("other_org", "wrong_role", "police")
ROUTES = [
    Route("get", "/cases/{case}/protection/", "cw", outsiders=WRITERS_ONLY),
    Route("post", "/cases/{case}/protection/", "cw", 302, data=FORM, outsiders=WRITERS_ONLY),
    Route("get", "/api/v1/cases/{case}/protection/", "cw"),
    Route("put", "/api/v1/cases/{case}/protection/", "cw", data=BODY, outsiders=WRITERS_ONLY),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
