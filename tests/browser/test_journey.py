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
from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Case
from nrm.referrals.models import ServiceType
from tests.browser.conftest import CYRILLIC, assert_in_serbian, localized_name, login, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page) -> None:
    page.get_by_role("button", name=tr("Sign out")).click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def record_share_consent(page, case_url: str, organisation: str) -> None:
    page.goto(f"{case_url}consents/new/")
    page.get_by_label(tr("Share with a named organisation")).check()
    page.locator("#id_organisations").select_option(label=organisation)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)


def open_referral_from_inbox(page, base: str, reference: str) -> None:
    page.goto(f"{base}/referrals/in/")
    page.get_by_role("link", name=reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tr("Referral %(pk)s", pk="").strip())


def test_journey_from_screening_to_closure(page, browser, live_server, world):
    base = live_server.url
    centre, shelter = localized_name(Organisation, "centre"), localized_name(Organisation, "ngo-sigurna")

    # Police: screening with the live result, then a case.
    login(page, live_server, "police", PASSWORD)
    page.goto(f"{base}/screenings/new/")
    for code in PRESUMED_ADULT:
        page.locator(f"input[name=answers][value={code}]").check()
    expect(page.locator("#live-result")).to_contain_text(tr("Presumed victim"))
    assert_in_serbian(page)
    page.get_by_role("button", name=tr("Save screening")).click()
    expect(page.locator(".result")).to_contain_text(tr("Presumed victim"))
    assert_in_serbian(page)
    page.get_by_role("link", name=tr("Open a case")).click()
    page.get_by_label(tr("Given name"), exact=True).fill("Jovana")
    page.get_by_label(tr("Family name"), exact=True).fill("Testović")
    page.get_by_label(tr("Date of birth")).fill("1999-02-03")
    page.locator("#id_sex").select_option("F")
    page.get_by_label(tr("Labour exploitation")).check()
    page.get_by_role("button", name=tr("Open the case")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tr("Case %(ref)s", ref="").strip())
    case_url = page.url
    assert_in_serbian(page)
    case = Case.objects.get()
    assert case.person.given_name == "Jovana" and case.screenings.count() == 1

    # Consent to share with the Centre and the shelter, then the referral for identification.
    record_share_consent(page, case_url, centre)
    record_share_consent(page, case_url, shelter)
    page.get_by_role("link", name=tr("Refer")).click()
    page.locator("#id_to_org").select_option(label=centre)
    page.locator("#id_kind").select_option("identification")
    page.get_by_role("button", name=tr("Send the referral")).click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text(tr("Referral sent to %(org)s.", org=centre))
    assert_in_serbian(page)
    sign_out(page)

    # The Centre accepts, identifies and refers to the shelter for accommodation.
    login(page, live_server, "centre", PASSWORD)
    open_referral_from_inbox(page, base, case.reference)
    page.get_by_role("button", name=tr("Accept")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tr("Accepted"))
    page.goto(case_url)
    expect(page.locator(".identity")).to_contain_text("Jovana")
    page.get_by_role("link", name=tr("Identification decision")).click()
    page.get_by_label(tr("Identified as a victim")).check()
    page.get_by_label(tr("Grounds of the decision")).fill("Interview and documents consistent with the indicators.")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    page.get_by_role("link", name=tr("Refer")).click()
    page.locator("#id_to_org").select_option(label=shelter)
    page.locator("#id_kind").select_option("service")
    page.locator("#id_service_type").select_option(label=localized_name(ServiceType, "accommodation"))
    page.get_by_role("button", name=tr("Send the referral")).click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    sign_out(page)
    case.refresh_from_db()
    assert case.identification_status == "identified"

    # The shelter accepts and records the accommodation it delivered.
    login(page, live_server, "ngo", PASSWORD)
    open_referral_from_inbox(page, base, case.reference)
    page.get_by_role("button", name=tr("Accept")).click()
    page.goto(case_url)
    page.get_by_role("link", name=tr("Add a service")).click()
    page.locator("#id_service_type").select_option(label=localized_name(ServiceType, "accommodation"))
    page.locator("#id_status").select_option("delivered")
    page.get_by_label(tr("Started on")).fill("2026-01-05")
    page.get_by_label(tr("Outcome")).fill("Safe accommodation for eight weeks.")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    expect(page.locator("#h-services + *")).to_contain_text(tr("Delivered"))
    assert_in_serbian(page)
    sign_out(page)

    # The Centre closes the case.
    login(page, live_server, "centre", PASSWORD)
    page.goto(case_url)
    page.get_by_role("link", name=tr("Close case")).click()
    page.locator("#id_reason").select_option("reintegrated")
    expect(page.locator("[data-intro]")).to_have_text(CYRILLIC)
    # Closing asks first: the confirmation names the case, and accepting it closes.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    assert asked and asked[0] == tr("Close case %(ref)s? This cannot be undone here.", ref=case.reference)
    expect(page.locator("#h-summary + *")).to_contain_text(tr("Closed"))
    assert_in_serbian(page)
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
