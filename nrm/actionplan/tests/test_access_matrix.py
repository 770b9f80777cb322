"""The action-plan pages and API against the outsiders: anonymous, another institution, the wrong role.

Serbia's plan (loaded with the world) with the reports of the Ministry of the Interior (``mup``):
its focal point (``reporter``) fills and submits them, the National Coordinator's office
(``coordinator``) reviews them, rates activities and writes briefings. The outsiders are another
institution's focal point (``other_org``: the Ministry of Justice's), the Ministry of the Interior
with a role outside monitoring (``wrong_role``: an analyst there), the Coordinator's office's own
analyst (``analyst``), and roles that take no part in monitoring (an NGO caseworker, a police
officer). The plan itself is open to every signed-in user.

Pages of monitoring as a whole (the dashboard, the lists, the annual report) answer another
institution's focal point with its own institution only: a 200 with none of the Ministry's texts.
The shared harness (``tests/matrix.py``) asserts the rest; the tests below add what is particular
to the action plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.accounts.models import Organisation
from nrm.actionplan import services
from nrm.actionplan.choices import Progress
from nrm.actionplan.models import ActionPlan, Activity, Report
from nrm.cases.tests.helpers import member
from tests.matrix import AREA, LIST, OPEN, Route, Scene, check_right_role, matrix_tests, request

from .conftest import at, make_people

PLAN = "rs-action-plan-2017-2018"

SUMMARY = "Velmorant summary of February"
DONE = "Velmorant trainings held in Nis"
PROBLEMS = "Velmorant procurement stalled"
DRAFT_SUMMARY = "Velmorant draft for March"
SECRETS = [SUMMARY, DONE, PROBLEMS, DRAFT_SUMMARY]


def _filled(actor, plan, org: Organisation, month: int, summary: str, *, done: str = "", problems: str = "") -> Report:
    """Return the institution's report on ``month`` of 2018, every activity's progress given."""
    report = services.report_create(actor=actor, plan=plan, institution=org, year=2018, month=month)
    return services.report_save_draft(
        actor=actor,
        report=report,
        expected_version=report.version,
        summary=summary,
        entries=[
            {"activity": e.activity_id, "progress": Progress.IN_PROGRESS, "done": done, "problems": problems}
            for e in report.entries.all()
        ],
    )


def build_scene(world) -> Scene:
    """Return the Ministry's February report (submitted) and March report (a draft), and a briefing."""
    people, plan = make_people(world), ActionPlan.objects.get(code=PLAN)
    reporter, coordinator = people["reporter"], people["coordinator"]
    mup = Organisation.objects.get(code="mup")
    submitted = _filled(reporter, plan, mup, 2, SUMMARY, done=DONE, problems=PROBLEMS)
    submitted = services.report_submit(
        actor=reporter, report=submitted, expected_version=submitted.version, at=at(dt.date(2018, 3, 6))
    )
    draft = _filled(reporter, plan, mup, 3, DRAFT_SUMMARY)
    briefing = services.briefing_generate(actor=coordinator, plan=plan, kind="minister", year=2018, month=2)
    activity = Activity.objects.filter(plan=plan).order_by("pk").first()
    return Scene(
        users={
            **world,
            "reporter": fresh(reporter),
            "coordinator": fresh(coordinator),
            "other_org": fresh(people["reporter_moj"]),
            "wrong_role": member("mup-analyst", "mup", Role.ANALYST),
        },
        ids={
            "plan": plan,
            "objective": activity.objective,
            "activity": activity,
            "year": 2018,
            "mup": mup,
            "submitted": submitted,
            "submitted_version": submitted.version,
            "draft": draft,
            "draft_version": draft.version,
            "briefing": briefing,
        },
        secrets=SECRETS,
    )


# Roles that take no part in monitoring: no page of it exists for them.
NOT_MONITORING = ("wrong_role", "analyst", "ngo", "police")
# Pages of monitoring as a whole: another institution's focal point sees its own institution there.
WHOLE = ("other_org", *NOT_MONITORING)
OWN_ONLY = {"other_org": 200}
# One report of the Ministry's.
REPORT_OUTSIDERS = ("other_org", *NOT_MONITORING)
# Filling a report is its institution's focal point's; the Coordinator reviews but never fills.
FILL_OUTSIDERS = ("other_org", "wrong_role", "coordinator", "ngo")
# Reviewing, rating and briefing are the Coordinator's office's: its analyst and focal points are refused.
REVIEW_OUTSIDERS = ("other_org", "wrong_role", "reporter", "analyst", "ngo")

R = "/actionplan/reports/"
API = "/api/v1/actionplan/"
PAGES = [
    Route("get", "/actionplan/", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route("get", R, "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route("get", R + "new/", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route(
        "post",
        R + "new/",
        "reporter",
        302,
        kind=AREA,
        data={"plan": "{plan}", "institution": "{mup}", "kind": "monthly", "year": 2018, "month": 5},
        outsiders=WHOLE,
        # Another institution's focal point may not open a report for the Ministry: the field says so.
        refused={"other_org": 400},
    ),
    Route("get", R + "{submitted}/", "reporter", outsiders=REPORT_OUTSIDERS),
    Route("get", R + "{submitted}/report.xlsx", "reporter", outsiders=REPORT_OUTSIDERS),
    Route("get", R + "{submitted}/report.pdf", "reporter", outsiders=REPORT_OUTSIDERS),
    Route("get", R + "{draft}/edit/", "reporter", outsiders=FILL_OUTSIDERS),
    Route(
        "post",
        R + "{draft}/edit/",
        "reporter",
        302,
        data={"version": "{draft_version}", "summary": "Saved again", "action": "save"},
        outsiders=FILL_OUTSIDERS,
    ),
    Route(
        "post", R + "{draft}/submit/", "reporter", 302, data={"version": "{draft_version}"}, outsiders=FILL_OUTSIDERS
    ),
    Route(
        "post",
        R + "{submitted}/review/",
        "coordinator",
        302,
        data={"version": "{submitted_version}", "decision": "accept", "comment": "Fine."},
        outsiders=REVIEW_OUTSIDERS,
    ),
    Route("get", "/actionplan/annual/{year}/", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route("get", "/actionplan/annual/{year}/report.xlsx", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route("get", "/actionplan/annual/{year}/report.pdf", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    Route("get", "/actionplan/evaluation/", "reporter", kind=AREA, outsiders=WHOLE, refused=OWN_ONLY),
    # Every member of monitoring reads an activity's ratings; only the Coordinator's office rates.
    Route("get", "/actionplan/evaluation/{activity}/{year}/", "reporter", kind=AREA, outsiders=NOT_MONITORING),
    Route(
        "post",
        "/actionplan/evaluation/{activity}/{year}/",
        "coordinator",
        302,
        kind=AREA,
        data={"rating": "completed", "comments": ""},
        outsiders=REVIEW_OUTSIDERS,
    ),
    Route("get", "/actionplan/briefings/", "coordinator", kind=AREA, outsiders=REVIEW_OUTSIDERS),
    Route(
        "post",
        "/actionplan/briefings/",
        "coordinator",
        302,
        kind=AREA,
        data={"plan": "{plan}", "kind": "minister", "year": 2018, "month": 3},
        outsiders=REVIEW_OUTSIDERS,
    ),
    # A refused briefing is a 404 and an audited denial (the selector's get_or_deny).
    Route(
        "get",
        "/actionplan/briefings/{briefing}/",
        "coordinator",
        outsiders=REVIEW_OUTSIDERS,
    ),
]
API_ROUTES = [
    # The plan is open to every signed-in user.
    Route("get", API + "plans/", "ngo", kind=OPEN, outsiders=()),
    Route("get", API + "plans/{plan}/", "ngo", kind=OPEN, outsiders=()),
    Route("get", API + "plans/{plan}/budget/", "ngo", kind=OPEN, outsiders=()),
    Route("get", API + "plans/{plan}/export/", "ngo", kind=OPEN, outsiders=()),
    Route("get", API + "objectives/", "ngo", kind=OPEN, outsiders=()),
    Route("get", API + "objectives/{objective}/", "ngo", kind=OPEN, outsiders=()),
    # Reports and the figures computed from them: outsiders get empty lists and 404s.
    Route("get", API + "reports/", "reporter", kind=LIST, outsiders=REPORT_OUTSIDERS),
    Route(
        "post",
        API + "reports/",
        "reporter",
        201,
        data={"institution": "{mup}", "year": 2018, "month": 6},
        outsiders=REPORT_OUTSIDERS,
        refused=400,
    ),
    # The API refuses another institution's report with a 404 and an audited denial, like the pages
    # and the services (the selector's get_or_deny).
    Route(
        "get",
        API + "reports/{submitted}/",
        "reporter",
        outsiders=REPORT_OUTSIDERS,
    ),
    Route(
        "patch",
        API + "reports/{draft}/",
        "reporter",
        data={"version": "{draft_version}", "summary": "Saved again"},
        outsiders=FILL_OUTSIDERS,
    ),
    Route(
        "post",
        API + "reports/{draft}/submit/",
        "reporter",
        data={"version": "{draft_version}"},
        outsiders=FILL_OUTSIDERS,
    ),
    Route(
        "post",
        API + "reports/{submitted}/return/",
        "coordinator",
        data={"version": "{submitted_version}", "reason": "Add the values."},
        outsiders=REVIEW_OUTSIDERS,
    ),
    Route(
        "post",
        API + "reports/{submitted}/accept/",
        "coordinator",
        data={"version": "{submitted_version}"},
        outsiders=REVIEW_OUTSIDERS,
    ),
    Route("get", API + "completeness/", "reporter", kind=LIST, outsiders=REPORT_OUTSIDERS),
    Route("get", API + "overdue/", "reporter", kind=LIST, outsiders=REPORT_OUTSIDERS),
    Route("get", API + "budget/", "reporter", kind=LIST, outsiders=REPORT_OUTSIDERS),
    Route("get", API + "evaluations/", "reporter", kind=LIST, outsiders=REPORT_OUTSIDERS),
    Route(
        "post",
        API + "evaluations/",
        "coordinator",
        201,
        data={"activity": "{activity}", "year": 2018, "rating": "completed"},
        outsiders=REVIEW_OUTSIDERS,
    ),
    Route("get", API + "briefings/", "coordinator", kind=LIST, outsiders=REVIEW_OUTSIDERS),
    Route(
        "post",
        API + "briefings/",
        "coordinator",
        201,
        data={"kind": "minister", "year": 2018, "month": 3},
        outsiders=REVIEW_OUTSIDERS,
    ),
]
ROUTES = [*PAGES, *API_ROUTES]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


# --- What is particular to the action plan ------------------------------------------------------

BY_ID = {r.id: r for r in ROUTES}


def test_the_secrets_do_reach_the_right_roles(scene):
    """The Ministry's texts reach its focal point and the Coordinator: their absence elsewhere means something."""
    for who in ("reporter", "coordinator"):
        for path in (R + "{submitted}/", API + "reports/{submitted}/"):
            response = request(scene, BY_ID[f"GET {path}"], scene.users[who])
            for secret in (SUMMARY, DONE, PROBLEMS):
                assert secret.encode() in response.content, (who, path, secret)
    response = request(scene, BY_ID[f"GET {R}{{draft}}/edit/"], scene.users["reporter"])
    assert DRAFT_SUMMARY.encode() in response.content


READ_PAGES = [r for r in PAGES if r.method == "get" and r.right == "reporter" and "/edit/" not in r.path]


@pytest.mark.parametrize("route", READ_PAGES, ids=[r.id for r in READ_PAGES])
def test_the_coordinator_reads_every_institutions_pages(scene, route):
    """The Coordinator's office sees every institution: what the focal point reads, it reads too."""
    if route.path.endswith("/new/"):
        # It opens no report itself: the form is for institutions' focal points.
        response = request(scene, route, scene.users["coordinator"])
        assert response.status_code == 404
        return
    check_right_role(scene, replace(route, right="coordinator"))


LISTS = {
    API + "reports/": "results",
    API + "overdue/": "results",
    API + "evaluations/": "results",
    API + "briefings/": "results",
    API + "completeness/": "results",
    API + "budget/": "by_institution",
}


@pytest.mark.parametrize("who", NOT_MONITORING)
def test_outsiders_list_nothing_and_open_no_report(scene, who):
    """Roles outside monitoring get empty lists and figures, and may not open a report for the Ministry."""
    user = scene.users[who]
    for path, key in LISTS.items():
        response = request(scene, BY_ID[f"GET {path}"], user)
        assert response.status_code == 200 and response.json()[key] == [], (path, response.json())
    created = request(scene, BY_ID[f"POST {API}reports/"], user)
    assert created.status_code == 400 and "institution" in created.json()["errors"]
    # The same calls as the Ministry's focal point do return its report: the check above can fail.
    listed = request(scene, BY_ID[f"GET {API}reports/"], scene.users["reporter"]).json()["results"]
    assert scene.ids["submitted"].pk in [r["id"] for r in listed]


def test_another_institution_lists_its_own_reports_only(scene):
    """The Ministry of Justice's focal point sees its own institution in the lists, not the Ministry's reports."""
    user = scene.users["other_org"]
    assert request(scene, BY_ID[f"GET {API}reports/"], user).json()["results"] == []
    listing = request(
        scene,
        BY_ID[f"GET {R}"],
        user,
    ).content.decode()
    assert f"{R}{scene.ids['submitted'].pk}/" not in listing
    completeness = request(scene, BY_ID[f"GET {API}completeness/"], user).json()
    assert [r["label"] for r in completeness["results"]] == ["Ministry of Justice"]
