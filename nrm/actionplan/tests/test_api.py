"""The action-plan API: who sees which reports, the workflow over HTTP, figures and query counts.

Who may call what (anonymous, another institution's focal point, the NGO caseworker, the analyst,
the police) is the access matrix's (``test_access_matrix.py``): for them another institution's
report is a 404, as a missing one, and the lists are empty.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import fresh
from nrm.accounts.models import Organisation
from nrm.actionplan import services
from nrm.actionplan.choices import Progress, ReportStatus
from nrm.actionplan.models import Activity, Evaluation, Report

from .conftest import at

PROBLEM = "application/problem+json"
BASE = "/api/v1/actionplan"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _submitted(people, plan, code: str, user: str, month: int = 3) -> Report:
    org = Organisation.objects.get(code=code)
    actor = people[user]
    report = services.report_create(actor=actor, plan=plan, institution=org, year=2018, month=month)
    report = services.report_save_draft(
        actor=actor,
        report=report,
        expected_version=report.version,
        entries=[{"activity": e.activity_id, "progress": Progress.IN_PROGRESS} for e in report.entries.all()],
    )
    return services.report_submit(
        actor=actor, report=report, expected_version=report.version, at=at(dt.date(2018, month + 1, 9))
    )


@pytest.fixture
def two_reports(people, plan):
    return {
        "mup": _submitted(people, plan, "mup", "reporter"),
        "moj": _submitted(people, plan, "min-justice", "reporter_moj"),
    }


def test_reporter_sees_only_their_institution_and_a_refusal_reads_as_missing(people, two_reports):
    """The access matrix refuses another institution's report; here: the list, and a refusal like a missing one."""
    client = api(people["reporter"])
    listed = client.get(f"{BASE}/reports/").json()
    assert [r["id"] for r in listed["results"]] == [two_reports["mup"].pk]
    assert client.get(f"{BASE}/reports/{two_reports['mup'].pk}/").status_code == 200
    other = two_reports["moj"]
    missing = client.get(f"{BASE}/reports/999999/")
    assert missing.status_code == 404 and missing.json() == client.get(f"{BASE}/reports/{other.pk}/").json()


def test_coordinator_sees_all_and_reviews(people, two_reports):
    client = api(people["coordinator"])
    assert {r["id"] for r in client.get(f"{BASE}/reports/").json()["results"]} == {r.pk for r in two_reports.values()}
    report = two_reports["moj"]
    returned = client.post(
        f"{BASE}/reports/{report.pk}/return/", {"version": report.version, "reason": ""}, format="json"
    )
    assert returned.status_code == 400 and "reason" in returned.json()["errors"]
    returned = client.post(
        f"{BASE}/reports/{report.pk}/return/", {"version": report.version, "reason": "Add values"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == ReportStatus.RETURNED
    # The Coordinator reviews but does not write an institution's report.
    edit = client.patch(f"{BASE}/reports/{report.pk}/", {"version": returned.json()["version"]}, format="json")
    assert edit.status_code == 404
    again = client.post(f"{BASE}/reports/{report.pk}/accept/", {"version": returned.json()["version"]}, format="json")
    assert again.status_code == 409 and "status" in again.json()["errors"]
    accepted = client.post(
        f"{BASE}/reports/{two_reports['mup'].pk}/accept/", {"version": two_reports["mup"].version}, format="json"
    )
    assert accepted.json()["status"] == ReportStatus.ACCEPTED


def test_report_workflow_over_http(people, plan):
    client = api(people["reporter"])
    created = client.post(f"{BASE}/reports/", {"year": 2018, "month": 5}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["due_on"], body["period"]) == ("draft", "2018-06-07", "2018-05")
    # Creating the same report again returns it: API creates are idempotent.
    again = client.post(f"{BASE}/reports/", {"year": 2018, "month": 5}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    entry = body["entries"][0]
    indicator = entry["indicators"][0]["indicator"]
    bad = client.patch(
        f"{BASE}/reports/{body['id']}/",
        {"version": body["version"], "entries": [{"activity": entry["activity"], "money_spent": "-1"}]},
        format="json",
    )
    assert bad.status_code == 400 and bad["Content-Type"].startswith(PROBLEM)
    saved = client.patch(
        f"{BASE}/reports/{body['id']}/",
        {
            "version": body["version"],
            "summary": "May",
            "entries": [
                {
                    "activity": e["activity"],
                    "progress": "in_progress",
                    "money_spent": "1000.00" if e is entry else None,
                    "indicators": [{"indicator": indicator, "value": "4"}] if e is entry else [],
                }
                for e in body["entries"]
            ],
        },
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    data = saved.json()
    assert data["entries"][0]["money_spent"] == "1000.00" and data["entries"][0]["indicators"][0]["value"] == "4"
    stale = client.post(f"{BASE}/reports/{body['id']}/submit/", {"version": body["version"]}, format="json")
    assert stale.status_code == 409
    submitted = client.post(f"{BASE}/reports/{body['id']}/submit/", {"version": data["version"]}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["is_late"]  # May 2018 was due on 7 June 2018
    assert [h["to"] for h in submitted.json()["history"]] == ["submitted"]


def test_idempotency_key_replays_the_create(people, plan):
    client = api(people["reporter"])
    first = client.post(f"{BASE}/reports/", {"year": 2018, "month": 6}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    second = client.post(f"{BASE}/reports/", {"year": 2018, "month": 6}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


def test_plan_objectives_and_budget_are_open_to_signed_in_users(people, plan):
    client = api(people["ngo"])
    plans = client.get(f"{BASE}/plans/").json()["results"]
    assert [p["code"] for p in plans] == ["rs-action-plan-2017-2018"]
    assert len(plans[0]["strategy"]["special_objectives"]) == 5
    # Real data, and closed: after its final reports' closing day nothing of it is overdue.
    assert plans[0]["is_synthetic"] is False and plans[0]["strategy"]["is_synthetic"] is False
    assert plans[0]["closes_on"] == "2019-05-19"
    objectives = client.get(f"{BASE}/objectives/", {"plan": plan.pk}).json()
    assert objectives["count"] == 5
    assert sum(len(o["activities"]) for o in objectives["results"]) == 15
    activity = objectives["results"][0]["activities"][0]
    assert {"title", "tasks", "indicators", "deadlines", "resources", "risks"} <= set(activity)
    one = client.get(f"{BASE}/objectives/{objectives['results'][1]['id']}/").json()
    assert one["number"] == "2" and len(one["activities"]) == 3
    budget = client.get(f"{BASE}/plans/{plan.pk}/budget/").json()["results"]
    assert {s["section"]: s["totals"] for s in budget} == {
        "strategy": {"2017": "3218120.00", "2018": "4804240.00", "2019": "2736360.00"},
        "action_plan": {"2017": "3218120.00", "2018": "4804240.00"},
    }
    assert client.get(f"{BASE}/objectives/999999/").status_code == 404


def test_completeness_overdue_and_budget_endpoints(people, two_reports, plan):
    coordinator = api(people["coordinator"])
    data = coordinator.get(f"{BASE}/completeness/", {"year": 2018, "month": 3}).json()
    # 23: the responsible institutions and the Working Group's members (§10.1), not the Council.
    assert data["total"]["expected"] == 23 and data["total"]["received"] == 2
    assert data["total"]["completeness"] == 8.7 and data["total"]["timeliness"] == 8.7
    mine = api(people["reporter"]).get(f"{BASE}/completeness/", {"year": 2018, "month": 3}).json()
    assert [r["label"] for r in mine["results"]] == ["Ministry of the Interior"]
    assert mine["total"]["completeness"] == 100.0
    by_period = coordinator.get(f"{BASE}/completeness/", {"year": 2017, "by": "period"}).json()
    assert len(by_period["results"]) == 12 and by_period["total"]["received"] == 0
    assert coordinator.get(f"{BASE}/completeness/", {"kind": "weekly"}).status_code == 400
    # The seed's plan is closed history: nothing is overdue any more ...
    assert api(people["reporter"]).get(f"{BASE}/overdue/").json()["count"] == 0
    # ... unless its monitoring is kept open.
    plan.closing_days = 32767
    plan.save(update_fields=["closing_days"])
    overdue = api(people["reporter"]).get(f"{BASE}/overdue/", {"page_size": 200}).json()
    assert overdue["count"] > 0 and {r["institution"] for r in overdue["results"]} == {"Ministry of the Interior"}
    budget = api(people["reporter"]).get(f"{BASE}/budget/", {"year": 2018}).json()
    assert [(r["institution"], r["planned"]) for r in budget["by_institution"]] == [
        ("Ministry of the Interior", "558000.00")
    ]


def test_evaluations_and_briefings_over_http(people, plan, two_reports):
    activity = Activity.objects.get(plan=plan, number="1.1")
    body = {"activity": activity.pk, "year": 2017, "rating": "partially_completed", "comments": "More needed"}
    assert api(people["reporter"]).post(f"{BASE}/evaluations/", body, format="json").status_code == 404
    created = api(people["coordinator"]).post(f"{BASE}/evaluations/", body, format="json")
    assert created.status_code == 201 and Evaluation.objects.count() == 1
    listed = api(people["reporter"]).get(f"{BASE}/evaluations/").json()
    assert listed["results"][0]["rating"] == "partially_completed"
    briefing = api(people["coordinator"]).post(
        f"{BASE}/briefings/", {"kind": "minister", "year": 2018, "month": 3}, format="json"
    )
    assert briefing.status_code == 201 and briefing.json()["content"]["rates"]["received"] == 2
    assert api(people["reporter"]).get(f"{BASE}/briefings/").json()["results"] == []


def _queries(user, path, params=None) -> int:
    client = api(fresh(user))  # a new request: memberships are read again, as in production
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_take_a_fixed_number_of_queries(people, plan):
    coordinator = people["coordinator"]
    paths = ("reports", "objectives", "plans", "overdue", "completeness", "budget")
    _submitted(people, plan, "mup", "reporter", month=1)
    few = {p: _queries(coordinator, f"{BASE}/{p}/") for p in paths}
    for month in (2, 3, 4):
        _submitted(people, plan, "mup", "reporter", month=month)
        _submitted(people, plan, "min-justice", "reporter_moj", month=month)
    many = {p: _queries(coordinator, f"{BASE}/{p}/") for p in paths}
    assert many == few
    assert few["objectives"] <= 12 and few["reports"] <= 4
    report = Report.objects.first()
    assert _queries(coordinator, f"{BASE}/reports/{report.pk}/") <= 10
