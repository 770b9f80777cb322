"""Consent to "use in statistics": a case without it is in no count, unless the law is the basis."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose
from nrm.cases.selectors import cases_left_out_of_statistics
from nrm.reporting.engine import TOTAL
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import decide, victim

TABLE = "eurostat_registered_status"


def _total(name: str = TABLE, **kwargs) -> int:
    table = run_report(REPORTS[name], raw=True, **kwargs)
    return next(c.count for c in table.totals if all(v is TOTAL for v in c.key.values()))


def _page(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/statistics/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_case_without_statistics_consent_is_not_counted_in_a_standard_table(world):
    victim(world["police"])
    victim(world["police"], statistics_consent=False)
    assert _total() == 1


def test_a_withdrawn_statistics_consent_leaves_the_case_out(world):
    case = victim(world["police"])
    consent = case.consents.get(purpose=ConsentPurpose.STATISTICS)
    case_services.consent_withdraw(actor=fresh(world["police"]), consent=consent, withdrawn_on=dt.date(2024, 5, 1))
    assert _total() == 0


def test_referrals_and_decisions_leave_out_cases_without_statistics_consent(world):
    decide(world, victim(world["police"]))
    decide(world, victim(world["police"], statistics_consent=False))
    assert _total("centre_referrals_by_source") == 1
    assert _total("centre_decisions") == 1


def test_with_the_legal_basis_every_case_is_counted(world, settings):
    settings.NRM_STATISTICS_BASIS = "legal_basis"
    victim(world["police"])
    victim(world["police"], statistics_consent=False)
    assert _total() == 2
    assert cases_left_out_of_statistics() == 0


def test_the_coordinator_sees_how_many_cases_were_left_out(world):
    for _i in range(6):
        victim(world["police"], statistics_consent=False)
    victim(world["police"])
    assert cases_left_out_of_statistics() == 6
    for who in ("coordinator", "analyst"):
        assert "6 records without consent to statistics are not counted." in _page(world[who])
    assert "without consent to statistics" not in _page(world["police"])


def test_the_left_out_count_is_suppressed_when_small(world):
    victim(world["police"], statistics_consent=False)
    victim(world["police"], statistics_consent=False)
    html = _page(world["coordinator"])
    assert "2 records without consent" not in html
    assert "A few records (fewer than 5) without consent to statistics are not counted." in html


def test_nothing_is_said_when_no_case_is_left_out(world):
    victim(world["police"])
    assert "without consent to statistics" not in _page(world["coordinator"])
