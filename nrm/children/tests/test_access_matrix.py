"""A child's records against the outsiders (``tests/matrix.py``): pu-bg's child case, its case worker."""

from __future__ import annotations

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import SECRETS, member, open_child_case
from nrm.children import services
from tests.matrix import Route, Scene, matrix_tests

OPTIONS = "Options weighed in the matrix scene"


def build_scene(world) -> Scene:
    cw = member("cm-pu-cw", "pu-bg", Role.CASEWORKER)
    child = open_child_case(world["police"])
    assessment = services.assessment_record(
        actor=fresh(cw), case=child, assessed_by="Panel", assessed_on=child.opened_on, options_weighed=OPTIONS
    )
    return Scene(
        users={
            **world,
            "cw": cw,
            "other_org": world["ngo2"],
            "wrong_role": member("cm-pu-reporter", "pu-bg", Role.REPORTER),
        },
        ids={"child": child, "assessment": assessment},
        secrets=[*SECRETS, OPTIONS],
    )


GUARDIAN = {"name": "Ana", "contact": "+381", "appointing_authority": "CSR", "appointed_on": "2024-05-01"}
ASSESSMENT = {"assessed_by": "Panel", "assessed_on": "2024-05-01", "options_weighed": "A or B"}
DETERMINATION = {"determined_by": "Panel", "determined_on": "2024-05-02", "decision": "B", "review_on": "2024-08-01"}
C = "/cases/{child}/"
A = "/api/v1/cases/{child}/"
ROUTES = [
    Route("get", C + "guardian/new/", "cw"),
    Route("post", C + "guardian/new/", "cw", 302, data=GUARDIAN),
    Route("get", C + "best-interests/new/", "cw"),
    Route("post", C + "best-interests/new/", "cw", 302, data=ASSESSMENT),
    Route("get", C + "best-interests/{assessment}/determination/", "cw"),
    Route("post", C + "best-interests/{assessment}/determination/", "cw", 302, data=DETERMINATION),
    Route("get", C + "child-status/", "cw"),
    Route("post", C + "child-status/", "cw", 302, data={"version": 1, "child_status": "separated"}),
    Route("get", A + "child/", "cw"),
    Route("put", A + "child/status/", "cw", data={"child_status": "unaccompanied"}),
    Route("post", A + "guardians/", "cw", 201, data=GUARDIAN),
    Route("post", A + "best-interests/assessments/", "cw", 201, data=ASSESSMENT),
    Route(
        "post", A + "best-interests/determinations/", "cw", 201, data={**DETERMINATION, "assessment": "{assessment}"}
    ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
