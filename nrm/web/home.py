"""What waits for each role on the home page, read through each app's own selectors.

Every block is built only for the roles it concerns and starts from the app's selector, so the
access rule narrows it as it narrows the app's own pages; each block links to the page where the
work is done. A block counts with one query and lists a few rows, so the home stays fast
whatever the size of the data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts import access
from nrm.accounts.choices import CASE_ROLES, Role
from nrm.accounts.models import User

ROWS = 10  # rows listed in a block; the count tells how many there are


@dataclass
class Block:
    """One thing waiting for the user: a count, a few rows, and the page where the work is done."""

    key: str
    title: str
    count: int | None
    url: str
    link: str
    rows: list[dict] = field(default_factory=list)
    warn: bool = False
    empty: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def blocks_for(user: User, *, today: dt.date | None = None) -> list[Block]:
    """Return the blocks of work waiting for ``user``, for each role they hold, in a fixed order."""
    today = today or timezone.localdate()
    held = access.roles(user)
    out: list[Block] = []
    if Role.COORDINATOR in held:
        out += coordinator_blocks(user, today)
    if Role.REPORTER in held:
        out += reporter_blocks(user, today)
    if held & CASE_ROLES:
        out += task_blocks(user, today)
    if Role.IDENTIFIER in held:
        out += identifier_blocks(user, today)
    if held & {Role.CASEWORKER, Role.IDENTIFIER}:
        out += service_blocks(user, today) + ground_review_blocks(user, today)
    if access.works_at_helpline(user):
        out += helpline_blocks(user)
    if Role.ANALYST in held:
        out += analyst_blocks(user, today)
    if Role.ADMIN in held:
        out += admin_blocks(user)
    return out


# --- The Coordinator's office and the focal points: the action plan ---------------------------


def _plan():
    from nrm.actionplan import selectors

    return selectors.plan_current()


def _cell_row(cell, today: dt.date) -> dict:
    from nrm.actionplan.views import period_label

    return {
        "label": f"{cell.institution}: {period_label(cell.period)}",
        "due_on": cell.due_on,
        "days": (today - cell.due_on).days,
        "url": reverse("actionplan:report_detail", args=[cell.report_id]) if cell.report_id else "",
    }


def coordinator_blocks(user: User, today: dt.date) -> list[Block]:
    """Reports to review, overdue reports, briefings due, open alerts by level."""
    from nrm.actionplan import selectors
    from nrm.actionplan.choices import BriefingKind, ReportStatus
    from nrm.actionplan.views import period_label

    out = []
    plan = _plan()
    if plan is not None:
        submitted = selectors.report_list(user, plan=plan, status=ReportStatus.SUBMITTED).order_by("submitted_at", "pk")
        out.append(
            Block(
                "review",
                _("Reports to review"),
                submitted.count(),
                reverse("actionplan:report_list") + f"?plan={plan.pk}&status={ReportStatus.SUBMITTED}",
                _("All reports to review"),
                rows=[
                    {
                        "label": f"{r.institution.name}: {period_label(r.period)}",
                        "url": reverse("actionplan:report_detail", args=[r.pk]),
                        "status": _("submitted %(date)s")
                        % {"date": timezone.localtime(r.submitted_at).date().isoformat() if r.submitted_at else "—"},
                    }
                    for r in submitted[:ROWS]
                ],
                empty=_("No report is waiting for your review."),
            )
        )
        overdue = selectors.overdue_list(user, plan, today=today)
        out.append(
            Block(
                "overdue_reports",
                _("Overdue reports"),
                len(overdue),
                reverse("actionplan:dashboard") + f"?plan={plan.pk}#overdue",
                _("Monitoring dashboard"),
                rows=[_cell_row(c, today) for c in overdue[:ROWS]],
                warn=bool(overdue),
                empty=_("No report is overdue."),
            )
        )
        reminders = selectors.briefing_reminders(user, plan, today=today)
        out.append(
            Block(
                "briefings",
                _("Briefings due"),
                len(reminders),
                reverse("actionplan:briefing_list") + f"?plan={plan.pk}",
                _("Briefings"),
                rows=[
                    {
                        "label": (
                            _("Information to the Minister: %(period)s") % {"period": period_label(b["period"])}
                            if b["kind"] == BriefingKind.MINISTER
                            else _("Note to the Council")
                        ),
                        "due_on": b["due_on"],
                        "overdue": b["overdue"],
                    }
                    for b in reminders
                ],
                warn=any(b["overdue"] for b in reminders),
                empty=_("No briefing is due in the next seven days."),
            )
        )
    out.append(alert_block(user))
    return out


def alert_block(user: User) -> Block:
    """Open alerts (open or acknowledged) by risk level, highest first."""
    from nrm.earlywarning import selectors
    from nrm.earlywarning.choices import ACTIVE_ALERT_STATES, RiskLevel, risk_level

    scores = selectors.alert_list(user).filter(status__in=ACTIVE_ALERT_STATES).values_list("score", flat=True)
    levels = Counter(risk_level(s) for s in scores)
    rows = [
        {"label": str(label), "count": levels[value], "level": value}
        for value, label in reversed(RiskLevel.choices)
        if levels[value]
    ]
    return Block(
        "alerts",
        _("Open early-warning alerts"),
        sum(levels.values()),
        reverse("earlywarning:alert_list") + "?status=open",
        _("Alerts"),
        rows=rows,
        warn=bool(levels[RiskLevel.HIGH] or levels[RiskLevel.VERY_HIGH]),
        empty=_("No alert is open."),
    )


def reporter_blocks(user: User, today: dt.date) -> list[Block]:
    """A focal point's reports: due soon, overdue, returned for correction."""
    from nrm.actionplan import selectors
    from nrm.actionplan.choices import ReportStatus
    from nrm.actionplan.views import period_label

    plan = _plan()
    if plan is None:
        return []
    reports = reverse("actionplan:report_list") + f"?plan={plan.pk}"
    due = selectors.reports_due(user, plan, today=today)
    overdue = selectors.overdue_list(user, plan, today=today)
    returned = selectors.report_list(user, plan=plan, status=ReportStatus.RETURNED)
    return [
        Block(
            "reports_due",
            _("Reports due"),
            len(due),
            reports,
            _("My reports"),
            rows=[_cell_row(c, today) for c in due[:ROWS]],
            empty=_("No report falls due in the next month."),
        ),
        Block(
            "my_overdue",
            _("Overdue reports"),
            len(overdue),
            reports,
            _("My reports"),
            rows=[_cell_row(c, today) for c in overdue[:ROWS]],
            warn=bool(overdue),
            empty=_("No report is overdue."),
        ),
        Block(
            "returned",
            _("Reports returned for correction"),
            returned.count(),
            reports + f"&status={ReportStatus.RETURNED}",
            _("Returned reports"),
            rows=[
                {
                    "label": f"{r.institution.name}: {period_label(r.period)}",
                    "url": reverse("actionplan:report_edit", args=[r.pk]),
                }
                for r in returned[:ROWS]
            ],
            warn=returned.exists(),
            empty=_("No report was returned to you."),
        ),
    ]


# --- Case work ----------------------------------------------------------------------------------


def task_blocks(user: User, today: dt.date) -> list[Block]:
    """The user's open tasks (theirs, or their organisation's and nobody's), overdue first."""
    from nrm.tasks import selectors

    tasks = selectors.my_tasks(user)
    rows = [
        {
            "label": f"{t.case.reference}: {t.get_kind_display()}",
            "url": reverse("tasks:task_detail", args=[t.pk]),
            "due_on": t.due_on,
            "days": (today - t.due_on).days,
        }
        for t in tasks[:ROWS]
    ]
    count = tasks.count()
    overdue = tasks.filter(due_on__lt=today).exists() if count else False
    return [
        Block(
            "tasks",
            _("My open tasks"),
            count,
            reverse("tasks:task_list"),
            _("My tasks"),
            rows=rows,
            warn=overdue,
            empty=_("No open task."),
        )
    ]


def identifier_blocks(user: User, today: dt.date) -> list[Block]:
    """The Centre: cases waiting for an identification decision, with the days they have waited."""
    from nrm.cases import selectors

    waiting = selectors.cases_to_identify(user).order_by("waiting_since", "opened_on", "id")
    rows = []
    for case in waiting[:ROWS]:
        since = case.waiting_since or case.opened_on
        rows.append(
            {
                "label": case.reference,
                "url": reverse("web:case_detail", args=[case.pk]),
                "owner": case.owner.name,
                "since": since,
                "days": (today - since).days,
                "is_child": case.is_child,
            }
        )
    count = waiting.count()
    return [
        Block(
            "identify",
            _("Cases to identify"),
            count,
            reverse("web:case_list") + "?status=open",
            _("Cases"),
            rows=rows,
            empty=_("No case is waiting for a decision."),
        )
    ]


def service_blocks(user: User, today: dt.date) -> list[Block]:
    """Services the user's organisations deliver that are past their date."""
    from nrm.cases import selectors
    from nrm.cases.choices import ServiceStatus

    late = selectors.services_due(user, today=today)
    rows = []
    for s in late[:ROWS]:
        date = s.started_on if s.status == ServiceStatus.PLANNED else s.ended_on
        rows.append(
            {
                "label": f"{s.case.reference}: {s.service_type.name}",
                "url": reverse("web:service_edit", args=[s.case_id, s.pk]),
                "status": s.get_status_display(),
                "due_on": date,
                "days": (today - date).days,
            }
        )
    count = late.count()
    return [
        Block(
            "services",
            _("Services past their date"),
            count,
            reverse("web:case_list") + "?status=open",
            _("Open cases"),
            rows=rows,
            warn=bool(count),
            empty=_("No service is past its date."),
            note=_("Planned services whose start date has passed, and services in progress past their end date."),
        )
    ]


def ground_review_blocks(user: User, today: dt.date) -> list[Block]:
    """The owner's case workers: referrals of their cases sent without consent, waiting for review.

    Shown only while some wait: most organisations rarely refer without consent.
    """
    from nrm.referrals import selectors

    pending = selectors.legal_grounds_to_review(user)
    count = pending.count()
    if not count:
        return []
    rows = [
        {
            "label": f"{r.case.reference}: {r.get_legal_ground_display()}",
            "url": reverse("web:legal_grounds") + f"#ground-{r.pk}",
            "status": r.to_org.name,
        }
        for r in pending[:ROWS]
    ]
    return [
        Block(
            "ground_review",
            _("Referrals without consent to review"),
            count,
            reverse("web:legal_grounds"),
            _("Review them"),
            rows=rows,
            warn=True,
            note=_("Sent on a legal ground instead of the person's consent: record whether each ground was justified."),
        )
    ]


def helpline_blocks(user: User) -> list[Block]:
    """The helpline's calls not turned into a screening."""
    from nrm.helpline import selectors

    calls = selectors.call_list(user, converted="0")
    return [
        Block(
            "calls",
            _("Helpline calls without a screening"),
            calls.count(),
            reverse("helpline:call_list") + "?converted=0",
            _("Helpline calls"),
            empty=_("Every call that needed a screening has one."),
        )
    ]


# --- Statistics and administration --------------------------------------------------------------


def analyst_blocks(user: User, today: dt.date) -> list[Block]:
    """New data since the last publication of statistics: cases and screenings added or changed, new data sets.

    Counts only, from :func:`nrm.reporting.selectors.new_since_publication`; the block says when
    and what was last published, or that nothing has been published yet.
    """
    from nrm.reporting import selectors

    new = selectors.new_since_publication(user)
    if new is None:
        return []
    since = new.since or (timezone.now() - dt.timedelta(days=30))
    datasets = [d for d in selectors.dataset_list(user) if d["imported_at"] and d["imported_at"] >= since]
    if new.last is None:
        note = _("No statistics have been published yet: everything recorded so far is new.")
    else:
        note = _("Since the last publication, on %(date)s (%(years)s, threshold %(threshold)s).") % {
            "date": timezone.localtime(new.last.published_at).strftime("%Y-%m-%d %H:%M"),
            "years": new.last.years,
            "threshold": new.last.threshold,
        }
    return [
        Block(
            "new_data",
            _("New data since the last publication"),
            None,
            reverse("reporting:publications"),
            _("Publications of statistics"),
            rows=[{"label": r.label, "value": r.display()} for r in new.rows],
            note=note,
            extra={"last": new.last, "datasets": datasets, "suppressed": new.suppressed, "marker": _marker()},
        )
    ]


def _marker() -> str:
    from nrm.reporting.engine import MARKER

    return MARKER


def admin_blocks(user: User) -> list[Block]:
    """Users, locked accounts, inactive memberships: the administration's overview."""
    from nrm.accounts import selectors

    overview = selectors.administration_overview(user)
    locked = overview["locked"]
    return [
        Block(
            "users",
            _("Active users"),
            overview["users"],
            reverse("administration:user_list"),
            _("Users"),
            empty="",
        ),
        Block(
            "locked",
            _("Locked accounts"),
            len(locked),
            reverse("administration:user_list") + "?locked=1",
            _("Locked accounts"),
            rows=[
                {"label": name, "url": reverse("administration:user_detail", args=[pk]) if pk else ""}
                for name, pk in locked[:ROWS]
            ],
            warn=bool(locked),
            empty=_("No account is locked."),
        ),
        Block(
            "inactive_memberships",
            _("Inactive memberships"),
            overview["inactive_memberships"],
            reverse("administration:user_list") + "?inactive=1",
            _("Users"),
            empty=_("No membership is inactive."),
        ),
    ]
