"""Fixtures of the helpline tests: the topics, a helpline worker and a call."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import (
    member,
    org,
)
from nrm.helpline import services

NOTES = "Caller worried about a cousin; mentions a bar owner called Quorbatek"


def at(year, month, day, hour=10, minute=0):
    """Return an aware time in the configured time zone (Belgrade)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture
def people(world):
    return make_people(world)


def make_people(world):
    """Return the personas plus ``hotline``, a frontline worker of the national helpline."""
    return {**world, "hotline": member("hotline", "helpline", Role.FRONTLINE)}


@pytest.fixture
def call(people):
    return make_call(people)


def make_call(people):
    """Log a call of the national helpline (Belgrade, March 2024) with notes, referred to the police."""
    return services.call_log(
        actor=fresh(people["hotline"]),
        organisation=org("helpline"),
        received_at=at(2024, 3, 5, 14, 30),
        channel="phone",
        topic="possible_trafficking",
        language="sr",
        region="Belgrade",
        referral_made=True,
        referred_to=org("pu-bg"),
        notes=NOTES,
    )
