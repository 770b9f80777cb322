"""The duplicates API against the outsiders (shared harness, ``tests/matrix.py``).

A probable duplicate links a case of the NGO shelter with a case of the Belgrade centre for social
work; only case workers of the two owners see or decide it.
"""

from __future__ import annotations

from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import member
from nrm.exchange.models import PersonLink
from nrm.exchange.tests.test_dedup import CYRILLIC, LATIN, open_for
from tests.matrix import LIST, Route, Scene, matrix_tests


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
        ids={"link": link},
        secrets=[a.reference, b.reference, *LATIN.values(), *CYRILLIC.values()],
        state=lambda: list(PersonLink.objects.values_list("pk", "status", "decided_by")),
    )


ROUTES = [
    Route("get", "/api/v1/duplicates/", "socialwork", kind=LIST),
    Route("post", "/api/v1/duplicates/{link}/confirm/", "socialwork"),
    Route("post", "/api/v1/duplicates/{link}/reject/", "ngo"),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
