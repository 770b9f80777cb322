"""The roles the other journeys leave out, in real Chromium on a phone screen, in Serbian Cyrillic.

A social worker (Centre for Social Work) accepts a referral and records the service; the analyst
reads a statistics table; the administrator creates a user and unlocks a locked account.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from playwright.sync_api import expect

from conftest import PASSWORD
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.accounts.tests.test_access_matrix import lock
from nrm.cases.tests.helpers import open_case, refer, share
from nrm.referrals.models import Referral, ServiceType
from tests.browser.conftest import assert_in_serbian, localized_name, login, open_menu, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_social_worker_accepts_a_referral_and_records_the_service(page, live_server, world):
    police = world["police"]
    case = open_case(police, "pu-bg")
    share(police, case, "csr-bg")
    referral = refer(police, case, "csr-bg")
    case_url = f"{live_server.url}/cases/{case.pk}/"

    login(page, live_server, "socialwork", PASSWORD)
    page.goto(f"{live_server.url}/referrals/in/")
    assert_in_serbian(page)
    page.get_by_role("link", name=case.reference).first.click()
    page.get_by_role("button", name=tr("Accept")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tr("Accepted"))
    assert_in_serbian(page)
    page.goto(case_url)
    page.get_by_role("link", name=tr("Add a service")).click()
    assert_in_serbian(page)
    page.locator("#id_service_type").select_option(label=localized_name(ServiceType, "accommodation"))
    page.locator("#id_status").select_option("delivered")
    page.get_by_label(tr("Started on")).fill("2026-01-05")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(case_url)
    expect(page.locator("#h-services + *")).to_contain_text(tr("Delivered"))
    assert_in_serbian(page)
    referral.refresh_from_db()
    assert referral.status == "accepted" and case.services.filter(status="delivered").count() == 1
    assert Referral.objects.count() == 1


def test_analyst_reads_a_statistics_table(page, live_server, world):
    login(page, live_server, "analyst", PASSWORD)
    open_menu(page)
    page.get_by_role("navigation", name=tr("Main")).get_by_role("link", name=tr("Statistics"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Statistics"))
    assert_in_serbian(page)
    page.locator("main li a").first.click()
    page.wait_for_url(re.compile(r"/statistics/tables/[\w-]+/$"))
    expect(page.locator("main table").first).to_be_visible()
    assert_in_serbian(page)


def test_admin_creates_a_user_and_unlocks_a_locked_account(page, live_server, world):
    lock("ngo2")
    login(page, live_server, "admin", PASSWORD)
    open_menu(page)
    page.get_by_role("navigation", name=tr("Main")).get_by_role("link", name=tr("Administration")).click()
    assert_in_serbian(page)
    page.get_by_role("link", name=tr("Users")).first.click()
    assert_in_serbian(page)
    page.get_by_role("link", name=tr("New user")).click()
    assert_in_serbian(page)
    page.get_by_label(tr("Username")).fill("novi-radnik")
    page.get_by_label(tr("Organisation")).select_option(label=localized_name(Organisation, "csr-bg"))
    page.get_by_label(tr("Role")).select_option(Role.CASEWORKER)
    page.get_by_role("button", name=tr("Create the account")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Account created"))
    assert_in_serbian(page)
    created = User.objects.get(username="novi-radnik")
    assert Membership.objects.filter(user=created, organisation__code="csr-bg", role=Role.CASEWORKER).exists()

    page.goto(f"{live_server.url}/administration/users/{world['ngo2'].pk}/")
    assert_in_serbian(page)
    page.get_by_role("button", name=tr("Unlock the account")).click()
    expect(page.get_by_role("button", name=tr("Unlock the account"))).to_have_count(0)
    assert_in_serbian(page)
    assert not AccessAttempt.objects.filter(username="ngo2").exists()
