"""Who may open which page: anonymous, outsiders, wrong roles and the right role.

Another organisation's record is a 404, the same as a missing one, and nothing changes; roles
without case access (coordinator, analyst, admin) never reach case content or identity.
"""

from __future__ import annotations

import re

import pytest

from nrm.audit.models import AuditEntry
from nrm.cases.models import Case, CaseNote, Consent, Identification, ServiceDelivery
from nrm.referrals.models import Referral
from nrm.web.tests.conftest import FAMILY, GIVEN, accept, refer

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


LIST_URLS = ["/screenings/", "/screenings/new/", "/cases/", "/cases/export.csv", "/cases/new/"]
REFERRAL_LISTS = ["/referrals/in/", "/referrals/out/"]


def counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "notes": CaseNote.objects.count(),
        "consents": Consent.objects.filter(withdrawn_on__isnull=True).count(),
        "identifications": Identification.objects.count(),
        "services": ServiceDelivery.objects.count(),
        "referrals": Referral.objects.count(),
    }


def test_anonymous_is_sent_to_login(client, world, police_case):
    referral = refer(world["police"], police_case, police_case.owner.__class__.objects.get(code="ngo-sigurna"))
    urls = [
        "/",
        *LIST_URLS,
        *REFERRAL_LISTS,
        *case_urls(police_case),
        f"/referrals/{referral.pk}/",
        "/directory/",
        f"/screenings/{police_case.screenings.first().pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    for url in [
        "/screenings/evaluate/",
        f"/cases/{police_case.pk}/notes/",
        f"/referrals/{referral.pk}/transition/",
        f"/cases/{police_case.pk}/consents/{police_case.consents.first().pk}/withdraw/",
    ]:
        response = client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("username", ["coordinator", "analyst", "admin"])
def test_roles_without_case_access_get_404_everywhere_in_cases(client, world, police_case, username):
    referral = refer(world["police"], police_case, police_case.owner.__class__.objects.get(code="ngo-sigurna"))
    before = counts()
    client.force_login(world[username])
    for url in [*LIST_URLS, *REFERRAL_LISTS, *case_urls(police_case), f"/referrals/{referral.pk}/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{police_case.pk}/notes/", {"text": "x"}).status_code == 404
    assert client.post(f"/cases/{police_case.pk}/close/", {"reason": "other", "version": 1}).status_code == 404
    assert client.post(f"/referrals/{referral.pk}/transition/", {"status": "accepted", "version": 1}).status_code == 404
    assert client.post("/screenings/evaluate/", {"answers": []}).status_code == 404
    assert counts() == before
    referral.refresh_from_db()
    assert referral.status == "sent"
    denials = AuditEntry.objects.filter(actor_id=world[username].pk, outcome="denied")
    assert denials.filter(object_type="case", object_id=str(police_case.pk)).exists()
    assert denials.filter(object_type="referral", object_id=str(referral.pk)).exists()
    # Home and the service directory remain, with a note instead of case content.
    home = client.get("/")
    assert home.status_code == 200
    assert "Case content is not available to your role" in home.content.decode()
    assert client.get("/directory/").status_code == 200


def test_another_organisation_gets_404_and_changes_nothing(client, world, orgs, ngo_case):
    client.force_login(world["ngo2"])
    version = ngo_case.version
    before = counts()
    for url in case_urls(ngo_case):
        assert client.get(url).status_code == 404, url
    posts = {
        f"/cases/{ngo_case.pk}/edit/": {"version": version, "region": "Belgrade", "plan_goals": "x"},
        f"/cases/{ngo_case.pk}/close/": {"version": version, "reason": "other"},
        f"/cases/{ngo_case.pk}/consents/new/": {"purpose": "services"},
        f"/cases/{ngo_case.pk}/refer/": {
            "to_org": orgs["centre"].pk,
            "kind": "identification",
            "legal_ground": "emergency",
            "legal_ground_note": "x",
        },
        f"/cases/{ngo_case.pk}/identify/": {"decision": "identified", "grounds": "x"},
        f"/cases/{ngo_case.pk}/services/new/": {
            "service_type": 1,
            "organisation": orgs["ngo-most"].pk,
            "status": "planned",
        },
        f"/cases/{ngo_case.pk}/notes/": {"text": "outsider"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert counts() == before
    ngo_case.refresh_from_db()
    assert (ngo_case.version, ngo_case.status, ngo_case.plan_goals) == (version, "open", "")
    # The outsider's case list and export do not show the case either.
    assert ngo_case.reference not in client.get("/cases/").content.decode()
    assert ngo_case.reference not in b"".join(client.get("/cases/export.csv").streaming_content).decode()
    # Each refusal of a case read is in the audit log.
    assert AuditEntry.objects.filter(object_id=str(ngo_case.pk), outcome="denied").exists()


def test_missing_case_is_404_like_a_forbidden_one(client, world):
    client.force_login(world["ngo"])
    assert client.get("/cases/999999/").status_code == 404
    assert client.get("/referrals/999999/").status_code == 404
    assert client.get("/screenings/999999/").status_code == 404


def test_referral_pages_are_404_for_a_third_organisation(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    client.force_login(world["ngo2"])
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    response = client.post(f"/referrals/{referral.pk}/transition/", {"status": "accepted", "version": 1})
    assert response.status_code == 404
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("sent", 1)
    assert police_case.reference not in client.get("/referrals/in/").content.decode()


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


@pytest.mark.parametrize("username", ["coordinator", "analyst", "admin"])
def test_identity_never_reaches_coordinator_analyst_or_admin(client, world, orgs, police_case, username):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    accept(world["ngo"], referral)
    client.force_login(world[username])
    urls = [
        "/",
        "/directory/",
        *LIST_URLS,
        *REFERRAL_LISTS,
        *case_urls(police_case),
        f"/referrals/{referral.pk}/",
        f"/screenings/{police_case.screenings.first().pk}/",
        "/cases/?q=" + police_case.reference,
    ]
    for url in urls:
        response = client.get(url)
        body = (
            b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        ).decode()
        assert GIVEN not in body, url
        assert FAMILY not in body, url
        assert police_case.reference not in body, url


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
    assert f"/cases/{police_case.pk}/edit/" not in html
    assert f"/cases/{police_case.pk}/close/" not in html
    assert f"/cases/{police_case.pk}/identify/" not in html
    assert client.get(f"/cases/{police_case.pk}/edit/").status_code == 404
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
        f"/cases/{ngo_case.pk}/consents/new/": "Organisation the person agrees to share with",
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
    referral = refer(world["ngo"], ngo_case, orgs["centre"], legal_ground="emergency", legal_ground_note="x")
    accept(world["centre"], referral)
    response = client.get(f"/cases/{ngo_case.pk}/identify/")
    assert response.status_code == 200
    assert "Grounds of the decision" in response.content.decode()
