"""The action-plan pages: the report workflow through the forms, the dashboard, the exports.

Personas: the Coordinator's office (``coordinator``), the focal points of the tiny plan's
institutions (``alpha``, ``beta``), and roles outside monitoring (an NGO caseworker, a police
officer, an analyst). Who may open which page is the access matrix's (``test_access_matrix.py``):
another institution's report is a 404, like a missing one, and nothing changes. Here: bad input
names the field and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrm.actionplan import metrics, services
from nrm.actionplan.choices import Progress, Rating, ReportStatus
from nrm.actionplan.due import Period
from nrm.actionplan.models import Briefing, Evaluation, IndicatorValue, Report, ReportEntry, ReportTransition
from nrm.actionplan.views import cell_state
from nrm.audit.models import AuditEntry

from .conftest import at

pytestmark = pytest.mark.django_db


def make_report(tiny, who: str, month: int, *, state: str = "draft", on_time: bool = True) -> Report:
    """Return ``who``'s report on ``month`` of 2024, brought to ``state`` through the services."""
    user, org = tiny[who], tiny["orgs"][who]
    report = services.report_create(actor=user, plan=tiny["plan"], institution=org, year=2024, month=month)
    if state == "empty":
        return report
    report = services.report_save_draft(
        actor=user,
        report=report,
        expected_version=report.version,
        entries=[{"activity": e.activity_id, "progress": Progress.IN_PROGRESS} for e in report.entries.all()],
    )
    if state == "draft":
        return report
    day = report.due_on - dt.timedelta(days=1) if on_time else report.due_on + dt.timedelta(days=3)
    report = services.report_submit(actor=user, report=report, expected_version=report.version, at=at(day))
    if state == "submitted":
        return report
    coordinator = tiny["coordinator"]
    if state == "returned":
        return services.report_return(
            actor=coordinator, report=report, expected_version=report.version, reason="Add the indicator values."
        )
    return services.report_accept(actor=coordinator, report=report, expected_version=report.version)


def state_of_everything() -> dict:
    return {
        "reports": list(Report.objects.order_by("pk").values_list("pk", "status", "version", "summary")),
        "entries": list(ReportEntry.objects.order_by("pk").values_list("pk", "progress", "done", "money_spent")),
        "values": IndicatorValue.objects.count(),
        "transitions": ReportTransition.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "briefings": Briefing.objects.count(),
    }


@pytest.fixture
def alpha_report(tiny) -> Report:
    return make_report(tiny, "alpha", 3, state="submitted")


def _activity(tiny) -> int:
    return tiny["plan"].activities.get(number="1.1").pk


# --- Who may open which page ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["ngo", "police", "analyst"])
def test_roles_outside_monitoring_have_no_action_plan_link(client, world, username):
    """Their refusals are the access matrix's (``test_access_matrix.py``); their navigation names no page of it."""
    client.force_login(world[username])
    assert "/actionplan/" not in client.get("/").content.decode()


def test_another_institutions_lists_and_dashboard_leave_this_institution_out(client, tiny, alpha_report):
    """Beta's focal point is refused Alpha's report (the access matrix); Beta's list and dashboard show Beta only."""
    client.force_login(tiny["beta"])
    listing = client.get("/actionplan/reports/?year=2024").content.decode()
    assert f"/actionplan/reports/{alpha_report.pk}/" not in listing
    dashboard = client.get("/actionplan/?year=2024").content.decode()
    assert "Alpha Ministry" not in dashboard and "Beta Office" in dashboard


def test_navigation_links_follow_the_role(client, world, tiny):
    client.force_login(tiny["coordinator"])
    html = client.get("/").content.decode()
    for href in ("/actionplan/", "/actionplan/reports/", "/actionplan/evaluation/", "/actionplan/briefings/"):
        assert f'href="{href}"' in html
    client.force_login(tiny["alpha"])
    html = client.get("/actionplan/reports/").content.decode()
    assert 'href="/actionplan/reports/" aria-current="page"' in html
    assert 'href="/actionplan/briefings/"' not in html


# --- The report workflow through the pages -----------------------------------------------------


def _form_data(report: Report, **overrides) -> dict:
    """Return the edit form's data as the page would post it, with ``overrides`` by field suffix."""
    data = {"version": report.version, "summary": report.summary}
    for e in report.entries.select_related("activity").prefetch_related("activity__indicators"):
        p = f"e{e.pk}-"
        data.update(
            {
                p + "progress": e.progress,
                p + "done": e.done,
                p + "money_spent": "" if e.money_spent is None else str(e.money_spent),
                p + "currency": e.currency,
                p + "funding_source": e.funding_source,
                p + "problems": e.problems,
            }
        )
        for i in e.activity.indicators.all():
            data[f"{p}i{i.pk}"] = ""
    for suffix, value in overrides.items():
        for key in [k for k in data if k.endswith("-" + suffix) or k == suffix]:
            data[key] = value
    return data


def test_reporter_starts_fills_saves_and_submits_a_report(client, tiny):
    client.force_login(tiny["alpha"])
    listing = client.get("/actionplan/reports/?year=2024").content.decode()
    assert 'data-period="2024-05"' in listing and "Start" in listing
    response = client.post(
        "/actionplan/reports/new/",
        {"plan": tiny["plan"].pk, "institution": tiny["orgs"]["alpha"].pk, "kind": "monthly", "year": 2024, "month": 5},
    )
    report = Report.objects.get(institution=tiny["orgs"]["alpha"], month=5)
    assert response.status_code == 302 and response["Location"] == f"/actionplan/reports/{report.pk}/edit/"
    page = client.get(response["Location"]).content.decode()
    assert "1.1 All year" in page and "Number of meetings" in page

    entry = report.entries.get()
    indicator = entry.activity.indicators.get(text="Number of meetings")
    data = _form_data(report, done="Two meetings held.", money_spent="1500.50", funding_source="budget")
    data[f"e{entry.pk}-i{indicator.pk}"] = "2"
    data["action"] = "save"
    response = client.post(f"/actionplan/reports/{report.pk}/edit/", data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.done == "Two meetings held." and str(entry.money_spent) == "1500.50" and entry.currency == "RSD"
    assert IndicatorValue.objects.get(entry=entry).value == "2"
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT

    data = _form_data(report, progress=Progress.COMPLETED)
    data[f"e{entry.pk}-i{indicator.pk}"] = "2"
    data["action"] = "submit"
    response = client.post(f"/actionplan/reports/{report.pk}/edit/", data, follow=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    # May 2024 was due in June 2024: submitted now, it is accepted and recorded as late.
    assert report.is_late
    assert "recorded as late" in response.content.decode()


def test_submitting_without_a_status_names_the_field_and_stores_nothing(client, tiny):
    report = make_report(tiny, "alpha", 6, state="empty")
    entry = report.entries.get()
    client.force_login(tiny["alpha"])
    before = state_of_everything()
    data = _form_data(report, done="Changed text")
    data["action"] = "submit"
    response = client.post(f"/actionplan/reports/{report.pk}/edit/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert f"e{entry.pk}-progress" in errors
    assert "Give the progress of every activity" in errors[f"e{entry.pk}-progress"][0]
    assert state_of_everything() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"money_spent": "lots"}, "money_spent", "Enter a number."),
        ({"money_spent": "-5"}, "money_spent", "greater than or equal to 0"),
        ({"money_spent": "100", "currency": ""}, "currency", "Give the currency of the money spent."),
        ({"currency": "R$1"}, "currency", "three-letter ISO 4217 code"),
        ({"progress": "finished"}, "progress", "Select a valid choice."),
    ],
)
def test_bad_input_in_a_report_names_the_field_and_stores_nothing(client, tiny, overrides, field, message):
    report = make_report(tiny, "alpha", 7, state="draft")
    entry = report.entries.get()
    client.force_login(tiny["alpha"])
    before = state_of_everything()
    data = {**_form_data(report, **overrides, done="should not be stored"), "action": "save"}
    response = client.post(f"/actionplan/reports/{report.pk}/edit/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[f"e{entry.pk}-{field}"])
    assert state_of_everything() == before


def test_a_stale_edit_is_refused(client, tiny):
    report = make_report(tiny, "alpha", 8, state="draft")
    client.force_login(tiny["alpha"])
    data = {**_form_data(report, done="first"), "action": "save"}
    assert client.post(f"/actionplan/reports/{report.pk}/edit/", data).status_code == 302
    before = state_of_everything()
    stale = {**data, "done": "second", "action": "save"}
    response = client.post(f"/actionplan/reports/{report.pk}/edit/", stale)
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert state_of_everything() == before


def test_coordinator_returns_with_a_comment_and_the_reporter_resubmits(client, tiny, alpha_report):
    client.force_login(tiny["coordinator"])
    url = f"/actionplan/reports/{alpha_report.pk}/review/"
    before = state_of_everything()
    response = client.post(url, {"version": alpha_report.version, "decision": "return", "comment": "  "})
    assert response.status_code == 400
    assert "Say what the institution should correct." in response.context["review_form"].errors["comment"][0]
    assert state_of_everything() == before

    response = client.post(url, {"version": alpha_report.version, "decision": "return", "comment": "Add values."})
    assert response.status_code == 302
    alpha_report.refresh_from_db()
    assert alpha_report.status == ReportStatus.RETURNED and alpha_report.review_note == "Add values."

    client.force_login(tiny["alpha"])
    detail = client.get(f"/actionplan/reports/{alpha_report.pk}/").content.decode()
    assert "Returned for correction" in detail and "Add values." in detail
    edit = client.get(f"/actionplan/reports/{alpha_report.pk}/edit/").content.decode()
    assert "Add values." in edit
    response = client.post(f"/actionplan/reports/{alpha_report.pk}/submit/", {"version": alpha_report.version})
    assert response.status_code == 302
    alpha_report.refresh_from_db()
    assert alpha_report.status == ReportStatus.SUBMITTED
    assert not alpha_report.is_late  # fixed at the first submission, which was on time

    client.force_login(tiny["coordinator"])
    response = client.post(url, {"version": alpha_report.version, "decision": "accept", "comment": ""})
    assert response.status_code == 302
    alpha_report.refresh_from_db()
    assert alpha_report.status == ReportStatus.ACCEPTED
    # Accepted: the reporter can no longer change it.
    client.force_login(tiny["alpha"])
    response = client.get(f"/actionplan/reports/{alpha_report.pk}/edit/")
    assert response.status_code == 302 and response["Location"] == f"/actionplan/reports/{alpha_report.pk}/"


def test_a_late_report_is_accepted_and_marked_late(client, tiny):
    late = make_report(tiny, "alpha", 2, state="submitted", on_time=False)
    client.force_login(tiny["coordinator"])
    assert "submitted late" in client.get(f"/actionplan/reports/{late.pk}/").content.decode()
    response = client.post(f"/actionplan/reports/{late.pk}/review/", {"version": late.version, "decision": "accept"})
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == ReportStatus.ACCEPTED and late.is_late
    html = client.get("/actionplan/?year=2024").content.decode()
    cell = _cell(html, tiny["orgs"]["alpha"].pk, "2024-02")
    assert 'data-state="late"' in cell and "Late" in cell


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"month": 13}, "month"),
        ({"month": ""}, "month"),
        ({"year": 2030}, "year"),
        ({"institution": "beta"}, "institution"),
    ],
)
def test_bad_input_when_starting_a_report_names_the_field(client, tiny, data, field):
    client.force_login(tiny["alpha"])
    post = {
        "plan": tiny["plan"].pk,
        "institution": tiny["orgs"]["alpha"].pk,
        "kind": "monthly",
        "year": 2024,
        "month": 9,
    }
    post.update(data)
    if post["institution"] == "beta":
        post["institution"] = tiny["orgs"]["beta"].pk
    response = client.post("/actionplan/reports/new/", post)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Report.objects.exists()


def test_starting_the_same_report_twice_names_the_period(client, tiny):
    make_report(tiny, "alpha", 9, state="empty")
    client.force_login(tiny["alpha"])
    post = {
        "plan": tiny["plan"].pk,
        "institution": tiny["orgs"]["alpha"].pk,
        "kind": "monthly",
        "year": 2024,
        "month": 9,
    }
    response = client.post("/actionplan/reports/new/", post)
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["month"][0]
    assert Report.objects.count() == 1


# --- Evaluation and briefings ----------------------------------------------------------------


def test_evaluation_needs_a_comment_unless_completed_and_keeps_history(client, tiny):
    url = f"/actionplan/evaluation/{_activity(tiny)}/2024/"
    client.force_login(tiny["coordinator"])
    response = client.post(url, {"rating": Rating.PARTIALLY_COMPLETED, "comments": ""})
    assert response.status_code == 400
    assert "comments" in response.context["form"].errors
    assert not Evaluation.objects.exists()
    response = client.post(url, {"rating": "excellent"})
    assert response.status_code == 400 and "rating" in response.context["form"].errors

    assert (
        client.post(url, {"rating": Rating.PARTIALLY_COMPLETED, "comments": "Half the trainings."}).status_code == 302
    )
    assert client.post(url, {"rating": Rating.COMPLETED, "comments": ""}).status_code == 302
    assert Evaluation.objects.count() == 2
    page = client.get(url).content.decode()
    assert "Half the trainings." in page and page.count('class="rating rating-') == 2
    listing = client.get("/actionplan/evaluation/?year=2024").content.decode()
    assert "rating-completed" in listing  # the newest rating is the current one

    client.force_login(tiny["alpha"])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    assert "Half the trainings." in page.content.decode()


def test_briefings_are_generated_and_bad_input_names_the_field(client, tiny):
    client.force_login(tiny["coordinator"])
    response = client.post("/actionplan/briefings/", {"plan": tiny["plan"].pk, "kind": "minister", "year": 2024})
    assert response.status_code == 400 and "month" in response.context["form"].errors
    response = client.post("/actionplan/briefings/", {"plan": tiny["plan"].pk, "kind": "letter"})
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert not Briefing.objects.exists()
    response = client.post(
        "/actionplan/briefings/", {"plan": tiny["plan"].pk, "kind": "minister", "year": 2024, "month": 3}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Information to the Minister" in page
    listing = client.get("/actionplan/briefings/").content.decode()
    assert "Monthly information to the Minister" in listing


def test_briefing_reminders_show_when_due(tiny):
    from nrm.actionplan.selectors import briefing_reminders

    plan = tiny["plan"]
    reminders = briefing_reminders(tiny["coordinator"], plan, today=dt.date(2024, 4, 25))
    kinds = {(r["kind"], r["period"].label if r["period"] else None) for r in reminders}
    assert ("minister", "2024-03") in kinds
    services.briefing_generate(
        actor=tiny["coordinator"], plan=plan, kind="minister", year=2024, month=3, at=at(dt.date(2024, 4, 20))
    )
    reminders = briefing_reminders(tiny["coordinator"], plan, today=dt.date(2024, 4, 25))
    assert ("minister", "2024-03") not in {(r["kind"], r["period"] and r["period"].label) for r in reminders}
    assert briefing_reminders(tiny["alpha"], plan, today=dt.date(2024, 4, 25)) == []


# --- The dashboard ---------------------------------------------------------------------------


def _cell(html: str, org: int, period: str) -> str:
    match = re.search(rf'<td class="hm [^"]*" data-org="{org}" data-period="{period}".*?</td>', html, re.S)
    assert match, (org, period)
    return match.group(0)


def keep_open(plan) -> None:
    """Keep a past plan's monitoring open (final reports chased for ever), whatever today is."""
    plan.closing_days = 32767
    plan.save(update_fields=["closing_days"])


def test_heatmap_shows_on_time_late_missing_and_not_expected(client, tiny):
    keep_open(tiny["plan"])
    make_report(tiny, "alpha", 1, state="accepted")
    make_report(tiny, "beta", 1, state="submitted", on_time=False)
    make_report(tiny, "gamma", 1, state="draft")
    client.force_login(tiny["coordinator"])
    html = client.get("/actionplan/?year=2024").content.decode()
    orgs = tiny["orgs"]
    assert 'data-state="on_time"' in _cell(html, orgs["alpha"].pk, "2024-01")
    assert "Alpha Ministry, January 2024: On time" in _cell(html, orgs["alpha"].pk, "2024-01")
    assert 'data-state="late"' in _cell(html, orgs["beta"].pk, "2024-01")
    gamma_jan = _cell(html, orgs["gamma"].pk, "2024-01")
    assert 'data-state="missing"' in gamma_jan and "hm-overdue" in gamma_jan and "draft" in gamma_jan
    # Gamma's activity ran in the first quarter only: nothing is expected of it afterwards.
    assert 'data-state="none"' in _cell(html, orgs["gamma"].pk, "2024-05")
    # Glyphs and words, not colour alone; and the list beside the grid says the same.
    assert "✓" in _cell(html, orgs["alpha"].pk, "2024-01") and "✗" in gamma_jan
    assert "Show the same as a list" in html
    # The collective entry that cannot report never appears.
    assert "Collective partners" not in html
    # Once the plan's monitoring has closed, the missing report is no longer overdue.
    tiny["plan"].closing_days = 0
    tiny["plan"].save(update_fields=["closing_days"])
    gamma_jan = _cell(client.get("/actionplan/?year=2024").content.decode(), orgs["gamma"].pk, "2024-01")
    assert 'data-state="missing"' in gamma_jan and "hm-overdue" not in gamma_jan and "due 2024-02-07" in gamma_jan


def test_cell_state_before_and_after_the_period_ends():
    cell = metrics.Cell(
        organisation_id=1, institution="A", period=Period(2024, 5), due_on=dt.date(2024, 6, 7), expected=True
    )
    assert cell_state(cell, dt.date(2024, 5, 20)) == "not_due"
    assert cell_state(cell, dt.date(2024, 6, 3)) == "missing"  # over, not yet overdue
    assert cell_state(cell, dt.date(2024, 6, 10)) == "missing"
    assert cell_state(None, dt.date(2024, 6, 10)) == "none"


def test_dashboard_rates_status_budget_and_overdue(client, tiny):
    keep_open(tiny["plan"])
    alpha = make_report(tiny, "alpha", 1, state="empty")
    services.report_save_draft(
        actor=tiny["alpha"],
        report=alpha,
        expected_version=alpha.version,
        entries=[
            {
                "activity": e.activity_id,
                "progress": Progress.DELAYED,
                "money_spent": "300000",
                "currency": "RSD",
                "funding_source": "budget",
            }
            for e in alpha.entries.all()
        ],
    )
    alpha.refresh_from_db()
    services.report_submit(
        actor=tiny["alpha"], report=alpha, expected_version=alpha.version, at=at(dt.date(2024, 2, 1))
    )
    client.force_login(tiny["coordinator"])
    response = client.get(f"/actionplan/?plan={tiny['plan'].pk}&year=2024")
    html = response.content.decode()
    rates = response.context["rates"]["total"]
    # Alpha and Beta all year, Gamma in the first quarter: 12 + 12 + 3 expected, one received on time.
    assert (rates.expected, rates.received, rates.on_time) == (27, 1, 1)
    assert '<svg class="chart stacked"' in html and '<svg class="chart bars"' in html
    assert "Delayed" in html
    assert "1,200,000.00" in html and "300,000.00" in html  # planned and spent, per institution
    assert 'role="img"' in html and "<title" in html
    # 26 monthly reports (Alpha's January came) and the three institutions' annual reports.
    assert response.context["overdue_count"] == 26 + 3


def test_bad_plan_or_year_falls_back_and_names_the_field(client, tiny):
    client.force_login(tiny["coordinator"])
    response = client.get("/actionplan/?year=1999")
    assert response.status_code == 200
    assert "year" in response.context["form"].errors and response.context["year"] == 2024
    response = client.get("/actionplan/?plan=abc")
    assert response.status_code == 200 and "plan" in response.context["form"].errors


def _many_reports(tiny, months: range) -> None:
    for month in months:
        make_report(tiny, "alpha", month, state="accepted")
        make_report(tiny, "beta", month, state="submitted", on_time=False)


@pytest.mark.parametrize(
    "url", ["/actionplan/?year=2024", "/actionplan/reports/?year=2024", "/actionplan/annual/2024/"]
)
@pytest.mark.parametrize("who", ["coordinator", "alpha"])
def test_dashboard_and_lists_take_a_fixed_number_of_queries(client, tiny, url, who, django_assert_max_num_queries):
    client.force_login(tiny[who])
    _many_reports(tiny, range(1, 3))
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many_reports(tiny, range(3, 13))
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(30):
        client.get(url)


# --- Exports ---------------------------------------------------------------------------------


def _workbook(content: bytes):
    import io

    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content))


def _rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_report_exports_open_as_xlsx_and_pdf(client, tiny):
    report = make_report(tiny, "alpha", 3, state="empty")
    entry = report.entries.get()
    indicator = entry.activity.indicators.get(text="Number of meetings")
    services.report_save_draft(
        actor=tiny["alpha"],
        report=report,
        expected_version=report.version,
        summary="March in short.",
        entries=[
            {
                "activity": entry.activity_id,
                "progress": Progress.IN_PROGRESS,
                "done": '=HYPERLINK("http://evil.example")',
                "money_spent": "1234.5",
                "currency": "RSD",
                "funding_source": "budget",
                "problems": "Procurement delayed.",
                "indicators": {indicator.pk: "3"},
            }
        ],
    )
    client.force_login(tiny["alpha"])
    response = client.get(f"/actionplan/reports/{report.pk}/report.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="report-alpha-2024-03.xlsx"' in response["Content-Disposition"]
    book = _workbook(response.content)
    assert book.sheetnames == ["Report", "History"]
    rows = _rows(book["Report"])
    assert rows[0][0] == "Monthly report on the implementation of the Action Plan"
    facts = {r[0]: r[1] for r in rows if r and r[0]}
    assert facts["Institution"] == "Alpha Ministry" and facts["Period"] == "March 2024"
    assert facts["Due on"] == dt.datetime(2024, 4, 5) and facts["Summary"] == "March in short."
    header = next(i for i, r in enumerate(rows) if r[0] == "No.")
    line = rows[header + 1]
    assert line[:3] == ["1.1", "All year", "In progress"]
    assert line[4] == "Number of meetings: 3\nReport published: —"
    assert float(line[5]) == 1234.5 and line[6] == "RSD" and line[8] == "Procurement delayed."
    # Text that looks like a formula stays text.
    cell = book["Report"].cell(row=header + 2, column=4)
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")

    response = client.get(f"/actionplan/reports/{report.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and len(response.content) > 5000
    assert b"%%EOF" in response.content[-1024:]
    assert AuditEntry.objects.filter(action="actionplan.report.export", object_id=str(report.pk)).count() == 2


@pytest.mark.parametrize("text", ["+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0"])
def test_report_export_neutralises_every_formula_trigger(client, tiny, text):
    report = make_report(tiny, "alpha", 3, state="empty")
    entry = report.entries.get()
    services.report_save_draft(
        actor=tiny["alpha"],
        report=report,
        expected_version=report.version,
        summary="",
        entries=[{"activity": entry.activity_id, "progress": Progress.IN_PROGRESS, "done": text, "problems": text}],
    )
    client.force_login(tiny["alpha"])
    rows = _rows(_workbook(client.get(f"/actionplan/reports/{report.pk}/report.xlsx").content)["Report"])
    line = rows[next(i for i, r in enumerate(rows) if r[0] == "No.") + 1]
    assert line[3] == line[8] == "'" + text


def test_annual_exports_open_as_xlsx_and_pdf(client, tiny):
    make_report(tiny, "alpha", 1, state="accepted")
    make_report(tiny, "beta", 1, state="submitted", on_time=False)
    services.evaluation_record(
        actor=tiny["coordinator"],
        activity=tiny["plan"].activities.get(number="1.2"),
        year=2024,
        rating=Rating.NOT_COMPLETED,
        comments="Nothing done.",
    )
    client.force_login(tiny["coordinator"])
    response = client.get(f"/actionplan/annual/2024/report.xlsx?plan={tiny['plan'].pk}")
    assert response.status_code == 200
    book = _workbook(response.content)
    assert book.sheetnames == ["Activities", "Reporting", "Budget"]
    rows = _rows(book["Activities"])
    assert rows[0][0] == "Consolidated annual report on the implementation of the Action Plan 2024"
    by_inst = {(r[1], r[3]): r for r in rows[4:]}
    assert by_inst[("1.1", "Alpha Ministry")][5] == "In progress"
    assert by_inst[("1.1", "Alpha Ministry")][9] == "1,200,000.00 RSD"
    assert by_inst[("1.2", "Gamma Agency")][11] == "Not completed"
    assert by_inst[("1.2", "Gamma Agency")][12] == "Nothing done."
    reporting = _rows(book["Reporting"])
    total = next(r for r in reporting if r[0] == "Total")
    assert total[1:4] == [27, 2, 1]
    budget = _rows(book["Budget"])
    alpha = next(r for r in budget if r[0] == "Alpha Ministry")
    assert alpha[1:5] == [2024, "RSD", 1200000, 0]

    response = client.get(f"/actionplan/annual/2024/report.pdf?plan={tiny['plan'].pk}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-") and len(response.content) > 5000

    # A focal point's annual report covers its own institution only.
    client.force_login(tiny["beta"])
    rows = _rows(_workbook(client.get("/actionplan/annual/2024/report.xlsx").content)["Activities"])
    assert {r[3] for r in rows[4:]} == {"Beta Office"}
    # A year outside the plan does not exist.
    assert client.get("/actionplan/annual/2019/report.xlsx").status_code == 404


def test_serbian_plan_dashboard_and_annual_report(client, people, plan):
    """The real plan: the pages render with every institution; the exports open."""
    client.force_login(people["coordinator"])
    response = client.get(f"/actionplan/?plan={plan.pk}&year=2018")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ministry of the Interior" in html and 'data-period="2018-12"' in html
    response = client.get(f"/actionplan/annual/2018/report.xlsx?plan={plan.pk}")
    book = _workbook(response.content)
    assert len(_rows(book["Activities"])) > 10
    response = client.get(f"/actionplan/annual/2018/report.pdf?plan={plan.pk}")
    assert response.content.startswith(b"%PDF-")


def test_an_activity_shows_its_tasks_and_marks_inferred_responsibility(client, people, plan):
    from nrm.actionplan.models import Task

    inferred = Task.objects.filter(activity__plan=plan, responsible_inferred=True).select_related("activity").first()
    stated = Task.objects.filter(activity=inferred.activity, responsible_inferred=False).first()
    client.force_login(people["coordinator"])
    page = client.get(f"/actionplan/evaluation/{inferred.activity_id}/2018/").content.decode()
    assert inferred.title in page and "Tasks and who is responsible" in page
    items = {chunk.split("</strong>")[0]: chunk for chunk in page.split("<li><strong>")[1:]}
    assert "inferred" in items[inferred.number]
    if stated is not None:
        assert "inferred" not in items[stated.number]
