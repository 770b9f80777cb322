"""Transfers and the case summary against the outsiders (``tests/matrix.py``).

pu-bg's case worker asks csr-ns to take over a case; csr-ns's case worker answers. Outsiders:
another organisation (ngo2) and a reporter of the receiver (no case role).
"""

from __future__ import annotations

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import SECRETS, member, open_case, org
from nrm.transfers import services
from tests.matrix import LIST, Route, Scene, matrix_tests

REASON = "Moved to Novi Sad, handed over in matrix"
GROUND = "The person moved to Novi Sad; the court ordered the local centre to take the case over."


def build_scene(world) -> Scene:
    old = member("tm-pu-cw", "pu-bg", Role.CASEWORKER)
    new = member("tm-csr-cw", "csr-ns", Role.CASEWORKER)
    case = open_case(world["police"])
    free = open_case(world["police"])
    transfer = services.transfer_request(
        actor=fresh(old), case=case, to_org=org("csr-ns"), reason=REASON, legal_ground=GROUND
    )
    return Scene(
        users={
            **world,
            "old": old,
            "new": new,
            "other_org": world["ngo2"],
            "wrong_role": member("tm-csr-reporter", "csr-ns", Role.REPORTER),
        },
        ids={"case": case, "free": free, "transfer": transfer, "csr_ns": org("csr-ns")},
        secrets=[*SECRETS, REASON],
    )


FORM = {"to_org": "{csr_ns}", "reason": "Moving", "legal_ground": GROUND}
ROUTES = [
    Route("get", "/cases/{free}/summary.pdf", "old"),
    Route("get", "/cases/{free}/transfer/", "old"),
    Route("post", "/cases/{free}/transfer/", "old", 302, data=FORM),
    # A reporter has no case pages at all: the area is a 404 for it.
    Route("get", "/transfers/", "old", kind=LIST, refused={"wrong_role": 404, "other_org": 200}),
    Route("get", "/transfers/{transfer}/", "new"),
    Route("post", "/transfers/{transfer}/accept/", "new", 302),
    Route("post", "/transfers/{transfer}/decline/", "new", 302, data={"reason": "No capacity"}),
    Route("post", "/transfers/{transfer}/cancel/", "old", 302),
    Route("post", "/api/v1/cases/{free}/transfer/", "old", 201, data=FORM),
    Route("get", "/api/v1/transfers/", "old", kind=LIST),
    Route("get", "/api/v1/transfers/{transfer}/", "old"),
    Route("post", "/api/v1/transfers/{transfer}/accept/", "new"),
    Route("post", "/api/v1/transfers/{transfer}/decline/", "new", data={"reason": "No capacity"}),
    Route("post", "/api/v1/transfers/{transfer}/cancel/", "old"),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
