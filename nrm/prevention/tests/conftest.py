"""Fixtures of the prevention tests: the professions, one event of the police."""

import datetime as dt

import pytest

from conftest import fresh
from nrm.cases.tests.helpers import (
    org,
)
from nrm.prevention import services

ATTENDANCE = [
    {"profession": "police", "sex": "F", "count": 7},
    {"profession": "police", "sex": "M", "count": 9},
    {"profession": "social_worker", "organisation": None, "organisation_type": "social_work", "sex": "F", "count": 4},
]


@pytest.fixture
def people(world):
    return world


@pytest.fixture
def event(people):
    """A training of the Belgrade police (the ``police`` persona's organisation), 20 participants."""
    return services.event_record(
        actor=fresh(people["police"]),
        organiser=org("pu-bg"),
        kind="training",
        title="Identifying victims at the border",
        topic="Indicators of trafficking",
        starts_on=dt.date(2024, 3, 5),
        ends_on=dt.date(2024, 3, 6),
        location="Police academy",
        attendance=ATTENDANCE,
        forms_returned=18,
        average_score="4.40",
        share_useful="92.5",
        evaluation_summary="Participants asked for more case studies.",
    )


@pytest.fixture
def awareness(people):
    return services.awareness_record(
        actor=fresh(people["police"]),
        organiser=org("pu-bg"),
        kind="campaign",
        title="Safe work abroad",
        starts_on=dt.date(2024, 5, 1),
        ends_on=dt.date(2024, 5, 31),
        audience="Young job seekers",
        materials=[
            {
                "kind": "leaflet",
                "language": "sr",
                "title": "Know your rights",
                "copies_produced": 1000,
                "copies_distributed": 800,
                "distributed_where": "Bus stations",
            },
        ],
    )


@pytest.fixture
def survey(people):
    return services.survey_record(
        actor=fresh(people["police"]),
        organiser=org("pu-bg"),
        title="KAP survey of police officers",
        conducted_from=dt.date(2024, 6, 1),
        conducted_to=dt.date(2024, 6, 30),
        population="Police officers in Belgrade",
        sample_size=90,
        results=[
            {
                "domain": "knowledge",
                "statement": "Knows the indicators",
                "measure": "percent",
                "baseline": "40",
                "result": "71.5",
                "respondents": 90,
            },
        ],
    )
