"""Writes of strategy and action-plan monitoring: loading a plan, reports, evaluations, briefings.

Every service is keyword-only, runs in one transaction, checks access inside it, and writes its
audit row explicitly. Bad input raises ``ValidationError`` naming the field; a state that forbids
the step raises :class:`~nrm.core.errors.Conflict`; a report the actor may not touch is a
:class:`~nrm.core.errors.NotFound`, the same as a missing one. Nothing is stored on failure.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import PlanAction, actionplan_institution_ids, get_or_deny
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.actionplan import loading, metrics
from nrm.actionplan.choices import (
    EDITABLE_STATES,
    TRANSITIONS,
    BriefingKind,
    FundingSource,
    Progress,
    Rating,
    ReminderKind,
    ReportKind,
    ReportStatus,
    TaskRole,
)
from nrm.actionplan.due import Period, council_due_date, minister_due_date, months
from nrm.actionplan.models import (
    ActionPlan,
    Activity,
    Briefing,
    Evaluation,
    Indicator,
    IndicatorValue,
    Reminder,
    Report,
    ReportEntry,
    ReportTransition,
)
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import TEXT_MAX_LENGTH, check_text

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_FIXTURE = DATA / "rs_strategy_2017_2022.json"
SYSTEM = "system"


def _now() -> dt.datetime:
    return timezone.now()


def _local(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


# --- Loading a strategy and its action plan ---------------------------------------------------


@transaction.atomic
def load_plan(
    path: Path | str | None = None, *, institutions_path: Path | str | None = None, actor: User | None = None
) -> dict[str, int]:
    """Load a strategy, its action plan and budget tables from a JSON document; return counts.

    Idempotent: rows are matched by code and number and updated in place, so loading the same
    file twice changes nothing. All or nothing: a broken file raises ValidationError naming the
    part at fault and leaves the database as it was. Institutions become organisations through
    ``institutions_path`` (default: ``<file>.institutions.json`` beside the file, if any);
    without it they are matched to organisations by name and created when missing.
    """
    path = Path(path) if path else DEFAULT_FIXTURE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise invalid("path", _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from None
    loading.check_document(doc)
    map_path = Path(institutions_path) if institutions_path else path.with_name(f"{path.stem}.institutions.json")
    mapping = {}
    if institutions_path or map_path.exists():
        try:
            mapping = json.loads(map_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise invalid("institutions_path", str(exc)) from None
    return load_document(doc, mapping, actor=actor, name=path.name)


@transaction.atomic
def load_document(
    doc: dict, mapping: dict | None = None, *, actor: User | None = None, name: str = ""
) -> dict[str, int]:
    """Load a plan document already read (see :func:`load_plan`); ``doc["synthetic"]`` marks a demo's invention."""
    loading.check_document(doc)
    plan = loading.Loader(doc, mapping or {}).run()
    counts = loading.load_counts(plan)
    audit_record(
        actor=actor or SYSTEM,
        action="actionplan.load",
        object_type="action_plan",
        object_id=plan.pk,
        detail={"file": name, "synthetic": plan.is_synthetic, **counts},
    )
    return counts


# --- Reports ----------------------------------------------------------------------------------


def _require(actor: User, report: Report, action: str, audit_action: str) -> None:
    """Raise NotFound (audited) unless ``actor`` may ``action`` the report."""
    get_or_deny(
        Report.objects.only("pk"),
        actor,
        PlanAction(action),
        object_type="actionplan_report",
        audit_action=audit_action,
        pk=report.pk,
    )


def _period_field(kind: str) -> str:
    return "year" if kind == ReportKind.ANNUAL else "month"


def institution_activities(plan: ActionPlan, organisation: Organisation, period: Period) -> list[Activity]:
    """Return the activities ``organisation`` is responsible for whose deadline window covers ``period``."""
    return list(
        Activity.objects.filter(
            plan=plan,
            active_from__lte=period.end,
            active_until__gte=period.start,
            tasks__roles__role=TaskRole.RESPONSIBLE,
            tasks__roles__institution__organisation=organisation,
            tasks__roles__institution__reports=True,
        )
        .distinct()
        .order_by("objective__order", "order")
    )


@atomic_audited
def report_create(
    *,
    actor: User,
    plan: ActionPlan,
    institution: Organisation,
    kind: str = ReportKind.MONTHLY,
    year: int,
    month: int | None = None,
    today: dt.date | None = None,
) -> Report:
    """Open a draft report of ``institution`` for a month (or, ``kind="annual"``, a year).

    The report gets one entry for every activity the institution is responsible for whose
    deadline window covers the period; its due date follows the plan's calendar.
    """
    allowed = actionplan_institution_ids(actor, PlanAction.EDIT) or []
    if institution.pk not in allowed:
        raise invalid("institution", _("You cannot report for this institution."))
    if kind not in ReportKind.values:
        raise invalid("kind", _("“%(value)s” is not a valid choice.") % {"value": kind})
    field = _period_field(kind)
    if kind == ReportKind.MONTHLY:
        if month is None or not 1 <= month <= 12:
            raise invalid("month", _("Enter a month from 1 to 12."))
    elif month:
        raise invalid("month", _("An annual report covers a whole year; leave the month out."))
    period = Period(year, month or 0)
    if not plan.period_start <= year <= plan.period_end:
        raise invalid(
            "year",
            _("The plan runs from %(start)s to %(end)s.") % {"start": plan.period_start, "end": plan.period_end},
        )
    if period.start > (today or timezone.localdate()):
        raise invalid(field, _("The reporting period has not started yet."))
    activities = institution_activities(plan, institution, period)
    # A member of the monitoring body reports every month even with no task of its own (a summary).
    if not activities and institution.pk not in metrics.expected_institutions(plan, period):
        raise invalid("institution", _("This institution has no activity to report on in this period."))
    if Report.objects.filter(plan=plan, institution=institution, kind=kind, year=year, month=period.month).exists():
        raise invalid(field, _("A report for this period already exists."))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                plan=plan,
                institution=institution,
                kind=kind,
                year=year,
                month=period.month,
                due_on=period.due(plan),
                created_by=actor,
            )
    except IntegrityError:
        raise invalid(field, _("A report for this period already exists.")) from None
    ReportEntry.objects.bulk_create(
        [ReportEntry(report=report, activity=a, currency=plan.currency) for a in activities]
    )
    audit_record(
        actor=actor,
        action="actionplan.report.create",
        object_type="actionplan_report",
        object_id=report.pk,
        organisation_id=institution.pk,
        detail={"plan": plan.pk, "kind": kind, "period": period.label, "due_on": report.due_on.isoformat()},
    )
    return report


def _entry_changes(entry: ReportEntry, item: dict, where: str) -> tuple[list[str], dict[int, str]]:
    """Apply ``item`` to ``entry`` in memory; return the changed fields and the indicator values."""
    changed = []
    if "progress" in item:
        progress = item["progress"] or ""
        if progress and progress not in Progress.values:
            raise invalid(f"{where}.progress", _("“%(value)s” is not a valid choice.") % {"value": progress})
        entry.progress = progress
        changed.append("progress")
    for name in ("done", "problems"):
        if name in item:
            setattr(entry, name, check_text(f"{where}.{name}", item[name], TEXT_MAX_LENGTH))
            changed.append(name)
    if "money_spent" in item:
        entry.money_spent = loading.money(item["money_spent"], f"{where}.money_spent")
        changed.append("money_spent")
    if "currency" in item:
        currency = (item["currency"] or "").strip().upper()
        if currency and not (len(currency) == 3 and currency.isalpha()):
            raise invalid(f"{where}.currency", _("Use a three-letter ISO 4217 code, such as RSD or EUR."))
        entry.currency = currency
        changed.append("currency")
    if "funding_source" in item:
        source = item["funding_source"] or ""
        if source and source not in FundingSource.values:
            raise invalid(f"{where}.funding_source", _("“%(value)s” is not a valid choice.") % {"value": source})
        entry.funding_source = source
        changed.append("funding_source")
    if entry.money_spent and not entry.currency:
        raise invalid(f"{where}.currency", _("Give the currency of the money spent."))
    values: dict[int, str] = {}
    raw = item.get("indicators") or {}
    pairs = raw.items() if isinstance(raw, dict) else ((v.get("indicator"), v.get("value")) for v in raw)
    for key, value in pairs:
        try:
            pk = int(getattr(key, "pk", key))
        except (TypeError, ValueError):
            raise invalid(f"{where}.indicators", _("Name indicators by their id.")) from None
        # Written with bulk_create/bulk_update, which no save hook sees: checked here.
        values[pk] = check_text(f"{where}.indicators", "" if value is None else str(value), 300)
    return changed, values


@atomic_audited
def report_save_draft(
    *,
    actor: User,
    report: Report,
    expected_version: int,
    summary: str | None = None,
    entries: Iterable[dict] | None = None,
) -> Report:
    """Save the institution's work on a draft (or returned) report.

    ``entries`` are dicts naming an ``activity`` (object or id) with any of ``progress``,
    ``done``, ``money_spent``, ``currency``, ``funding_source``, ``problems`` and
    ``indicators`` (``{indicator id: value}``; an empty value removes it).
    """
    _require(actor, report, PlanAction.EDIT, "actionplan.report.save")
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.version != expected_version:
        raise Conflict(_("This record was changed by someone else. Reload it and apply your change again."))
    if report.status not in EDITABLE_STATES:
        raise Conflict(
            _("This report is %(status)s; it can no longer be changed.")
            % {"status": ReportStatus(report.status).label.lower()},
            field="status",
        )
    by_activity = {e.activity_id: e for e in report.entries.select_related("activity")}
    indicators_of: dict[int, set[int]] = {}
    for pk, activity_id in Indicator.objects.filter(activity__in=list(by_activity)).values_list("pk", "activity_id"):
        indicators_of.setdefault(activity_id, set()).add(pk)
    stored = {(v.entry_id, v.indicator_id): v for v in IndicatorValue.objects.filter(entry__report=report)}
    to_create, to_update, to_delete = [], [], []
    changed_entries = []
    for i, item in enumerate(entries or []):
        activity = item.get("activity")
        entry = by_activity.get(getattr(activity, "pk", activity))
        if entry is None:
            raise invalid(f"entries[{i}].activity", _("This activity is not part of the report."))
        where = f"entries[{entry.activity.number}]"
        fields, values = _entry_changes(entry, item, where)
        if set(values) - indicators_of.get(entry.activity_id, set()):
            raise invalid(f"{where}.indicators", _("This indicator does not belong to the activity."))
        if fields:
            entry.save(update_fields=fields)
        for indicator_id, value in values.items():
            current = stored.get((entry.pk, indicator_id))
            if value and current is None:
                to_create.append(IndicatorValue(entry=entry, indicator_id=indicator_id, value=value))
            elif value and current.value != value:
                current.value = value
                to_update.append(current)
            elif not value and current is not None:
                to_delete.append(current.pk)
        changed_entries.append(entry.activity.number)
    IndicatorValue.objects.bulk_create(to_create)
    IndicatorValue.objects.bulk_update(to_update, ["value"])
    IndicatorValue.objects.filter(pk__in=to_delete).delete()
    fields = ["updated_at"]
    report.updated_at = _now()
    if summary is not None:
        report.summary = check_text("summary", summary, TEXT_MAX_LENGTH)
        fields.append("summary")
    save_versioned(report, expected_version=expected_version, fields=fields)
    audit_record(
        actor=actor,
        action="actionplan.report.save",
        object_type="actionplan_report",
        object_id=report.pk,
        organisation_id=report.institution_id,
        detail={"entries": changed_entries},
    )
    return report


def _move(
    *, actor: User, report: Report, to_status: str, expected_version: int, at: dt.datetime, note: str, fields: list[str]
) -> Report:
    old = report.status
    report.status = to_status
    report.updated_at = at
    save_versioned(report, expected_version=expected_version, fields=["status", "updated_at", *fields])
    ReportTransition.objects.create(report=report, from_status=old, to_status=to_status, actor=actor, at=at, note=note)
    audit_record(
        actor=actor,
        action=f"actionplan.report.{to_status}",
        object_type="actionplan_report",
        object_id=report.pk,
        organisation_id=report.institution_id,
        reason=note[:200],
        detail={"from": old, "to": to_status, "period": report.period.label, "late": report.is_late},
    )
    return report


def _check_transition(report: Report, to_status: str) -> None:
    if (report.status, to_status) not in TRANSITIONS:
        verbs = {
            ReportStatus.SUBMITTED: _("submitted"),
            ReportStatus.RETURNED: _("returned"),
            ReportStatus.ACCEPTED: _("accepted"),
        }
        raise Conflict(
            _("This report is %(status)s; it cannot be %(verb)s.")
            % {"status": ReportStatus(report.status).label.lower(), "verb": verbs[to_status]},
            field="status",
        )


@atomic_audited
def report_submit(*, actor: User, report: Report, expected_version: int, at: dt.datetime | None = None) -> Report:
    """Submit a draft or corrected report to the Coordinator.

    The first submission fixes whether the report is late (submitted after its due date). A
    late report is accepted like any other and stays recorded as late.
    """
    _require(actor, report, PlanAction.EDIT, "actionplan.report.submitted")
    report = Report.objects.select_for_update().get(pk=report.pk)
    _check_transition(report, ReportStatus.SUBMITTED)
    at = at or _now()
    if _local(at) < report.period.end:
        raise invalid(_period_field(report.kind), _("The reporting period has not ended yet."))
    missing = list(
        report.entries.filter(progress="")
        .order_by("activity__objective__order", "activity__order")
        .values_list("activity__number", flat=True)
    )
    if missing:
        raise invalid(
            f"entries[{missing[0]}].progress",
            _("Give the progress of every activity before submitting: %(list)s") % {"list": ", ".join(missing)},
        )
    fields = ["submitted_at", "submitted_by"]
    if report.first_submitted_at is None:
        report.first_submitted_at = at
        report.is_late = _local(at) > report.due_on
        fields += ["first_submitted_at", "is_late"]
    report.submitted_at, report.submitted_by = at, actor
    return _move(
        actor=actor,
        report=report,
        to_status=ReportStatus.SUBMITTED,
        expected_version=expected_version,
        at=at,
        note=_("late") if report.is_late else "",
        fields=fields,
    )


@atomic_audited
def report_save_and_submit(
    *,
    actor: User,
    report: Report,
    expected_version: int,
    summary: str | None = None,
    entries: Iterable[dict] | None = None,
    at: dt.datetime | None = None,
) -> Report:
    """Save the institution's last changes and submit the report, all or nothing.

    If the report cannot be submitted (an activity without progress, a period not over), the
    changes are not saved either, so the form can be corrected and sent again as it was.
    """
    report = report_save_draft(
        actor=actor, report=report, expected_version=expected_version, summary=summary, entries=entries
    )
    return report_submit(actor=actor, report=report, expected_version=report.version, at=at)


@atomic_audited
def report_return(
    *, actor: User, report: Report, expected_version: int, reason: str, at: dt.datetime | None = None
) -> Report:
    """Return a submitted report to its institution for correction, saying what to correct."""
    _require(actor, report, PlanAction.REVIEW, "actionplan.report.returned")
    report = Report.objects.select_for_update().get(pk=report.pk)
    _check_transition(report, ReportStatus.RETURNED)
    reason = check_text("reason", reason, TEXT_MAX_LENGTH)
    if not reason:
        raise invalid("reason", _("Say what the institution should correct."))
    at = at or _now()
    report.reviewed_at, report.reviewed_by, report.review_note = at, actor, reason
    return _move(
        actor=actor,
        report=report,
        to_status=ReportStatus.RETURNED,
        expected_version=expected_version,
        at=at,
        note=reason,
        fields=["reviewed_at", "reviewed_by", "review_note"],
    )


@atomic_audited
def report_accept(
    *, actor: User, report: Report, expected_version: int, note: str = "", at: dt.datetime | None = None
) -> Report:
    """Accept a submitted report, on time or late."""
    _require(actor, report, PlanAction.REVIEW, "actionplan.report.accepted")
    report = Report.objects.select_for_update().get(pk=report.pk)
    _check_transition(report, ReportStatus.ACCEPTED)
    at = at or _now()
    report.reviewed_at, report.reviewed_by, report.review_note = at, actor, check_text("note", note, TEXT_MAX_LENGTH)
    return _move(
        actor=actor,
        report=report,
        to_status=ReportStatus.ACCEPTED,
        expected_version=expected_version,
        at=at,
        note=report.review_note,
        fields=["reviewed_at", "reviewed_by", "review_note"],
    )


# --- Evaluation and the Coordinator's briefings ------------------------------------------------


def _require_coordinator(actor: User, audit_action: str, object_type: str, object_id: object) -> None:
    if actionplan_institution_ids(actor, PlanAction.REVIEW) is not None:
        raise denied(actor=actor, action=audit_action, object_type=object_type, object_id=object_id)


@atomic_audited
def evaluation_record(
    *, actor: User, activity: Activity, year: int, rating: str, comments: str = "", at: dt.datetime | None = None
) -> Evaluation:
    """Rate an activity for a year: completed, partially completed or not completed.

    A new rating never overwrites an old one; the newest is current and the rest is history.
    Anything short of completed needs a comment saying what is missing.
    """
    _require_coordinator(actor, "actionplan.evaluate", "activity", activity.pk)
    plan = activity.plan
    if rating not in Rating.values:
        raise invalid("rating", _("“%(value)s” is not a valid choice.") % {"value": rating})
    at = at or _now()
    if not plan.period_start <= year <= plan.period_end:
        raise invalid(
            "year",
            _("The plan runs from %(start)s to %(end)s.") % {"start": plan.period_start, "end": plan.period_end},
        )
    if year > _local(at).year:
        raise invalid("year", _("The year has not started yet."))
    comments = check_text("comments", comments, TEXT_MAX_LENGTH)
    if rating != Rating.COMPLETED and not comments:
        raise invalid("comments", _("Say what is missing and which measures are needed."))
    evaluation = Evaluation.objects.create(
        plan=plan, activity=activity, year=year, rating=rating, comments=comments, evaluated_by=actor, evaluated_at=at
    )
    audit_record(
        actor=actor,
        action="actionplan.evaluate",
        object_type="activity",
        object_id=activity.pk,
        detail={"year": year, "rating": rating, "evaluation": evaluation.pk},
    )
    return evaluation


def council_next_due(plan: ActionPlan) -> dt.date:
    """Return when the next note to the Council is due: ``council_interval_days`` after the last."""
    last = plan.briefings.filter(kind=BriefingKind.COUNCIL).order_by("-created_at").first()
    since = _local(last.created_at) if last else plan.starts_on
    return council_due_date(since, interval_days=plan.council_interval_days)


def _briefing_text(plan: ActionPlan, kind: str, start: dt.date, end: dt.date, content: dict) -> str:
    rates = content["rates"]
    head = (
        _("Information to the Minister on the implementation of %(plan)s, %(start)s to %(end)s")
        if kind == BriefingKind.MINISTER
        else _("Note to the Council on the implementation of %(plan)s, %(start)s to %(end)s")
    ) % {"plan": plan.title, "start": start.isoformat(), "end": end.isoformat()}
    lines = [
        head,
        "",
        _("Reports received: %(received)s of %(expected)s expected (%(completeness)s%%), %(on_time)s on time.")
        % {k: ("-" if rates[k] is None else rates[k]) for k in ("received", "expected", "completeness", "on_time")},
    ]
    if content["late"]:
        lines.append(
            _("Late: %(list)s") % {"list": "; ".join(f"{r['institution']} ({r['period']})" for r in content["late"])}
        )
    if content["missing"]:
        lines.append(
            _("Missing: %(list)s")
            % {"list": "; ".join(f"{r['institution']} ({r['period']})" for r in content["missing"])}
        )
    lines += ["", _("Activities:")]
    for a in content["activities"]:
        progress = ", ".join(f"{n} {Progress(k).label.lower()}" for k, n in a["progress"].items())
        lines.append(f"  {a['number']} {a['title']}: {progress or _('no report')}")
        for p in a["problems"]:
            lines.append(f"    - {p['institution']} ({p['period']}): {p['text']}")
    if content["spent"]:
        lines += [
            "",
            _("Money spent: %(list)s")
            % {"list": ", ".join(f"{s['amount']} {s['currency']}" for s in content["spent"])},
        ]
    return "\n".join(lines)


@atomic_audited
def briefing_generate(
    *,
    actor: User,
    plan: ActionPlan,
    kind: str,
    year: int | None = None,
    month: int | None = None,
    at: dt.datetime | None = None,
) -> Briefing:
    """Generate the Coordinator's information from the reports received.

    ``kind="minister"``: the monthly information on ``month`` of ``year``, once the month is
    over. ``kind="council"``: the note covering every month since the previous note.
    """
    _require_coordinator(actor, "actionplan.briefing", "action_plan", plan.pk)
    at = at or _now()
    today = _local(at)
    if kind == BriefingKind.MINISTER:
        if not year or not month or not 1 <= month <= 12:
            raise invalid("month", _("Choose the month the information is about."))
        period = Period(year, month)
        if period.end >= today:
            raise invalid("month", _("The month is not over yet."))
        start, end, due = period.start, period.end, minister_due_date(year, month)
    elif kind == BriefingKind.COUNCIL:
        last = plan.briefings.filter(kind=BriefingKind.COUNCIL).order_by("-period_end").first()
        start = last.period_end + dt.timedelta(days=1) if last else plan.starts_on
        end = today - dt.timedelta(days=1)
        due = council_next_due(plan)
        if start > end:
            raise invalid("kind", _("The previous note already covers everything up to today."))
    else:
        raise invalid("kind", _("“%(value)s” is not a valid choice.") % {"value": kind})
    periods = [p for p in months(start, end) if p.end <= end and plan.starts_on <= p.start <= plan.ends_on]
    content = metrics.briefing_content(plan, periods)
    content["period"] = {"start": start.isoformat(), "end": end.isoformat()}
    briefing = Briefing.objects.create(
        plan=plan,
        kind=kind,
        period_start=start,
        period_end=end,
        due_on=due,
        content=content,
        text=_briefing_text(plan, kind, start, end, content),
        created_by=actor,
        created_at=at,
    )
    audit_record(
        actor=actor,
        action="actionplan.briefing",
        object_type="action_plan",
        object_id=plan.pk,
        detail={"briefing": briefing.pk, "kind": kind, "start": start.isoformat(), "end": end.isoformat()},
    )
    return briefing


# --- Reminders --------------------------------------------------------------------------------


def _recipients(organisation_ids: Iterable[int], role: str) -> dict[int, list[str]]:
    """Return the e-mail addresses of each organisation's active members in ``role``."""
    out: dict[int, list[str]] = {}
    rows = (
        Membership.objects.filter(
            organisation__in=list(organisation_ids), role=role, is_active=True, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("organisation_id", "user__email")
        .order_by("organisation_id", "user__email")
    )
    for org, email in rows:
        out.setdefault(org, []).append(email)
    return out


def reminders_send(
    *, today: dt.date | None = None, days_ahead: int = 3, overdue_days: int = 31, every_days: int = 7
) -> dict[str, int]:
    """E-mail reminders about reports and briefings that are due soon or overdue; return counts.

    A reporting focal point hears about its institution's report ``days_ahead`` days before the
    due date, and while the report is missing, again every ``every_days`` days for up to
    ``overdue_days`` days. The Coordinator's office hears the same about the monthly information
    to the Minister and the note to the Council. Reminders go through Django's e-mail backend;
    each one is logged, so running this twice a day sends nothing twice.
    """
    today = today or timezone.localdate()
    lo, hi = today - dt.timedelta(days=overdue_days), today + dt.timedelta(days=days_ahead)
    counts = {"reports": 0, "minister": 0, "council": 0, "no_recipient": 0, "already_sent": 0}
    connection = get_connection()
    for plan in ActionPlan.objects.all():
        subjects: list[tuple[str, int, Period | None, dt.date, str]] = []
        periods = months(plan.starts_on, plan.ends_on) + [
            Period(y) for y in range(plan.period_start, plan.period_end + 1)
        ]
        due_soon = [p for p in periods if lo <= p.due(plan) <= hi]
        for cell in metrics.reporting_cells(plan, due_soon):
            if cell.expected and not cell.received:
                subjects.append((ReminderKind.REPORT, cell.organisation_id, cell.period, cell.due_on, cell.institution))
        coordinators = list(
            Membership.objects.filter(
                role=Role.COORDINATOR, is_active=True, user__is_active=True, organisation__is_active=True
            )
            .values_list("organisation_id", flat=True)
            .distinct()
        )
        briefed = set(plan.briefings.filter(kind=BriefingKind.MINISTER).values_list("period_start", flat=True))
        for p in months(plan.starts_on, plan.ends_on):
            due = minister_due_date(p.year, p.month)
            if lo <= due <= hi and p.start not in briefed:
                subjects += [(ReminderKind.MINISTER, org, p, due, "") for org in coordinators]
        council_due = council_next_due(plan)
        if lo <= council_due <= hi and council_due <= plan.ends_on + dt.timedelta(days=plan.council_interval_days):
            subjects += [(ReminderKind.COUNCIL, org, None, council_due, "") for org in coordinators]
        role_of = {ReminderKind.REPORT: Role.REPORTER}
        emails = {
            Role.REPORTER: _recipients({s[1] for s in subjects if s[0] == ReminderKind.REPORT}, Role.REPORTER),
            Role.COORDINATOR: _recipients(coordinators, Role.COORDINATOR),
        }
        for kind, org_id, period, due, name in subjects:
            label = period.label if period else due.isoformat()
            recent = Reminder.objects.filter(
                plan=plan,
                kind=kind,
                organisation_id=org_id,
                period=label,
                sent_on__gt=today - dt.timedelta(days=every_days),
            )
            if recent.exists():
                counts["already_sent"] += 1
                continue
            to = emails[role_of.get(kind, Role.COORDINATOR)].get(org_id) or list(
                filter(None, Organisation.objects.filter(pk=org_id).values_list("email", flat=True))
            )
            if not to:
                counts["no_recipient"] += 1
                continue
            subject, body = _reminder_text(plan, kind, period, due, today, name)
            with transaction.atomic():
                Reminder.objects.create(
                    plan=plan, kind=kind, organisation_id=org_id, period=label, due_on=due, sent_on=today, recipients=to
                )
                audit_record(
                    actor=SYSTEM,
                    action="actionplan.reminder",
                    object_type="action_plan",
                    object_id=plan.pk,
                    organisation_id=org_id,
                    detail={"kind": kind, "period": label, "due_on": due.isoformat(), "recipients": len(to)},
                )
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to, connection=connection).send()
            counts["reports" if kind == ReminderKind.REPORT else kind] += 1
    return counts


def _reminder_text(
    plan: ActionPlan, kind: str, period: Period | None, due: dt.date, today: dt.date, institution: str
) -> tuple[str, str]:
    when = (
        _("was due on %(date)s") % {"date": due.isoformat()}
        if due < today
        else _("is due on %(date)s") % {"date": due.isoformat()}
    )
    if kind == ReminderKind.REPORT:
        what = (
            _("The annual report for %(period)s")
            if period and period.month == 0
            else _("The monthly report for %(period)s")
        ) % {"period": period.label if period else ""}
        subject = _("NRM: %(what)s %(when)s") % {"what": what, "when": when}
        body = _(
            "%(what)s of %(institution)s on the %(plan)s %(when)s. Please fill it in and submit it in NRM. "
            "Late reports are accepted and recorded as late."
        ) % {"what": what, "institution": institution, "plan": plan.title, "when": when}
    elif kind == ReminderKind.MINISTER:
        what = _("The information to the Minister on %(period)s") % {"period": period.label if period else ""}
        subject = _("NRM: %(what)s %(when)s") % {"what": what, "when": when}
        body = _("%(what)s %(when)s. Generate it in NRM from the reports received.") % {"what": what, "when": when}
    else:
        what = _("The next note to the Council")
        subject = _("NRM: %(what)s %(when)s") % {"what": what, "when": when}
        body = _("%(what)s on the %(plan)s %(when)s; the Council is informed at least every %(days)s days.") % {
            "what": what,
            "plan": plan.title,
            "when": when,
            "days": plan.council_interval_days,
        }
    return subject, body
