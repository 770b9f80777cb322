"""An early warning in real Chromium: observations cross a threshold, the Coordinator acts on the alert.

A police officer records two high-risk observations about unaccompanied children in Belgrade; the
second crosses the Coordinator's threshold and raises an alert, which the officer's organisation
sees. The Coordinator finds it among the alerts, acknowledges it with a note, and the alert's
history shows who did what.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from nrm.earlywarning.models import Alert, RiskIndicator
from nrm.earlywarning.reference import load_earlywarning_reference
from nrm.earlywarning.services import threshold_set
from tests.browser.conftest import assert_in_serbian, login, new_page, open_menu, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def observe(page, live_server, indicator: RiskIndicator, on: dt.date) -> None:
    page.goto(f"{live_server.url}/early-warning/")
    page.get_by_role("link", name=tr("Record an observation")).click()
    page.get_by_label(tr("Observed on")).fill(on.isoformat())
    page.get_by_label(tr("Region")).select_option("Belgrade")
    page.get_by_label(tr("Risk indicator")).select_option(indicator.code)
    page.get_by_label(tr("Likelihood")).select_option("4")
    page.get_by_label(tr("Impact")).select_option("4")
    page.get_by_role("button", name=tr("Save observation")).click()
    page.wait_for_url(re.compile(r"/early-warning/observations/\d+/$"))


def test_observations_raise_an_alert_the_coordinator_acknowledges(browser, page, live_server, world):
    load_earlywarning_reference()
    threshold_set(actor=world["coordinator"], min_score=12, min_observations=2, window_days=90)
    indicator = RiskIndicator.objects.filter(group__code="unaccompanied_children").first()
    today = dt.date.today()

    login(page, live_server, "police", PASSWORD)
    open_menu(page)
    page.get_by_role("link", name=tr("Early warning")).first.click()
    observe(page, live_server, indicator, today - dt.timedelta(days=3))
    expect(page.get_by_text(tr("This observation raised an early-warning alert."))).to_have_count(0)
    observe(page, live_server, indicator, today)
    expect(page.get_by_text(tr("This observation raised an early-warning alert."))).to_be_visible()
    assert_in_serbian(page)
    alert = Alert.objects.get()
    assert (alert.region, alert.score, alert.status) == ("Belgrade", 16, "open")

    # The police organisation observed in the cell: the alert was raised to it too.
    page.goto(f"{live_server.url}/early-warning/alerts/")
    expect(page.get_by_role("row", name=re.compile(f"{tr('Region')}: .* {tr('Score')}: 16"))).to_be_visible()

    coordinator = new_page(browser, live_server)
    login(coordinator, live_server, "coordinator", PASSWORD)
    coordinator.goto(f"{live_server.url}/early-warning/alerts/")
    coordinator.get_by_role("row", name=re.compile(f"{tr('Score')}: 16")).get_by_role("link").click()
    coordinator.wait_for_url(re.compile(rf"/early-warning/alerts/{alert.pk}/$"))
    coordinator.get_by_label(tr("Note")).fill("Outreach team sent to the bus station")
    coordinator.get_by_role("button", name=tr("Acknowledge")).click()
    expect(coordinator.get_by_text("Outreach team sent to the bus station")).to_be_visible()
    assert_in_serbian(coordinator)
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert list(alert.events.order_by("at", "pk").values_list("kind", flat=True)) == ["raised", "acknowledged"]
    coordinator.context.close()
