"""The justice pages against the outsiders: anonymous, another organisation, the wrong role, the right one.

The pages only read; the outsiders see no identity and change nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import member
from nrm.justice.tests.helpers import DEFENDANT_SECRETS, state

PAGES = ["/justice/", "/justice/{pk}/"]


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(scene, path):
    response = as_user(None).get(path.format(pk=scene.proceeding.pk))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["other-police", "ngo", "ngo2", "coordinator", "analyst", "wrong-role"])
@pytest.mark.parametrize("path", PAGES)
def test_outsiders_find_nothing(scene, path, who):
    if who == "other-police":
        user = member("pu-ns-officer", "pu-ns", Role.FRONTLINE)
    elif who == "wrong-role":
        user = member("pu-wrong-role", "pu-bg", Role.REPORTER)
    else:
        user = scene.users[who]
    before = state()
    response = as_user(user).get(path.format(pk=scene.proceeding.pk))
    if who == "other-police" and path == "/justice/":
        assert response.status_code == 200 and not response.context["page"].object_list
    else:
        assert response.status_code == 404
    for secret in DEFENDANT_SECRETS:
        assert secret.encode() not in response.content
    assert state() == before


def test_refused_proceeding_is_audited(scene):
    as_user(member("pu-ns-officer", "pu-ns", Role.FRONTLINE)).get(f"/justice/{scene.proceeding.pk}/")
    entry = AuditEntry.objects.filter(object_type="proceeding", object_id=str(scene.proceeding.pk)).latest("pk")
    assert entry.outcome == "denied"


@pytest.mark.parametrize("who", ["police", "prosecutor"])
def test_owner_and_shared_read(scene, who):
    client = as_user(scene.users[who])
    before = state()
    listing = client.get("/justice/")
    assert listing.status_code == 200
    assert [p.pk for p in listing.context["page"].object_list] == [scene.proceeding.pk]
    detail = client.get(f"/justice/{scene.proceeding.pk}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    for text in ("KTO 17/24", DEFENDANT_SECRETS[0], "Convicted", scene.case_a.reference, scene.case_b.reference):
        assert text in body
    assert state() == before


def test_list_filters_and_queries(scene):
    client = as_user(scene.users["police"])
    assert client.get(f"/justice/?stage={scene.proceeding.stage}").context["page"].object_list[0] == scene.proceeding
    assert not client.get("/justice/?stage=final_verdict").context["page"].object_list
    assert not client.get("/justice/?year=2019").context["page"].object_list
    assert not client.get("/justice/?q=nothing").context["page"].object_list
    # A bad filter is ignored, not an error page.
    assert client.get("/justice/?stage=bogus&year=abc").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/justice/")
    assert len(ctx) < 20


def test_the_navigation_links(scene):
    def links(who):
        body = as_user(scene.users[who]).get("/").content.decode()
        return ('href="/justice/"' in body, 'href="/justice/statistics/"' in body)

    assert links("police") == (True, True)
    assert links("analyst") == (False, True)
    assert links("coordinator") == (False, True)
    assert links("ngo") == (False, False)
