"""Who may open which page: what the access matrix does not say.

The generic checks (anonymous users sent to sign in; another organisation, a wrong role and the
roles without case access getting a 404 like a missing record, audited, with nothing changed and
no identity in any answer) are in ``test_access_matrix.py``; here are the pages' own rules.
"""

from __future__ import annotations

import re

import pytest

from nrm.cases.models import Case
from nrm.web.tests.conftest import GIVEN, accept, refer

pytestmark = pytest.mark.django_db


def case_urls(case: Case) -> list[str]:
    pk = case.pk
    return [
        f"/cases/{pk}/",
        f"/cases/{pk}/edit/",
        f"/cases/{pk}/close/",
        f"/cases/{pk}/consents/new/",
        f"/cases/{pk}/refer/",
        f"/cases/{pk}/identify/",
        f"/cases/{pk}/services/new/",
    ]


REFERRAL_LISTS = ["/referrals/in/", "/referrals/out/"]


@pytest.mark.parametrize("username", ["coordinator", "analyst", "admin"])
def test_roles_without_case_access_keep_home_and_the_directory(client, world, username):
    """The case pages are 404 for them (the access matrix); home says why, the directory stays."""
    client.force_login(world[username])
    home = client.get("/")
    assert home.status_code == 200
    assert "Case content is not available to your role" in home.content.decode()
    assert client.get("/directory/").status_code == 200


def test_missing_case_is_404_like_a_forbidden_one(client, world):
    client.force_login(world["ngo"])
    assert client.get("/cases/999999/").status_code == 404
    assert client.get("/referrals/999999/").status_code == 404
    assert client.get("/screenings/999999/").status_code == 404


def test_receiver_sees_the_case_only_after_accepting(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["ngo"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f'href="/cases/{police_case.pk}/"' not in page
    assert GIVEN not in page
    assert client.get(f"/cases/{police_case.pk}/").status_code == 404
    accept(world["ngo"], referral)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f'href="/cases/{police_case.pk}/"' in page
    case_page = client.get(f"/cases/{police_case.pk}/")
    assert case_page.status_code == 200
    # Identity travels with a consented referral; the owner's consents and notes do not.
    html = case_page.content.decode()
    assert GIVEN in html
    assert 'id="h-consents"' not in html
    assert 'id="h-notes"' not in html


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\s on[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def test_pages_keep_to_the_content_security_policy(client, world, orgs, police_case):
    """No inline scripts, handlers or styles: the CSP (script-src/style-src 'self') would block them."""
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["police"])
    urls = [
        "/",
        "/screenings/",
        "/screenings/new/",
        "/cases/",
        "/cases/new/",
        *case_urls(police_case),
        *REFERRAL_LISTS,
        f"/referrals/{referral.pk}/",
        "/directory/",
    ]
    for url in urls:
        response = client.get(url)
        if response.status_code == 404:  # actions the frontline role may not take
            continue
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_frontline_sees_only_the_actions_of_the_role(client, world, police_case):
    client.force_login(world["police"])
    html = client.get(f"/cases/{police_case.pk}/").content.decode()
    assert GIVEN in html  # the owner's frontline staff see identity
    assert f"/cases/{police_case.pk}/refer/" in html
    assert f"/cases/{police_case.pk}/consents/new/" in html
    assert f"/cases/{police_case.pk}/edit/" in html  # the facts, not the plan or guardian
    assert f"/cases/{police_case.pk}/close/" not in html
    assert f"/cases/{police_case.pk}/identify/" not in html
    assert client.get(f"/cases/{police_case.pk}/close/").status_code == 404
    assert client.get(f"/cases/{police_case.pk}/identify/").status_code == 404


def test_right_role_gets_every_page_with_its_form(client, world, orgs, ngo_case):
    client.force_login(world["ngo"])
    pages = {
        "/": "Referrals waiting in my inbox",
        "/screenings/": "Screenings",
        "/screenings/new/": "Indicators observed",
        "/cases/": ngo_case.reference,
        "/cases/new/": "Given name",
        f"/cases/{ngo_case.pk}/": GIVEN,
        f"/cases/{ngo_case.pk}/edit/": 'name="version" value="1"',
        f"/cases/{ngo_case.pk}/close/": "Reason for closing",
        f"/cases/{ngo_case.pk}/consents/new/": "Organisations the person agrees to share with",
        f"/cases/{ngo_case.pk}/refer/": "No consent to share is recorded.",
        f"/cases/{ngo_case.pk}/services/new/": "Delivered by",
        "/referrals/in/": "Referrals received",
        "/referrals/out/": "Referrals sent",
        "/directory/": "Safe Harbour Association (shelter)",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    client.force_login(world["centre"])
    referral = refer(
        world["ngo"],
        ngo_case,
        orgs["centre"],
        legal_ground="emergency",
        legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
    )
    accept(world["centre"], referral)
    response = client.get(f"/cases/{ngo_case.pk}/identify/")
    assert response.status_code == 200
    assert "Grounds of the decision" in response.content.decode()
