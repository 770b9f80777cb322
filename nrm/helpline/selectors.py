"""Reads of helpline calls and their statistics, starting from the access rule.

A helpline's staff see their organisation's calls; coordinators and analysts see only the
national tables of the statistics engine (:func:`national_statistics`, with disclosure control);
a helpline's staff see their own helpline's figures as they are (:func:`call_statistics`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    Action,
    get_or_deny,
    helpline_organisations,
    reads_national_statistics,
    restrict,
    unrestricted,
)
from nrm.accounts.models import User
from nrm.audit.services import audit_record, audited_read
from nrm.helpline.models import Call
from nrm.reporting.engine import StatTable


def call_list(
    user: User, *, month: str = "", channel: str = "", topic: str = "", converted: str = ""
) -> QuerySet[Call]:
    """Return the calls of ``user``'s helplines, filtered (``month`` as YYYY-MM); notes are not read."""
    qs = (
        restrict(Call.objects.all(), user, Action.VIEW)
        .select_related("topic", "organisation", "referred_to")
        .defer("notes")
    )
    if month:
        try:
            start = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            start = None
        if start is not None:
            qs = qs.filter(received_at__year=start.year, received_at__month=start.month)
    if channel:
        qs = qs.filter(channel=channel)
    if topic:
        qs = qs.filter(topic__code=topic)
    if converted in ("1", "0"):
        qs = qs.filter(screening__isnull=converted == "0")
    return qs.order_by("-received_at", "-id")


@audited_read
def call_get(user: User, pk: int) -> Call:
    """Return one call of ``user``'s helplines with its notes, audited; anything else is NotFound."""
    call = get_or_deny(
        Call.objects.select_related("topic", "organisation", "referred_to", "screening"),
        user,
        Action.VIEW,
        object_type="helpline_call",
        audit_action="helpline.view",
        pk=pk,
    )
    audit_record(
        actor=user,
        action="helpline.view",
        object_type="helpline_call",
        object_id=call.pk,
        organisation_id=call.organisation_id,
    )
    return call


def statistics_scope(user: User) -> QuerySet[Call]:
    """Return the calls ``user``'s statistics count: all for national readers, else their helplines'.

    Anyone else is refused with PermissionDenied.
    """
    if reads_national_statistics(user):
        return unrestricted(Call, "national statistics")
    if helpline_organisations(user):
        return restrict(Call.objects.all(), user, Action.VIEW)
    raise PermissionDenied(_("Helpline statistics are for the Coordinator's office, analysts and helpline staff."))


def call_rows(calls: QuerySet[Call], *, year: int | None = None) -> list[dict]:
    """Return calls by month, channel and topic: ``calls``, ``referred`` and ``screened`` (became screenings).

    Months are those of the configured time zone, as ``YYYY-MM``.
    """
    if year is not None:
        calls = calls.filter(received_at__year=year)
    grouped = (
        calls.annotate(month=TruncMonth("received_at"))
        .values("month", "channel", "topic__code")
        .annotate(
            calls=Count("pk"),
            referred=Count("pk", filter=Q(referral_made=True)),
            screened=Count("pk", filter=Q(screening__isnull=False)),
        )
        .order_by("month", "channel", "topic__code")
    )
    return [
        {
            "month": row["month"].strftime("%Y-%m"),
            "channel": row["channel"],
            "topic": row["topic__code"],
            "calls": row["calls"],
            "referred": row["referred"],
            "screened": row["screened"],
        }
        for row in grouped
    ]


def call_statistics(user: User, *, year: int | None = None) -> list[dict]:
    """Return :func:`call_rows` over the calls ``user``'s statistics count."""
    return call_rows(statistics_scope(user), year=year)


# The engine's standard tables a national reader sees on the statistics page, in order.
NATIONAL_TABLES = ("helpline_calls_by_channel", "helpline_calls_by_topic", "helpline_calls_by_month")


def national_statistics(user: User, *, year: int | None = None) -> list[StatTable]:
    """Return the helpline tables of the statistics engine, suppressed, for the Coordinator's office and analysts.

    ``year`` narrows every table to one year (the months table is meant to be read for one year).
    Anyone else is refused with PermissionDenied.
    """
    from nrm.reporting.selectors import report_table

    if not reads_national_statistics(user):
        raise PermissionDenied(_("National helpline statistics are for the Coordinator's office and analysts."))
    filters = {"year": [year]} if year is not None else None
    return [report_table(user, name, filters=filters) for name in NATIONAL_TABLES]
