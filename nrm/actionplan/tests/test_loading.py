"""Serbia's Strategy 2017-2022 and Action Plan 2017-2018 loaded from the fixture, checked against the seed."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from nrm.accounts.models import Organisation
from nrm.actionplan.choices import BudgetSectionKind, TaskRole
from nrm.actionplan.models import (
    ActionPlan,
    Activity,
    BudgetLine,
    BudgetSection,
    Indicator,
    Institution,
    Objective,
    Resource,
    Strategy,
    Task,
    TaskInstitution,
)
from nrm.actionplan.services import DEFAULT_FIXTURE, load_plan
from nrm.audit.models import AuditEntry

from .conftest import tiny_plan_document, write_plan

REPO = Path(__file__).resolve().parents[3]
SEED = next(iter(sorted((REPO.parent / "shared" / "seeds").glob("001_*.txt"))), None)
FIXTURE = json.loads(DEFAULT_FIXTURE.read_text(encoding="utf-8"))

STRATEGY_TOTALS = {2017: Decimal("3218120.00"), 2018: Decimal("4804240.00"), 2019: Decimal("2736360.00")}
PLAN_TOTALS = {2017: Decimal("3218120.00"), 2018: Decimal("4804240.00")}


def parse_section_11(text: str) -> dict[str, dict]:
    """Return §11 of seed 001 as {section: {"rows": {(institution, year): amount}, "without": [names]}}.

    The seed prints "Institution:" then lines "2017<TAB>1.234.000,00 RSD" (dot thousands,
    comma decimals; once "0.00 RSD"), then "Public administration authorities currently
    without expenditures:" and "- 1) Name" lines. Part 2 is the Action Plan's table.
    """
    start = text.index("11. FINANCIAL EFFECTS OF THE STRATEGY AND OF THE ACTION PLAN\n")
    end = text.index("12. FINAL PROVISIONS", start)
    strategy_part, plan_part = text[start:end].split("Part 2 Action Plan")
    out = {}
    for name, part in ((BudgetSectionKind.STRATEGY, strategy_part), (BudgetSectionKind.ACTION_PLAN, plan_part)):
        rows, without, institution, in_without = {}, [], None, False
        for line in part.splitlines():
            line = line.strip()
            if line.startswith("Public administration authorities currently without expenditures"):
                in_without = True
            elif in_without and (m := re.match(r"^- \d+\) (.+)$", line)):
                without.append(m.group(1).strip())
            elif m := re.match(r"^([A-Z][^:]+):$", line):
                institution = m.group(1)
            elif institution and (m := re.match(r"^(\d{4})\s+([\d.,]+) RSD$", line)):
                digits = re.sub(r"\D", "", m.group(2))  # every amount is printed with two decimals
                rows[(institution, int(m.group(1)))] = Decimal(digits) / 100
        out[name] = {"rows": rows, "without": without}
    return out


def _db_rows(section: str) -> dict[tuple[str, int], Decimal]:
    return {
        (line.institution.name, line.year): line.amount
        for line in BudgetLine.objects.filter(section__section=section).select_related("institution")
    }


def _totals(rows: dict[tuple[str, int], Decimal]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for (_institution, year), amount in rows.items():
        totals[year] = totals.get(year, Decimal(0)) + amount
    return totals


def test_counts_match_the_fixture(plan):
    doc = FIXTURE["action_plan"]
    assert Objective.objects.filter(plan=plan).count() == len(doc["objectives"]) == 5
    activities = [a for o in doc["objectives"] for a in o["activities"]]
    assert Activity.objects.filter(plan=plan).count() == len(activities) == 15
    assert Task.objects.filter(activity__plan=plan).count() == sum(len(a["tasks"]) for a in activities) == 64
    assert Indicator.objects.filter(activity__plan=plan).count() == sum(len(a["indicators"]) for a in activities)
    assert Resource.objects.filter(activity__plan=plan).count() == sum(len(a["resources"]) for a in activities)
    assert plan.strategy.objectives.count() == len(FIXTURE["strategy"]["special_objectives"]) == 5
    for a in activities:
        activity = Activity.objects.get(plan=plan, number=a["number"])
        assert activity.tasks.count() == len(a["tasks"])
        assert activity.risks == a["risks"]
        for t in a["tasks"]:
            task = activity.tasks.get(number=t["number"])
            responsible = [r.institution.name for r in task.roles.filter(role=TaskRole.RESPONSIBLE).order_by("order")]
            assert responsible == t["responsible"]
            assert sorted(
                task.roles.filter(role=TaskRole.PARTNER).values_list("institution__name", flat=True)
            ) == sorted(t["partners"])


def test_deadline_windows(plan):
    a = Activity.objects.get(plan=plan, number="2.3")  # "Second quarter of 2017"
    assert (a.active_from.isoformat(), a.active_until.isoformat()) == ("2017-01-01", "2017-06-30")
    a = Activity.objects.get(plan=plan, number="1.2")  # "Second quarter of 2018"
    assert a.active_until.isoformat() == "2018-06-30"
    a = Activity.objects.get(plan=plan, number="1.1")  # "Continuously through the end of 2018"
    assert a.active_until.isoformat() == "2018-12-31"


def test_budget_totals_per_year_match_the_seed_to_the_dinar(plan):
    strategy, action_plan = _db_rows(BudgetSectionKind.STRATEGY), _db_rows(BudgetSectionKind.ACTION_PLAN)
    assert _totals(strategy) == STRATEGY_TOTALS
    assert _totals(action_plan) == PLAN_TOTALS
    for name, totals in (("strategy", STRATEGY_TOTALS), ("action_plan", PLAN_TOTALS)):
        assert {int(y): Decimal(v) for y, v in FIXTURE["budget"][name]["totals"].items()} == totals
    assert len(strategy) == 21 and len(action_plan) == 14


@pytest.mark.skipif(SEED is None, reason="seed 001 not found beside the repository (../shared/seeds)")
def test_budget_rows_recomputed_from_the_seed_text(plan):
    seed = parse_section_11(SEED.read_text(encoding="utf-8"))
    for name, totals in ((BudgetSectionKind.STRATEGY, STRATEGY_TOTALS), (BudgetSectionKind.ACTION_PLAN, PLAN_TOTALS)):
        assert _totals(seed[name]["rows"]) == totals, name
        assert _db_rows(name) == seed[name]["rows"], name
        section = BudgetSection.objects.get(section=name)
        assert sorted(i.name for i in section.without_expenditures.all()) == sorted(seed[name]["without"])
        assert len(seed[name]["without"]) == 6


def test_institutions_keep_the_seed_names_and_become_organisations(plan):
    names = {row["name"] for row in FIXTURE["institutions"]}
    stored = set(Institution.objects.filter(strategy=plan.strategy).values_list("name", flat=True))
    assert names <= stored
    assert stored - names == {"Ministry of Economy"}
    # An existing organisation is linked, a missing one is created under the seed's name.
    assert Institution.objects.get(name="Ministry of the Interior").organisation.code == "mup"
    health = Institution.objects.get(name="Ministry of Health").organisation
    assert health.name == "Ministry of Health" and health.type.code == "ministry"
    council = Institution.objects.get(name="Council for the Fight against Human Trafficking").organisation
    assert council.type.code == "council"
    assert not Institution.objects.get(name="Line ministries").reports


def test_loading_twice_changes_nothing(plan):
    before = {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Strategy, ActionPlan, Objective, Activity, Task, Indicator, Institution, BudgetLine, Organisation)
    }
    task_roles = TaskInstitution.objects.count()
    first = load_plan()
    assert first == load_plan()
    after = {name: sorted(model.objects.values_list("pk", flat=True)) for name, model in _models(before)}
    assert after == before
    assert TaskInstitution.objects.count() == task_roles
    assert first["objectives"] == 5 and first["activities"] == 15 and first["tasks"] == 64
    assert AuditEntry.objects.filter(action="actionplan.load").count() == 3


def _models(names):
    import nrm.accounts.models as accounts
    import nrm.actionplan.models as ap

    for name in names:
        yield name, getattr(ap, name, None) or getattr(accounts, name)


def test_a_broken_file_loads_nothing_and_names_the_field(no_plan, tmp_path):
    organisations = Organisation.objects.count()
    doc = json.loads(json.dumps(FIXTURE))
    doc["budget"]["strategy"]["rows"][0]["amount"] = "554001.00"
    with pytest.raises(ValidationError) as err:
        load_plan(write_plan(tmp_path, doc))
    assert "budget.strategy.totals.2017" in err.value.message_dict
    doc = json.loads(json.dumps(FIXTURE))
    doc["action_plan"]["objectives"][1]["activities"][0]["deadlines"][0]["kind"] = "someday"
    with pytest.raises(ValidationError) as err:
        load_plan(write_plan(tmp_path, doc))
    assert "action_plan.objectives[1].activities[0].deadlines[0].kind" in err.value.message_dict
    assert not Strategy.objects.exists() and Organisation.objects.count() == organisations


def test_any_number_of_plans(plan, tmp_path):
    load_plan(write_plan(tmp_path, tiny_plan_document()))
    assert ActionPlan.objects.count() == 2 and Strategy.objects.count() == 2
    tiny = ActionPlan.objects.get(code="test-plan")
    assert tiny.objectives.count() == 1 and Activity.objects.filter(plan=tiny).count() == 2
    # Without an institution map, institutions are matched by name or created.
    assert Organisation.objects.get(name="Alpha Ministry").type.code == "ministry"
    assert Organisation.objects.get(name="Beta Office").type.code == "public_body"


def test_reporting_bodies_follow_section_10_of_the_strategy(plan):
    """The Working Group's members report (§10.1-10.2); the Council receives the Coordinator's reports."""
    from nrm.actionplan import metrics
    from nrm.actionplan.due import Period

    council = Institution.objects.get(strategy=plan.strategy, name="Council for the Fight against Human Trafficking")
    assert (council.reports, council.receives_reports, council.working_group) == (False, True, False)
    members = set(Institution.objects.filter(strategy=plan.strategy, working_group=True).values_list("name", flat=True))
    assert members == set(FIXTURE["monitoring"]["working_group"]["members"])
    for name in (
        "Commissariat for Refugees and Migration",
        "Centre for Human Trafficking Victims Protection",
        "Security Information Agency",
        "Red Cross of Serbia",
        "Civil society organisations' representatives in the Working Group",
    ):
        assert name in members
    expected = metrics.expected_institutions(plan, Period(2018, 3))
    member_orgs = set(
        Institution.objects.filter(strategy=plan.strategy, working_group=True).values_list("organisation_id", flat=True)
    )
    assert member_orgs <= expected  # every member, tasks or not
    assert council.organisation_id not in expected
