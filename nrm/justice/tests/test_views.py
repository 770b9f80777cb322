"""The justice pages as the owner and the prosecutor shared with read them: list, detail, filters, links.

Who may open each page, and what every outsider gets, is the access matrix's (``test_access_matrix.py``).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nrm.justice.tests.helpers import DEFENDANT_SECRETS, state


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["police", "prosecutor"])
def test_owner_and_shared_read(proceeding_scene, who):
    client = as_user(proceeding_scene.users[who])
    before = state()
    listing = client.get("/justice/")
    assert listing.status_code == 200
    assert [p.pk for p in listing.context["page"].object_list] == [proceeding_scene.proceeding.pk]
    detail = client.get(f"/justice/{proceeding_scene.proceeding.pk}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    for text in (
        "KTO 17/24",
        DEFENDANT_SECRETS[0],
        "Convicted",
        proceeding_scene.case_a.reference,
        proceeding_scene.case_b.reference,
    ):
        assert text in body
    assert state() == before


def test_list_filters_and_queries(proceeding_scene):
    client = as_user(proceeding_scene.users["police"])
    assert (
        client.get(f"/justice/?stage={proceeding_scene.proceeding.stage}").context["page"].object_list[0]
        == proceeding_scene.proceeding
    )
    assert not client.get("/justice/?stage=final_verdict").context["page"].object_list
    assert not client.get("/justice/?year=2019").context["page"].object_list
    assert not client.get("/justice/?q=nothing").context["page"].object_list
    # A bad filter is ignored, not an error page.
    assert client.get("/justice/?stage=bogus&year=abc").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/justice/")
    assert len(ctx) < 20


def test_the_navigation_links(proceeding_scene):
    def links(who):
        body = as_user(proceeding_scene.users[who]).get("/").content.decode()
        return ('href="/justice/"' in body, 'href="/justice/statistics/"' in body)

    assert links("police") == (True, True)
    assert links("analyst") == (False, True)
    assert links("coordinator") == (False, True)
    assert links("ngo") == (False, False)
