"""Shared test fixtures: reference data, a small indicator list, and the personas of the BRIEF."""

from __future__ import annotations

import pytest

from nrm.accounts.models import Organisation, User
from nrm.cases.models import IndicatorList

# A small list with the ILO shape: two indicators of each strength per dimension.
MINI_DIMENSIONS = [
    ("deceptive_recruitment", "recruitment"),
    ("coercive_recruitment", "recruitment"),
    ("abuse_vulnerability_recruitment", "recruitment"),
    ("exploitative_conditions", "exploitation"),
    ("coercion_destination", "coercion"),
    ("abuse_vulnerability_destination", "coercion"),
]
MINI_LIST = {
    "code": "mini",
    "version": 1,
    "title": "Test list",
    "dimensions": [{"code": c, "title": c.replace("_", " ").capitalize(), "group": g} for c, g in MINI_DIMENSIONS],
    "indicators": [
        {"code": f"{c}_{s}{i}", "dimension": c, "strength": s, "applies_to": ["adult", "child"], "text": f"{c} {s} {i}"}
        for c, _g in MINI_DIMENSIONS
        for s in ("strong", "medium", "weak")
        for i in (1, 2, 3)
    ],
    "dimension_rule": {
        "any_of": [{"strong": 2}, {"strong": 1, "medium_or_weak": 1}, {"medium": 3}, {"medium": 2, "weak": 1}]
    },
    "victim_rule": {
        "adult": {"all_of_groups": ["recruitment", "exploitation", "coercion"]},
        "child": {"all_of_groups": ["recruitment", "exploitation"]},
    },
}
PRESUMED_ADULT = [
    "deceptive_recruitment_strong1",
    "deceptive_recruitment_strong2",
    "exploitative_conditions_strong1",
    "exploitative_conditions_medium1",
    "coercion_destination_strong1",
    "coercion_destination_weak1",
]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def world(db):
    """Load reference data, the test indicator list and the demo personas; return users by name."""
    from nrm.demo.generator import demo_users
    from nrm.demo.reference import load_reference

    load_reference()
    IndicatorList.objects.update(is_active=False)
    IndicatorList.objects.create(code="mini", version=1, title="Test list", definition=MINI_LIST)
    users = {u.username: u for u in demo_users(PASSWORD)}
    return users


@pytest.fixture
def orgs(world):
    return {o.code: o for o in Organisation.objects.select_related("type")}


def fresh(user: User) -> User:
    """Return the user re-read, without the per-request membership cache."""
    return User.objects.get(pk=user.pk)


@pytest.fixture(autouse=True)
def _english():
    """Start every test in English: a page rendered in Serbian must not leave its language behind.

    Django keeps the active language per thread, and a worker runs many tests in one thread.
    """
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
