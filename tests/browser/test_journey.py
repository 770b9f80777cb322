"""The victim's journey end to end in real Chromium, each organisation in its own browser session.

Police screens and gets a presumed victim, opens a case and refers it to the Centre with
consent; the Centre accepts, identifies and refers to an NGO for accommodation; the NGO accepts
and records the service; the Centre closes the case; a second NGO cannot open the case's URL.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, PRESUMED_ADULT
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Case
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CENTRE = "Centre for Human Trafficking Victims Protection"
SHELTER = "Safe Harbour Association (shelter)"


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def record_share_consent(page, case_url: str, organisation: str) -> None:
    page.goto(f"{case_url}consents/new/")
    page.get_by_label("Share with a named organisation").check()
    page.locator("#id_organisations").select_option(label=organisation)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)


def open_referral_from_inbox(page, base: str, reference: str) -> None:
    page.goto(f"{base}/referrals/in/")
    page.get_by_role("link", name=reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral")


def test_journey_from_screening_to_closure(page, browser, live_server, world):
    base = live_server.url

    # Police: screening with the live result, then a case.
    login(page, live_server, "police", PASSWORD)
    page.goto(f"{base}/screenings/new/")
    for code in PRESUMED_ADULT:
        page.locator(f"input[name=answers][value={code}]").check()
    expect(page.locator("#live-result")).to_contain_text("Presumed victim")
    page.get_by_role("button", name="Save screening").click()
    expect(page.locator(".result")).to_contain_text("Presumed victim")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Given name").fill("Jovana")
    page.get_by_label("Family name").fill("Testović")
    page.get_by_label("Date of birth").fill("1999-02-03")
    page.locator("#id_sex").select_option("F")
    page.get_by_label("Labour exploitation").check()
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case ")
    case_url = page.url
    case = Case.objects.get()
    assert case.person.given_name == "Jovana" and case.screenings.count() == 1

    # Consent to share with the Centre and the shelter, then the referral for identification.
    record_share_consent(page, case_url, CENTRE)
    record_share_consent(page, case_url, SHELTER)
    page.get_by_role("link", name="Refer").click()
    page.locator("#id_to_org").select_option(label=CENTRE)
    page.locator("#id_kind").select_option("identification")
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Referral sent to {CENTRE}")
    sign_out(page)

    # The Centre accepts, identifies and refers to the shelter for accommodation.
    login(page, live_server, "centre", PASSWORD)
    open_referral_from_inbox(page, base, case.reference)
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accepted")
    page.goto(case_url)
    expect(page.locator(".identity")).to_contain_text("Jovana")
    page.get_by_role("link", name="Identification decision").click()
    page.get_by_label("Identified as a victim").check()
    page.get_by_label("Grounds of the decision").fill("Interview and documents consistent with the indicators.")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    page.get_by_role("link", name="Refer").click()
    page.locator("#id_to_org").select_option(label=SHELTER)
    page.locator("#id_kind").select_option("service")
    page.locator("#id_service_type").select_option(label="Accommodation")
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    sign_out(page)
    case.refresh_from_db()
    assert case.identification_status == "identified"

    # The shelter accepts and records the accommodation it delivered.
    login(page, live_server, "ngo", PASSWORD)
    open_referral_from_inbox(page, base, case.reference)
    page.get_by_role("button", name="Accept").click()
    page.goto(case_url)
    page.get_by_role("link", name="Add a service").click()
    page.locator("#id_service_type").select_option(label="Accommodation")
    page.locator("#id_status").select_option("delivered")
    page.get_by_label("Started on").fill("2026-01-05")
    page.get_by_label("Outcome").fill("Safe accommodation for eight weeks.")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    expect(page.locator("#h-services + *")).to_contain_text("Delivered")
    sign_out(page)

    # The Centre closes the case.
    login(page, live_server, "centre", PASSWORD)
    page.goto(case_url)
    page.get_by_role("link", name="Close case").click()
    page.locator("#id_reason").select_option("reintegrated")
    expect(page.locator("[data-intro]")).to_contain_text("Who may close a case")
    # Closing asks first: the confirmation names the case, and accepting it closes.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    assert asked and asked[0].startswith("Close case")
    expect(page.locator("#h-summary + *")).to_contain_text("Closed")
    sign_out(page)
    case.refresh_from_db()
    assert case.status == "closed"

    # A second NGO, with no referral, gets the same 404 as for a missing case.
    login(page, live_server, "ngo2", PASSWORD)
    response = page.goto(case_url)
    assert response.status == 404
    assert "Jovana" not in page.content()
    assert AuditEntry.objects.filter(actor="ngo2", action="case.view", outcome="denied").exists()
    assert audit_verify().ok
