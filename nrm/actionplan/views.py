"""Web pages of action-plan monitoring: thin views over selectors, forms and services.

The Coordinator's office sees every institution and reviews; an institution's focal point
(reporter) sees and fills its own institution's reports; anyone else finds no page here at all:
a 404, the same as a missing report. Service errors go back on the field they name; a state
that forbids the step (a report already submitted, a stale version) is a message.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.accounts.access import PlanAction, actionplan_institution_ids
from nrm.accounts.gates import role_gate
from nrm.accounts.models import Organisation
from nrm.actionplan import exports, metrics, selectors, services
from nrm.actionplan.choices import (
    EDITABLE_STATES,
    BriefingKind,
    FundingSource,
    Progress,
    Rating,
    ReportKind,
    ReportStatus,
)
from nrm.actionplan.due import Period
from nrm.actionplan.forms import (
    BriefingForm,
    EvaluationForm,
    PlanYearForm,
    ReportCreateForm,
    ReportFilterForm,
    ReportForm,
    ReviewForm,
    SubmitForm,
    default_year,
)
from nrm.actionplan.models import ActionPlan, Activity, Report
from nrm.audit.services import audit_record
from nrm.core.errors import NotFound
from nrm.core.pages import form_page
from nrm.prevention import selectors as prevention_selectors
from nrm.web import charts

PAGE_SIZE = 50


# --- Access ----------------------------------------------------------------------------------


def is_coordinator(user) -> bool:
    """Return True if ``user`` works in the Coordinator's office (sees and reviews everything)."""
    return actionplan_institution_ids(user, PlanAction.REVIEW) is None


# The Coordinator's office and reporting focal points; a refused attempt at a report is audited.
monitoring = role_gate(
    selectors.may_monitor,
    record=lambda name: "actionplan_report" if name.startswith("report") else None,
    reason="role without action-plan access",
    action="actionplan.report.view",
)
# The Coordinator's office only (briefings).
coordinating = role_gate(is_coordinator)
# A briefing's page: anyone signed in reaches the selector, which refuses all but the Coordinator's
# office with an audited denial.
signed_in = role_gate(lambda user: True)


def _report(request: HttpRequest, pk: int, action: str = PlanAction.VIEW) -> Report:
    """Return the report ``pk`` if the user may ``action`` it; otherwise an audited refusal (NotFound)."""
    return selectors.report_get(request.user, pk, action, via="web")


def _plans() -> list[ActionPlan]:
    return list(selectors.plan_list())


def _plan_from(request: HttpRequest, plans: list[ActionPlan]) -> ActionPlan:
    """Return the plan named by ``?plan=`` (or a posted ``plan``), else the current one (``plan_current``)."""
    raw = request.POST.get("plan") or request.GET.get("plan") or ""
    by_pk = {str(p.pk): p for p in plans}
    return by_pk.get(raw) or selectors.plan_current(plans)


def _no_plan(request: HttpRequest) -> HttpResponse:
    return render(request, "actionplan/no_plan.html", status=200)


# --- Presentation helpers --------------------------------------------------------------------

# The heatmap's states, each with a glyph beside its colour, so colour is never the only cue.
STATES = {"on_time": "✓", "late": "!", "missing": "✗", "not_due": "…", "none": "–"}


def state_label(state: str) -> str:
    labels = {
        "on_time": _("On time"),
        "late": _("Late"),
        "missing": _("Missing"),
        "not_due": _("Not yet due"),
        "none": _("Not expected"),
    }
    return labels[state]


def cell_state(cell: metrics.Cell | None, today: dt.date) -> str:
    """Return where a report stands: on time, late, missing, not yet due, or not expected.

    Received reports are on time or late by their first submission. A report not received is
    missing once its period is over (overdue once its due date has passed too); before that
    it is not yet due.
    """
    if cell is None:
        return "none"
    if cell.received:
        return "late" if cell.is_late else "on_time"
    if not cell.expected:
        return "none"
    if today < cell.period.end:
        return "not_due"
    return "missing"


def _whose(institution: str, period: Period, state: str) -> str:
    return _("%(institution)s, %(period)s: %(state)s") % {
        "institution": institution,
        "period": period_label(period),
        "state": state_label(state),
    }


def cell_text(cell: metrics.Cell | None, state: str, today: dt.date, *, closed: bool = False) -> str:
    """Return the full sentence a screen reader and a tooltip give for a cell.

    In a closed plan a report never received was due on its date and is no longer overdue.
    """
    if cell is None:
        return state_label(state)
    parts = [_whose(cell.institution, cell.period, state)]
    if cell.submitted_on and cell.received:
        parts.append(_("submitted %(date)s") % {"date": cell.submitted_on.isoformat()})
    if state == "missing" and cell.due_on < today and not closed:
        parts.append(_("overdue since %(date)s") % {"date": cell.due_on.isoformat()})
    elif state in ("missing", "not_due"):
        parts.append(_("due %(date)s") % {"date": cell.due_on.isoformat()})
    if cell.status and not cell.received:
        parts.append(ReportStatus(cell.status).label.lower())
    return "; ".join(parts)


def period_label(period: Period) -> str:
    """Return "March 2018" for a month, "2018" for a year."""
    if period.month == 0:
        return str(period.year)
    return formats.date_format(period.start, "F Y")


def heatmap(cells: list[metrics.Cell], periods: list[Period], today: dt.date, *, closed: bool = False) -> dict:
    """Return the institutions x periods grid of ``cells``, each with its state, glyph and text.

    ``closed``: the plan's monitoring is closed, so a missing report is not marked overdue.
    """
    by_key = {(c.organisation_id, c.period): c for c in cells}
    rows: dict[int, str] = {}
    for c in cells:
        rows.setdefault(c.organisation_id, c.institution)
    out_rows = []
    for org, name in sorted(rows.items(), key=lambda kv: kv[1]):
        row = []
        for period in periods:
            cell = by_key.get((org, period))
            state = cell_state(cell, today)
            row.append(
                {
                    "state": state,
                    "glyph": STATES[state],
                    "text": cell_text(cell, state, today, closed=closed) if cell else _whose(name, period, state),
                    "period": period.label,
                    "overdue": state == "missing" and cell is not None and cell.due_on < today and not closed,
                    "report_id": cell.report_id if cell else None,
                }
            )
        out_rows.append({"organisation": org, "name": name, "cells": row})
    return {
        "columns": [{"label": formats.date_format(p.start, "M"), "full": period_label(p)} for p in periods],
        "rows": out_rows,
        "legend": [{"state": s, "glyph": STATES[s], "label": state_label(s)} for s in STATES],
    }


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def budget_charts(budget: dict[str, list[dict]]) -> dict:
    """Return the budget tables with a planned-against-spent chart per currency."""
    sources = dict(FundingSource.choices)
    series = [(_("Planned"), "c-planned"), (_("Spent"), "c-spent")]
    by_inst: dict[str, list] = {}
    for r in budget["by_institution"]:
        by_inst.setdefault(r["currency"], []).append(r)
    by_obj: dict[str, list] = {}
    for r in budget["by_objective"]:
        r = {**r, "source_label": sources.get(r["funding_source"], r["funding_source"] or "—")}
        by_obj.setdefault(r["currency"] or "—", []).append(r)
    inst_charts = [
        {
            "currency": currency,
            "rows": rows,
            "svg": charts.grouped_bars(
                f"budget-inst-{i}",
                title=_("Budget planned and spent per institution, %(currency)s") % {"currency": currency},
                desc=_("Horizontal bars: for each institution, money planned and money reported spent."),
                series=series,
                rows=[
                    (f"{r['institution']} ({r['year']})", [_decimal(r["planned"]), _decimal(r["spent"])]) for r in rows
                ],
                unit=currency,
            ),
        }
        for i, (currency, rows) in enumerate(sorted(by_inst.items()))
    ]
    obj_charts = [
        {
            "currency": currency,
            "rows": rows,
            "svg": charts.grouped_bars(
                f"budget-obj-{i}",
                title=_("Budget planned and spent per objective and funding source, %(currency)s")
                % {"currency": currency},
                desc=_("Horizontal bars: for each objective and funding source, money planned and reported spent."),
                series=series,
                rows=[
                    (
                        f"{r['objective']} · {r['source_label']} ({r['year'] or '—'})",
                        [_decimal(r["planned"]), _decimal(r["spent"])],
                    )
                    for r in rows
                ],
                unit="" if currency == "—" else currency,
            ),
        }
        for i, (currency, rows) in enumerate(sorted(by_obj.items()))
    ]
    return {"by_institution": inst_charts, "by_objective": obj_charts}


def status_chart(status: list[dict]) -> dict:
    """Return the activity states by objective as a stacked-bar chart and its legend."""
    segments = [
        ("completed", str(Progress.COMPLETED.label), "s-completed"),
        ("in_progress", str(Progress.IN_PROGRESS.label), "s-in_progress"),
        ("not_started", str(Progress.NOT_STARTED.label), "s-not_started"),
        ("delayed", str(Progress.DELAYED.label), "s-delayed"),
        ("no_report", _("No report"), "s-no_report"),
    ]
    svg = charts.stacked_bars(
        "activity-status",
        title=_("Activities by state, per objective"),
        desc=_(
            "One bar per objective, split by how many of its activities are completed, in progress, "
            "not started, delayed or without a report."
        ),
        segments=segments,
        rows=[(f"{s['objective'].number}. {Truncator(s['objective'].title).chars(72)}", s["counts"]) for s in status],
    )
    for s in status:
        s["cells"] = [(name, s["counts"][key]) for key, name, _css in segments]
    return {"svg": svg, "segments": segments}


def plan_phase(plan: ActionPlan, today: dt.date) -> dict:
    """Return what a page says of the plan's phase: running, collecting final reports, closed; synthetic or not."""
    phase = plan.phase(today)
    return {
        "phase": phase,
        "closed": phase == ActionPlan.CLOSED,
        "final_reports": phase == ActionPlan.FINAL_REPORTS,
        "upcoming": phase == ActionPlan.UPCOMING,
        "ends_on": plan.ends_on,
        "closes_on": plan.closes_on,
        "synthetic": plan.is_synthetic,
        "current": selectors.plan_current(today=today),
    }


# --- Dashboard -------------------------------------------------------------------------------


@monitoring
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the monitoring of a plan's year: heatmap, rates, activities, budget, overdue, briefings.

    The Coordinator's office sees every institution; a focal point sees its own institution.
    """
    user = request.user
    plans = _plans()
    if not plans:
        return _no_plan(request)
    form = PlanYearForm(request.GET or None, plans=plans, plan=selectors.plan_current(plans))
    plan, year = form.chosen()
    today = timezone.localdate()
    periods = metrics.periods_of(plan, ReportKind.MONTHLY, year)
    cells = selectors.reporting_grid(user, plan, periods)
    due = [c for c in cells if c.due_on <= today]
    by_institution, total = metrics.rates(due)
    by_period, _total = metrics.rates(due, by="period")
    for row in by_period:
        row.label = period_label(Period.parse(row.key))
    status = selectors.activity_status(user, plan, year=year)
    overdue = selectors.overdue_list(user, plan, today=today)
    closed = plan.is_closed(today)
    context = {
        "form": form,
        "plan": plan,
        "year": year,
        "today": today,
        "phase": plan_phase(plan, today),
        "heat": heatmap(cells, periods, today, closed=closed),
        "cells": [
            {
                "cell": c,
                "state": state_label(cell_state(c, today)),
                "overdue": cell_state(c, today) == "missing" and not closed,
            }
            for c in cells
        ],
        "rates": {"by_institution": by_institution, "by_period": by_period, "total": total},
        "status": status,
        "status_chart": status_chart(status),
        "budget": budget_charts(selectors.budget_execution(user, plan, year=year)),
        "overdue": [{"cell": c, "days": (today - c.due_on).days} for c in overdue[:100]],
        "overdue_count": len(overdue),
        "reminders": selectors.briefing_reminders(user, plan, today=today),
        "coordinator": is_coordinator(user),
    }
    return render(request, "actionplan/dashboard.html", context)


# --- Reports ---------------------------------------------------------------------------------


def _institution_choices(user, plan: ActionPlan) -> list[tuple[int, str]]:
    names = metrics.institution_names(plan)
    visible = selectors.visible_institutions(user)
    return sorted(((o, n) for o, n in names.items() if visible is None or o in visible), key=lambda kv: kv[1])


@monitoring
def report_list(request: HttpRequest) -> HttpResponse:
    """List reports by period with status and due date; a focal point also sees what is still to do."""
    user = request.user
    plans = _plans()
    if not plans:
        return _no_plan(request)
    plan = _plan_from(request, plans)
    form = ReportFilterForm(request.GET or None, plans=plans, plan=plan, institutions=_institution_choices(user, plan))
    plan, year = form.chosen()
    qs = selectors.report_list(user, plan=plan, year=year, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    duties = []
    mine = actionplan_institution_ids(user, PlanAction.EDIT) or []
    if mine:
        periods = [
            *metrics.periods_of(plan, ReportKind.MONTHLY, year),
            *metrics.periods_of(plan, ReportKind.ANNUAL, year),
        ]
        for cell in selectors.my_reporting(user, plan, periods):
            state = cell_state(cell, today)
            duties.append(
                {
                    "cell": cell,
                    "label": period_label(cell.period),
                    "state": state,
                    "glyph": STATES[state],
                    "state_label": state_label(state),
                    "overdue": not cell.received and cell.expected and cell.due_on < today,
                    "status_label": ReportStatus(cell.status).label if cell.status else _("Not started"),
                    "can_start": cell.report_id is None and cell.expected and cell.period.start <= today,
                }
            )
    duties.sort(key=lambda d: (d["cell"].institution, d["cell"].period.month == 0, d["cell"].period))
    return render(
        request,
        "actionplan/report_list.html",
        {
            "several": len({d["cell"].organisation_id for d in duties}) > 1,
            "form": form,
            "plan": plan,
            "year": year,
            "page": page,
            "today": today,
            "phase": plan_phase(plan, today),
            "duties": duties,
            "coordinator": is_coordinator(user),
            "to_review": selectors.report_list(user, plan=plan, year=year, status=ReportStatus.SUBMITTED).count()
            if is_coordinator(user)
            else 0,
        },
    )


@monitoring
def report_new(request: HttpRequest) -> HttpResponse:
    """Open a draft report for one of the user's institutions and a period, then fill it."""
    user = request.user
    institutions = list(Organisation.objects.filter(pk__in=actionplan_institution_ids(user, PlanAction.EDIT) or []))
    if not institutions:
        raise Http404
    plans = _plans()
    if not plans:
        return _no_plan(request)
    plan = _plan_from(request, plans)
    today = timezone.localdate()
    initial = {"plan": plan.pk, "year": default_year(plan, today), "kind": ReportKind.MONTHLY}
    form = ReportCreateForm(request.POST or None, institutions=institutions, initial=initial)
    return form_page(
        request,
        form,
        lambda d: services.report_create(
            actor=user, plan=d["plan"], institution=d["institution"], kind=d["kind"], year=d["year"], month=d["month"]
        ),
        success=_("Report opened: fill it in, save it as a draft and submit it."),
        done=lambda report: redirect("actionplan:report_edit", pk=report.pk),
        template="actionplan/report_new.html",
        context={"plan": plan},
        invalid_status=400,
    )


def _report_context(request: HttpRequest, report: Report, **extra) -> dict:
    user = request.user
    mine = actionplan_institution_ids(user, PlanAction.EDIT) or []
    editable = report.status in EDITABLE_STATES and report.institution_id in mine
    reviewable = report.status == ReportStatus.SUBMITTED and is_coordinator(user)
    entries = []
    for e in report.entries.all():
        values = {v.indicator_id: v.value for v in e.values.all()}
        entries.append(
            {
                "entry": e,
                "indicators": [{"indicator": i, "value": values.get(i.pk, "")} for i in e.activity.indicators.all()],
            }
        )
    context = {
        "report": report,
        "period": period_label(report.period),
        "entries": entries,
        "editable": editable,
        "reviewable": reviewable,
        "review_form": ReviewForm(initial={"version": report.version}),
        "submit_form": SubmitForm(initial={"version": report.version}),
        "today": timezone.localdate(),
        "history": list(report.transitions.all()),
    }
    context.update(extra)
    return context


@monitoring
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a report with its entries and history; the Coordinator reviews it here."""
    report = _report(request, pk)
    return render(request, "actionplan/report_detail.html", _report_context(request, report))


@monitoring
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill a draft or returned report: save it as a draft, or save and submit it at once."""
    report = _report(request, pk, PlanAction.EDIT)
    if report.status not in EDITABLE_STATES:
        messages.info(
            request,
            _("This report is %(status)s; it can no longer be changed.")
            % {"status": ReportStatus(report.status).label.lower()},
        )
        return redirect("actionplan:report_detail", pk=report.pk)
    form = ReportForm(request.POST or None, report=report)
    submit = request.POST.get("action") == "submit"

    def save(d: dict) -> Report | None:
        kwargs = {
            "actor": request.user,
            "report": report,
            "expected_version": d["version"],
            "summary": d["summary"],
            "entries": form.entries(),
        }
        if submit:
            return services.report_save_and_submit(**kwargs)
        services.report_save_draft(**kwargs)
        return None

    def page() -> dict:
        groups = form.entry_groups()
        if report.month:
            # What was recorded as prevention work on the activities' tasks that month, as a reminder.
            evidence = prevention_selectors.activity_evidence(
                request.user, [g["activity"].pk for g in groups], report.year, report.month
            )
            for g in groups:
                g["evidence"] = evidence.get(g["activity"].pk)
        return {"form": form, "report": report, "period": period_label(report.period), "groups": groups}

    return form_page(
        request,
        form,
        save,
        success="" if submit else _("Draft saved."),
        done=(lambda done: _submitted(request, done))
        if submit
        else reverse("actionplan:report_edit", args=[report.pk]),
        template="actionplan/report_edit.html",
        context=page,
        rename={**form.service_field_names(), "month": None, "year": None},
        invalid_status=400,
    )


def _submitted(request: HttpRequest, report: Report) -> HttpResponse:
    """Tell whether the report just submitted is late, and show it."""
    if report.is_late:
        messages.warning(
            request,
            _("Report submitted after its due date (%(due)s); it is accepted and recorded as late.")
            % {"due": report.due_on.isoformat()},
        )
    else:
        messages.success(request, _("Report submitted on time."))
    return redirect("actionplan:report_detail", pk=report.pk)


@monitoring
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a filled report as it was saved; what is missing sends the user back to the form."""
    report = _report(request, pk, PlanAction.EDIT)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; reload the page and try again."))
        return redirect("actionplan:report_detail", pk=report.pk)
    return form_page(
        request,
        form,
        lambda d: services.report_submit(actor=request.user, report=report, expected_version=d["version"]),
        done=lambda done: _submitted(request, done),
        invalid_to=reverse("actionplan:report_edit", args=[report.pk]),
        conflict_to=reverse("actionplan:report_detail", args=[report.pk]),
    )


@monitoring
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a submitted report, or return it for correction with a comment (required)."""
    report = _report(request, pk, PlanAction.REVIEW)
    form = ReviewForm(request.POST)

    def save(d: dict) -> str:
        if d["decision"] == ReviewForm.RETURN:
            services.report_return(
                actor=request.user, report=report, expected_version=d["version"], reason=d["comment"]
            )
            return _("Report returned to the institution for correction.")
        services.report_accept(actor=request.user, report=report, expected_version=d["version"], note=d["comment"])
        return _("Report accepted.")

    return form_page(
        request,
        form,
        save,
        success=lambda message: message,
        done=reverse("actionplan:report_detail", args=[report.pk]),
        template="actionplan/report_detail.html",
        context=lambda: _report_context(request, _report(request, pk), review_form=form),
        rename={"reason": "comment"},
        invalid_status=400,
    )


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@monitoring
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download a report in the standard template, as XLSX or PDF."""
    report = _report(request, pk)
    audit_record(
        actor=request.user,
        action="actionplan.report.export",
        object_type="actionplan_report",
        object_id=report.pk,
        organisation_id=report.institution_id,
        detail={"format": fmt},
    )
    name = f"report-{report.institution.code}-{report.period.label}.{fmt}"
    if fmt == "xlsx":
        return _attachment(exports.report_xlsx(report), XLSX, name)
    return _attachment(exports.report_pdf(report), "application/pdf", name)


# --- The consolidated annual report ----------------------------------------------------------


def _plan_year(request: HttpRequest, year: int) -> tuple[ActionPlan, int]:
    plans = _plans()
    if not plans:
        raise NotFound
    plan = _plan_from(request, plans)
    if not plan.period_start <= year <= plan.period_end:
        raise NotFound
    return plan, year


@monitoring
def annual(request: HttpRequest, year: int) -> HttpResponse:
    """Show the consolidated annual report of a plan's year, as far as the user may see."""
    plan, year = _plan_year(request, year)
    summary = selectors.annual_summary(request.user, plan, year=year)
    return render(request, "actionplan/annual.html", {**exports.annual_context(summary), "plan": plan, "year": year})


@monitoring
def annual_export(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    """Download the consolidated annual report as XLSX or PDF."""
    plan, year = _plan_year(request, year)
    summary = selectors.annual_summary(request.user, plan, year=year)
    audit_record(
        actor=request.user,
        action="actionplan.annual.export",
        object_type="action_plan",
        object_id=plan.pk,
        detail={"year": year, "format": fmt},
    )
    name = f"annual-report-{plan.code}-{year}.{fmt}"
    if fmt == "xlsx":
        return _attachment(exports.annual_xlsx(summary), XLSX, name)
    return _attachment(exports.annual_pdf(summary), "application/pdf", name)


# --- Evaluation ------------------------------------------------------------------------------


@monitoring
def evaluation(request: HttpRequest) -> HttpResponse:
    """List a year's activities with their current rating; the Coordinator rates from here."""
    user = request.user
    plans = _plans()
    if not plans:
        return _no_plan(request)
    form = PlanYearForm(request.GET or None, plans=plans, plan=selectors.plan_current(plans))
    plan, year = form.chosen()
    current = {e.activity_id: e for e in selectors.evaluation_list(user, plan, year=year, current=True)}
    objectives = [
        {"objective": o, "activities": [{"activity": a, "evaluation": current.get(a.pk)} for a in o.activities.all()]}
        for o in selectors.objectives_for_year(plan, year)
    ]
    counts = dict.fromkeys(Rating.values, 0)
    for e in current.values():
        counts[e.rating] += 1
    return render(
        request,
        "actionplan/evaluation.html",
        {
            "form": form,
            "plan": plan,
            "year": year,
            "objectives": objectives,
            "counts": [(Rating(r).label, n, r) for r, n in counts.items()],
            "unrated": sum(len(o["activities"]) for o in objectives) - len(current),
            "coordinator": is_coordinator(user),
        },
    )


@monitoring
def evaluation_activity(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Show an activity's ratings for a year, newest first; the Coordinator adds a new one."""
    user = request.user
    activity = Activity.objects.select_related("plan", "objective").filter(pk=pk).first()
    if activity is None or not activity.plan.period_start <= year <= activity.plan.period_end:
        raise Http404
    coordinator = is_coordinator(user)
    form = EvaluationForm(request.POST or None) if coordinator else None
    if request.method == "POST" and form is None:
        raise Http404
    return form_page(
        request,
        form,
        lambda d: services.evaluation_record(actor=user, activity=activity, year=year, **d),
        success=_("Rating recorded; the earlier ones stay in the history."),
        done=f"{reverse('actionplan:evaluation')}?plan={activity.plan_id}&year={year}",
        template="actionplan/evaluation_activity.html",
        context=lambda: {
            "activity": activity,
            "plan": activity.plan,
            "tasks": [selectors.task_dict(t) for t in activity.tasks.prefetch_related("roles__institution")],
            "year": year,
            "history": [
                e for e in selectors.evaluation_list(user, activity.plan, year=year) if e.activity_id == activity.pk
            ],
            "form": form,
        },
        invalid_status=400,
    )


# --- Briefings -------------------------------------------------------------------------------


@coordinating
def briefing_list(request: HttpRequest) -> HttpResponse:
    """List the Coordinator's briefings, show which are due, and generate the next one."""
    user = request.user
    plans = _plans()
    if not plans:
        return _no_plan(request)
    plan = _plan_from(request, plans)
    today = timezone.localdate()
    form = BriefingForm(request.POST or None, plan=plan, initial=_briefing_initial(plan, today))

    def page() -> dict:
        page = Paginator(selectors.briefing_list(user, plan), PAGE_SIZE).get_page(request.GET.get("page"))
        for b in page.object_list:
            b.late = timezone.localdate(b.created_at) > b.due_on
        return {
            "plan": plan,
            "plans": plans,
            "form": form,
            "page": page,
            "reminders": selectors.briefing_reminders(user, plan, today=today),
            "council_due": services.council_next_due(plan),
            "today": today,
        }

    return form_page(
        request,
        form,
        lambda d: services.briefing_generate(actor=user, plan=plan, kind=d["kind"], year=d["year"], month=d["month"]),
        success=_("Briefing generated."),
        done=lambda briefing: redirect("actionplan:briefing_detail", pk=briefing.pk),
        template="actionplan/briefing_list.html",
        context=page,
        invalid_status=400,
    )


def _briefing_initial(plan: ActionPlan, today: dt.date) -> dict:
    last_month = (today.replace(day=1) - dt.timedelta(days=1)) if today > plan.starts_on else plan.starts_on
    if last_month > plan.ends_on:
        last_month = plan.ends_on
    return {"kind": BriefingKind.MINISTER, "year": last_month.year, "month": last_month.month}


@signed_in
def briefing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a briefing's text and the figures it was generated from."""
    briefing = selectors.briefing_get(request.user, pk)
    return render(request, "actionplan/briefing_detail.html", {"briefing": briefing, "content": briefing.content})
