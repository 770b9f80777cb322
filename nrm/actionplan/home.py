"""What the action plan puts on the home page: the Coordinator's reports to review, overdue reports
and briefings due; a focal point's reports due, overdue and returned."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.actionplan import selectors
from nrm.actionplan.choices import BriefingKind, ReportStatus
from nrm.actionplan.views import period_label
from nrm.web.home import ROWS, Block, register_home_blocks


def _plan():
    return selectors.plan_current()


def _cell_row(cell, today: dt.date) -> dict:

    return {
        "label": f"{cell.institution}: {period_label(cell.period)}",
        "due_on": cell.due_on,
        "days": (today - cell.due_on).days,
        "url": reverse("actionplan:report_detail", args=[cell.report_id]) if cell.report_id else "",
    }


def coordinator_blocks(user: User, today: dt.date) -> list[Block]:
    """Reports to review, overdue reports, briefings due."""
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
    return out


def reporter_blocks(user: User, today: dt.date) -> list[Block]:
    """A focal point's reports: due soon, overdue, returned for correction."""
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


register_home_blocks(10, lambda user, held: Role.COORDINATOR in held, coordinator_blocks)
register_home_blocks(30, lambda user, held: Role.REPORTER in held, reporter_blocks)
