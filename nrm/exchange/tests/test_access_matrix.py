"""The duplicates API against the outsiders (shared harness, ``tests/matrix.py``).

A probable duplicate links a case of the NGO shelter with a case of the Belgrade centre for social
work; only case workers of the two owners see or decide it, and each sees only its own case: the
other side's case and organisation stay hidden until both agree to contact.
"""

from __future__ import annotations

from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import member
from nrm.exchange.models import PersonLink
from nrm.exchange.tests.test_dedup import CYRILLIC, LATIN, open_for
from tests.matrix import LIST, Route, Scene, matrix_tests, send


def build_scene(world) -> Scene:
    a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    b = open_for(world["socialwork"], "csr-bg", CYRILLIC)
    link = PersonLink.objects.get()
    return Scene(
        users={
            **world,
            "other_org": world["ngo2"],
            "wrong_role": member("csr-reporter", "csr-bg", Role.REPORTER),
        },
        ids={"link": link, "ngo_case": a, "centre_case": b},
        secrets=[a.reference, b.reference, *LATIN.values(), *CYRILLIC.values()],
        state=lambda: list(
            PersonLink.objects.values_list("pk", "status", "decided_by", "contact_a_at", "contact_b_at")
        ),
    )


ROUTES = [
    Route("get", "/api/v1/duplicates/", "socialwork", kind=LIST),
    Route("post", "/api/v1/duplicates/{link}/confirm/", "socialwork"),
    Route("post", "/api/v1/duplicates/{link}/reject/", "ngo"),
    Route("post", "/api/v1/duplicates/{link}/contact/", "ngo"),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


def test_the_right_role_learns_nothing_of_the_other_side(scene):
    """Even an owner's case worker sees only its own case of the link, until both agree to contact."""
    shown = {
        who: send(scene, ROUTES, "get", "/api/v1/duplicates/", who).content.decode() for who in ("ngo", "socialwork")
    }
    ngo_case, centre_case = scene.ids["ngo_case"], scene.ids["centre_case"]
    assert ngo_case.reference in shown["ngo"] and centre_case.reference in shown["socialwork"]
    assert centre_case.reference not in shown["ngo"] and centre_case.owner.name not in shown["ngo"]
    assert ngo_case.reference not in shown["socialwork"] and ngo_case.owner.name not in shown["socialwork"]
