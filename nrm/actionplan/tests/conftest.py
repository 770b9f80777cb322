"""Fixtures for action-plan monitoring: Serbia's plan loaded, and the monitoring personas.

Personas, on top of the BRIEF's demo users (``world``): ``reporter`` is the Ministry of the
Interior's focal point, ``reporter_moj`` the Ministry of Justice's, ``coordinator`` the
National Coordinator's office, ``ngo`` an NGO caseworker who takes no part in monitoring.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import PASSWORD, fresh
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.actionplan.models import ActionPlan, BudgetLine, Resource, Strategy, TaskInstitution
from nrm.actionplan.services import load_plan


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """Return an aware datetime on ``day`` (local time)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def member(username: str, org: Organisation, role: str, email: str = "") -> User:
    user, _created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.update_or_create(user=user, organisation=org, defaults={"role": role, "is_active": True})
    return fresh(user)


@pytest.fixture
def plan(world) -> ActionPlan:
    """Return Serbia's action plan (loaded once per database with the reference data)."""
    return ActionPlan.objects.get(code="rs-action-plan-2017-2018")


@pytest.fixture
def no_plan(world) -> None:
    """Remove the plan the world carries, for tests of a database that has none yet."""
    # Children first: the plan's institutions and budget lines are protected from a cascade.
    BudgetLine.objects.all().delete()
    Resource.objects.all().delete()
    TaskInstitution.objects.all().delete()
    ActionPlan.objects.all().delete()
    Strategy.objects.all().delete()
    assert not ActionPlan.objects.exists()


@pytest.fixture
def people(world, plan) -> dict[str, User]:
    return make_people(world)


def make_people(world: dict[str, User]) -> dict[str, User]:
    """Return the monitoring personas (focal points of three institutions and the BRIEF's users)."""
    orgs = {o.code: o for o in Organisation.objects.all()}
    return {
        "reporter": member("reporter", orgs["mup"], Role.REPORTER, "reporter@mup.example.org"),
        "reporter_moj": member("reporter-moj", orgs["min-justice"], Role.REPORTER, "focal@moj.example.org"),
        "reporter_ocs": member("reporter-ocs", orgs["office-civil-society"], Role.REPORTER),
        "coordinator": fresh(world["coordinator"]),
        "ngo": fresh(world["ngo"]),
        "analyst": fresh(world["analyst"]),
        "police": fresh(world["police"]),
    }


def write_plan(tmp_path: Path, doc: dict, institutions: dict | None = None) -> Path:
    """Write a plan document (and its institution map) to ``tmp_path``; return the document's path."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    if institutions is not None:
        (tmp_path / "plan.institutions.json").write_text(json.dumps(institutions), encoding="utf-8")
    return path


def tiny_plan_document() -> dict:
    """Return a small plan for 2024: 1.1 runs all year (Alpha, Beta), 1.2 only the first quarter (Gamma)."""
    return {
        "country": "RS",
        "institutions": [
            {"name": "Alpha Ministry", "aliases_in_seed": []},
            {"name": "Beta Office", "aliases_in_seed": []},
            {"name": "Gamma Agency", "aliases_in_seed": []},
            {"name": "Collective partners", "aliases_in_seed": []},
        ],
        "strategy": {
            "code": "test-strategy",
            "title": "Test strategy",
            "period_start": 2024,
            "period_end": 2026,
            "vision": "v",
            "general_objective": "g",
            "special_objectives": [{"number": "1", "title": "S1", "description": ""}],
        },
        "action_plan": {
            "code": "test-plan",
            "title": "Test action plan",
            "period_start": 2024,
            "period_end": 2024,
            "objectives": [
                {
                    "number": "1",
                    "title": "Objective one",
                    "strategy_objective": "1",
                    "indicators": [],
                    "activities": [
                        {
                            "number": "1.1",
                            "title": "All year",
                            "tasks": [
                                {"number": "1.1.1", "title": "t1", "responsible": ["Alpha Ministry"], "partners": []},
                                {
                                    "number": "1.1.2",
                                    "title": "t2",
                                    "responsible": ["Beta Office"],
                                    "partners": ["Gamma Agency"],
                                },
                            ],
                            "indicators": ["Number of meetings", "Report published"],
                            "deadlines": [{"kind": "continuous", "year": 2024, "quarter": None, "text": "2024"}],
                            "resources": [
                                {
                                    "tasks": ["1.1.1"],
                                    "text": "1.200.000 RSD for 2024",
                                    "amount": 1200000.0,
                                    "currency": "RSD",
                                    "year": 2024,
                                    "funding_source": "budget",
                                    "institution": "Alpha Ministry",
                                }
                            ],
                            "risks": ["Low priority"],
                        },
                        {
                            "number": "1.2",
                            "title": "First quarter",
                            "tasks": [
                                {
                                    "number": "1.2.1",
                                    "title": "t3",
                                    "responsible": ["Gamma Agency", "Collective partners"],
                                    "partners": [],
                                }
                            ],
                            "indicators": [],
                            "deadlines": [{"kind": "quarter", "year": 2024, "quarter": 1, "text": "Q1 2024"}],
                            "resources": [],
                            "risks": [],
                        },
                    ],
                }
            ],
        },
        "budget": {
            "action_plan": {
                "years": [2024],
                "currency": "RSD",
                "rows": [{"institution": "Alpha Ministry", "year": 2024, "amount": "1200000.00", "currency": "RSD"}],
                "totals": {"2024": "1200000.00"},
                "institutions_without_expenditures": ["Beta Office"],
            }
        },
    }


TINY_INSTITUTIONS = {
    "institutions": [
        {"name": "Alpha Ministry", "code": "alpha", "type": "ministry"},
        {"name": "Beta Office", "code": "beta", "type": "government_office"},
        {"name": "Gamma Agency", "code": "gamma", "type": "public_body"},
        {"name": "Collective partners", "code": "partners", "type": "group", "reports": False},
    ]
}


@pytest.fixture
def tiny(world, tmp_path) -> dict:
    """Load the tiny 2024 plan; return the plan and a focal point per institution, plus the Coordinator."""
    load_plan(write_plan(tmp_path, tiny_plan_document(), TINY_INSTITUTIONS))
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=["alpha", "beta", "gamma", "partners"])}
    return {
        "plan": ActionPlan.objects.get(code="test-plan"),
        "orgs": orgs,
        "alpha": member("alpha-rep", orgs["alpha"], Role.REPORTER, "alpha@example.org"),
        "beta": member("beta-rep", orgs["beta"], Role.REPORTER),
        "gamma": member("gamma-rep", orgs["gamma"], Role.REPORTER),
        "coordinator": fresh(world["coordinator"]),
    }
