"""Every role's home shows what waits for it, each block linking to where the work is done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.accounts.tests.test_access_matrix import lock
from nrm.cases import services as case_services
from nrm.cases.choices import ServiceStatus
from nrm.cases.tests.helpers import member, move, open_case, org, refer, share
from nrm.demo.generator import DEMO_USERS
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import ServiceType
from nrm.web.home import blocks_for

pytestmark = pytest.mark.django_db


def home(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def keys(user) -> list[str]:
    return [b.key for b in blocks_for(fresh(user))]


def test_every_demo_user_has_a_home(world):
    for username, *_rest in DEMO_USERS:
        assert home(world[username]), username


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("coordinator", ["review", "overdue_reports", "briefings", "alerts"]),
        ("centre", ["tasks", "identify", "services"]),
        ("ngo", ["tasks", "services"]),
        ("analyst", ["new_data"]),
        ("admin", ["users", "locked", "inactive_memberships"]),
        ("helpline", ["tasks", "calls"]),  # the helpline operators hold a case role: their tasks too
        ("police", ["tasks"]),
    ],
)
def test_each_role_gets_its_blocks(world, persona, expected):
    assert keys(world[persona]) == expected


def test_the_reporter_sees_due_overdue_and_returned(world):
    reporter = member("home-reporter", "mup", Role.REPORTER)
    assert keys(reporter) == ["reports_due", "my_overdue", "returned"]
    page = home(reporter)
    assert "Reports returned for correction" in page and "/actionplan/reports/" in page


def test_the_centre_sees_cases_waiting_with_days(world):
    ngo, centre = world["ngo"], world["centre"]
    screening = case_services.screening_record(
        actor=fresh(ngo), organisation=org("ngo-sigurna"), answers=PRESUMED_ADULT, is_child=False
    )
    case = open_case(ngo, "ngo-sigurna", screening=screening)
    share(ngo, case, "centre")
    move(centre, refer(ngo, case, "centre"), ReferralStatus.ACCEPTED)
    block = next(b for b in blocks_for(fresh(centre)) if b.key == "identify")
    row = next(r for r in block.rows if r["label"] == case.reference)
    assert row["days"] == (dt.date.today() - row["since"]).days >= 0
    page = home(centre)
    assert f"/cases/{case.pk}/" in page and "Days waiting" in page


def test_a_service_past_its_date_waits_for_its_organisation(world):
    ngo = world["ngo"]
    case = open_case(ngo, "ngo-sigurna")
    case_services.service_record(
        actor=fresh(ngo),
        case=case,
        service_type=ServiceType.objects.get(code="legal_aid"),
        organisation=org("ngo-sigurna"),
        status=ServiceStatus.PLANNED,
        started_on=dt.date.today() - dt.timedelta(days=3),
    )
    block = next(b for b in blocks_for(fresh(ngo)) if b.key == "services")
    assert block.count == 1 and block.rows[0]["days"] == 3
    assert next(b for b in blocks_for(fresh(world["ngo2"])) if b.key == "services").count == 0


def test_the_admin_sees_locked_accounts(world):
    account = member("home-locked", "csr-bg", Role.CASEWORKER)
    lock(account.username)
    page = home(world["admin"])
    assert f"/administration/users/{account.pk}/" in page and "home-locked" in page


def test_the_analyst_sees_counts_of_new_data_only(world):
    block = blocks_for(fresh(world["analyst"]))[0]
    # Nothing published yet: everything recorded is new; counts, never a record.
    assert block.key == "new_data" and block.extra["last"] is None
    assert [r["label"] for r in block.rows] == ["Cases added", "Screenings added"]
    assert all(r["value"].isdigit() for r in block.rows)


# The analyst's published counts are cut from protected families of cubes: a fixed number of
# queries per cube, whatever the data (more on PostgreSQL, which sets work_mem per statistics query).
@pytest.mark.parametrize(
    ("persona", "most"), [("coordinator", 45), ("centre", 45), ("admin", 40), ("helpline", 45), ("analyst", 120)]
)
def test_the_home_is_fast(world, persona, most, django_assert_max_num_queries):
    """A bounded number of queries, whatever the data: counts and a few rows, never a row at a time."""
    user = fresh(world[persona])
    home(user)  # warm the statistics cache and the reference data
    with django_assert_max_num_queries(most):
        home(fresh(user))
