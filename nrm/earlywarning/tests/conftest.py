"""Fixtures of the early-warning tests: the reference lists, observers and a threshold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import (
    member,
    org,
)
from nrm.earlywarning import services
from nrm.earlywarning.models import AlertThreshold

NOTE = "Seen near the bus station with a man called Quorbatek"
REGION = "Vojvodina"


def today() -> dt.date:
    return timezone.localdate()


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


@pytest.fixture
def people(world):
    return make_people(world)


def make_people(world):
    """The personas, plus observers: ``novisad`` (police Novi Sad), ``asylum`` (asylum office), analyst stays.

    ``coordinator`` and ``analyst`` are in the Coordinator's office; e-mails are set so that
    alerts can be mailed.
    """
    users = {
        **world,
        "novisad": member("novisad", "pu-ns", Role.FRONTLINE),
        "csrns": member("csrns", "csr-ns", Role.CASEWORKER),
        "asylum": member("asylum", "asylum-office", Role.CASEWORKER),
        "ns_reporter": member("ns_reporter", "pu-ns", Role.REPORTER),
    }
    for name, user in users.items():
        user.email = f"{name}@example.org"
        user.save(update_fields=["email"])
    return {k: fresh(v) for k, v in users.items()}


@pytest.fixture
def threshold(people):
    return make_threshold()


def make_threshold() -> AlertThreshold:
    """The demo's default: score 12 or more with 3 or more observations in 90 days, every group and region."""
    return AlertThreshold.objects.create(min_score=12, min_observations=3, window_days=90)


def observe(user, org_code="pu-ns", indicator="migrants_held_in_houses", region=REGION, likelihood=4, **kwargs):
    """Record an observation through the service."""
    return services.observation_record(
        actor=fresh(user),
        organisation=org(org_code),
        indicator=indicator,
        region=region,
        likelihood=likelihood,
        **kwargs,
    )
