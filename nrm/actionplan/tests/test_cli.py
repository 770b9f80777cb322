"""The fixed command-line names: ``nrm actionplan due-date|export|load`` and ``nrm report budget``."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nrm.actionplan.models import ActionPlan


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("2024-04",), "2024-05-13"),
        (("2018-03",), "2018-04-10"),
        (("2025-12",), "2026-01-12"),
        (("2017", "--annual"), "2018-02-19"),
        (("2024", "--annual"), "2025-02-18"),
    ],
)
def test_due_date(settings, args, expected):
    settings.NRM_COUNTRY = "RS"
    assert run("actionplan", "due-date", *args) == expected + "\n"


@pytest.mark.parametrize("args", [("2024-13",), ("2024",), ("2024-04", "--annual"), ("April",)])
def test_due_date_refuses_bad_periods(args):
    with pytest.raises(CommandError):
        run("actionplan", "due-date", *args)


def test_due_date_with_a_plans_calendar(plan):
    assert run("actionplan", "due-date", "2018-03", "--plan", plan.code) == "2018-04-10\n"


def test_load_is_idempotent(world):
    first = run("actionplan", "load")
    assert "5 objectives, 15 activities, 64 tasks" in first
    assert run("actionplan", "load") == first
    assert ActionPlan.objects.count() == 1


def test_export_json_shape(plan):
    data = json.loads(run("actionplan", "export", "--format", "json"))
    objectives = data["objectives"]
    assert [o["number"] for o in objectives] == ["1", "2", "3", "4", "5"]
    activities = [a for o in objectives for a in o["activities"]]
    assert len(activities) == 15 and sum(len(a["tasks"]) for a in activities) == 64
    for o in objectives:
        assert {"number", "title", "activities"} <= set(o)
    for a in activities:
        assert {"title", "tasks", "indicators", "deadlines", "resources", "risks"} <= set(a)
        assert all(isinstance(i, str) for i in a["indicators"]) and a["deadlines"]
        for t in a["tasks"]:
            assert {"title", "responsible", "partners"} <= set(t)
            assert t["responsible"] and isinstance(t["partners"], list)
    first = activities[0]
    assert first["tasks"][0]["responsible"] == [
        "Council for the Fight against Human Trafficking",
        "local self-government authorities",
    ]
    assert first["deadlines"][0]["kind"] == "continuous"
    assert first["resources"][0]["amount"] == "102000.00" and first["resources"][0]["currency"] == "RSD"
    assert data["budget"]["action_plan"]["totals"] == {"2017": "3218120.00", "2018": "4804240.00"}


def test_export_without_a_plan_fails_with_one_line(no_plan):
    with pytest.raises(CommandError, match="no such action plan"):
        run("actionplan", "export", "--format", "json")


def test_budget_csv(plan):
    text = run("report", "budget", "--format", "csv")
    lines = text.splitlines()
    assert lines[0] == "section,institution,year,amount,currency"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 35
    assert (
        sum(r["section"] == "strategy" for r in rows) == 21 and sum(r["section"] == "action_plan" for r in rows) == 14
    )
    assert rows[0] == {
        "section": "strategy",
        "institution": "Ministry of the Interior",
        "year": "2017",
        "amount": "554000.00",
        "currency": "RSD",
    }
    totals: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        totals[r["section"], r["year"]] = totals.get((r["section"], r["year"]), Decimal(0)) + Decimal(r["amount"])
    assert totals == {
        ("strategy", "2017"): Decimal("3218120.00"),
        ("strategy", "2018"): Decimal("4804240.00"),
        ("strategy", "2019"): Decimal("2736360.00"),
        ("action_plan", "2017"): Decimal("3218120.00"),
        ("action_plan", "2018"): Decimal("4804240.00"),
    }
    only = run("report", "budget", "--format", "csv", "--section", "action_plan").splitlines()
    assert len(only) == 15 and all(line.startswith("action_plan,") for line in only[1:])


def test_rates_overdue_and_remind_commands(plan):
    assert "Total" in run("actionplan", "rates", "--year", "2018")
    assert run("actionplan", "rates", "--year", "2018", "--format", "csv").startswith("key,label,expected")
    assert "missing" in run("actionplan", "overdue", "--date", "2018-03-01")
    assert run("actionplan", "remind", "--date", "2018-04-07").startswith("reminders: ")


def test_export_round_trips_the_fixture(plan):
    from nrm.actionplan.services import DEFAULT_FIXTURE

    source = json.loads(DEFAULT_FIXTURE.read_text(encoding="utf-8"))["action_plan"]["objectives"]
    exported = json.loads(run("actionplan", "export", "--format", "json"))["objectives"]
    assert [(o["number"], o["title"]) for o in exported] == [(o["number"], o["title"]) for o in source]
    for mine, theirs in zip(
        [a for o in exported for a in o["activities"]], [a for o in source for a in o["activities"]], strict=True
    ):
        assert (mine["number"], mine["title"], mine["indicators"], mine["risks"]) == (
            theirs["number"],
            theirs["title"],
            theirs["indicators"],
            theirs["risks"],
        )
        assert [(t["number"], t["title"], t["responsible"], t["partners"]) for t in mine["tasks"]] == [
            (t["number"], t["title"], t["responsible"], t["partners"]) for t in theirs["tasks"]
        ]
        assert [(d["kind"], d["year"], d["quarter"], d["text"]) for d in mine["deadlines"]] == [
            (d["kind"], d["year"], d["quarter"], d["text"]) for d in theirs["deadlines"]
        ]
        assert [(r["text"], r["funding_source"], r["institution"], r["tasks"]) for r in mine["resources"]] == [
            (r["text"], r["funding_source"], r["institution"], r["tasks"]) for r in theirs["resources"]
        ]
        assert [None if r["amount"] is None else float(r["amount"]) for r in mine["resources"]] == [
            r["amount"] for r in theirs["resources"]
        ]
