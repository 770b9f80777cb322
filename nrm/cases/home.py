"""What case work puts on the home page: the Centre's cases to identify, services past their date."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts import access
from nrm.accounts.access import member_organisations
from nrm.accounts.choices import CASE_ROLES, Role
from nrm.accounts.models import User
from nrm.cases import selectors
from nrm.cases.access import can_screen
from nrm.cases.choices import CaseStatus, ServiceStatus
from nrm.referrals import selectors as referral_selectors
from nrm.referrals.choices import ReferralStatus
from nrm.web.home import ROWS, Block, register_home_blocks, register_home_context


def identifier_blocks(user: User, today: dt.date) -> list[Block]:
    """The Centre: cases waiting for an identification decision, with the days they have waited."""
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


register_home_blocks(50, lambda user, held: Role.IDENTIFIER in held, identifier_blocks)
register_home_blocks(60, lambda user, held: bool(held & {Role.CASEWORKER, Role.IDENTIFIER}), service_blocks)


def case_staff_context(user: User) -> dict:
    """The case worker's part of the home page: referrals to answer and overdue, open cases, screening."""
    if not access.has_role(user, *CASE_ROLES):
        return {"case_staff": False}
    inbox = referral_selectors.referral_inbox(user, status=ReferralStatus.SENT).order_by("due_on", "id")
    overdue = referral_selectors.referrals_overdue(user).order_by("due_on", "id")
    return {
        "case_staff": True,
        "inbox": list(inbox[:10]),
        "inbox_count": inbox.count(),
        "overdue": list(overdue[:10]),
        "overdue_count": overdue.count(),
        "open_cases": selectors.case_list(user, status=CaseStatus.OPEN).count(),
        "can_screen": can_screen(user),
        "my_orgs": set(member_organisations(user)),
    }


register_home_context(case_staff_context)
