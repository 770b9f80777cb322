"""The duplicates API against the outsiders (shared harness, ``tests/matrix.py``).

A probable duplicate links a case of the NGO shelter with a case of the Belgrade centre for social
work; only case workers of the two owners see or decide it, and each sees only its own case: the
other side's case and organisation stay hidden until both agree to contact.
"""

from __future__ import annotations

import json

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import member
from nrm.exchange import dedup, merge
from nrm.exchange.models import CaseMerge, PersonLink
from nrm.exchange.tests.test_dedup import CYRILLIC, LATIN, open_for
from tests.matrix import LIST, Route, Scene, matrix_tests, send


def build_scene(world) -> Scene:
    a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    b = open_for(world["socialwork"], "csr-bg", CYRILLIC)
    link = PersonLink.objects.get()
    # Two more pairs, agreed for merging: one waiting for the centre's answer, one merged.
    ready, asked, done = (_agreed_pair(world, f"Ana{i}") for i in (1, 2, 3))
    merge.merge_request(actor=fresh(world["ngo"]), link_id=asked.pk, survivor="ours")
    merge.merge_request(actor=fresh(world["ngo"]), link_id=done.pk, survivor="ours")
    merge.merge_accept(actor=fresh(world["socialwork"]), link_id=done.pk)
    merged = CaseMerge.objects.get(link=done)
    return Scene(
        users={
            **world,
            "other_org": world["ngo2"],
            "wrong_role": member("csr-reporter", "csr-bg", Role.REPORTER),
        },
        ids={
            "link": link,
            "ngo_case": a,
            "centre_case": b,
            "ready": ready,
            "asked": asked,
            "agreed": done,
            "merge": merged,
        },
        secrets=[a.reference, b.reference, *LATIN.values(), *CYRILLIC.values()],
        state=lambda: (
            list(PersonLink.objects.values_list("pk", "status", "decided_by", "contact_a_at", "contact_b_at")),
            list(CaseMerge.objects.values_list("pk", "status", "answered_by", "undone_at")),
        ),
    )


def _agreed_pair(world, given_name: str) -> PersonLink:
    """A pair of one person's cases at the NGO and the centre, confirmed, both agreed to contact."""
    a = open_for(world["ngo"], "ngo-sigurna", dict(LATIN, given_name=given_name))
    open_for(world["socialwork"], "csr-bg", dict(CYRILLIC, given_name=given_name))
    link = PersonLink.objects.get(case_a=a)
    dedup.link_confirm(actor=fresh(world["ngo"]), link_id=link.pk)
    dedup.link_contact(actor=fresh(world["ngo"]), link_id=link.pk)
    dedup.link_contact(actor=fresh(world["socialwork"]), link_id=link.pk)
    return link


ROUTES = [
    Route("get", "/api/v1/duplicates/", "socialwork", kind=LIST),
    Route("post", "/api/v1/duplicates/{link}/confirm/", "socialwork"),
    Route("post", "/api/v1/duplicates/{link}/reject/", "ngo"),
    Route("post", "/api/v1/duplicates/{link}/contact/", "ngo"),
    # Merges (issue J): asked by either owner's case worker, answered by the other, undone by an administrator.
    Route("post", "/api/v1/duplicates/{ready}/merge/", "socialwork", data={"survivor": "ours"}),
    Route("post", "/api/v1/duplicates/{asked}/merge/accept/", "socialwork"),
    Route("post", "/api/v1/duplicates/{asked}/merge/decline/", "socialwork"),
    Route("get", "/api/v1/merges/", "admin", kind=LIST),
    Route("post", "/api/v1/merges/{merge}/undo/", "admin", outsiders=("other_org", "wrong_role", "ngo", "socialwork")),
    Route("get", "/duplicates/", "socialwork", kind=LIST, refused={"wrong_role": 404, "other_org": 200}),
    Route("post", "/duplicates/{ready}/merge/", "ngo", 302, data={"survivor": "theirs"}),
    Route("post", "/duplicates/{asked}/merge/accept/", "socialwork", 302),
    Route("post", "/duplicates/{asked}/merge/decline/", "ngo", 302),
    Route("get", "/merges/", "admin", kind=LIST, refused=404, outsiders=("other_org", "wrong_role", "ngo")),
    Route("post", "/merges/{merge}/undo/", "admin", 302, outsiders=("other_org", "wrong_role", "ngo")),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


def test_the_right_role_learns_nothing_of_the_other_side(scene):
    """Even an owner's case worker sees only its own case of the link, until both agree to contact."""
    link = scene.ids["link"].pk
    # The scene's other links were agreed for contact (merges): their rows name the other side.
    shown = {
        who: json.dumps(
            [r for r in send(scene, ROUTES, "get", "/api/v1/duplicates/", who).json()["results"] if r["id"] == link],
            ensure_ascii=False,
        )
        for who in ("ngo", "socialwork")
    }
    ngo_case, centre_case = scene.ids["ngo_case"], scene.ids["centre_case"]
    assert ngo_case.reference in shown["ngo"] and centre_case.reference in shown["socialwork"]
    assert centre_case.reference not in shown["ngo"] and centre_case.owner.name not in shown["ngo"]
    assert ngo_case.reference not in shown["socialwork"] and ngo_case.owner.name not in shown["socialwork"]
