"""Helpline populations, dimensions and standard tables of the statistics engine (family "helpline").

Calls are anonymous rows: each counts once (no person to count once). Counted through
:mod:`nrm.reporting.engine`, they get its disclosure control like every published table.
"""

from __future__ import annotations

from django.db.models import Case as CaseWhen
from django.db.models import CharField, F, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, ExtractMonth, ExtractYear, LPad
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.reporting.engine import DIMENSIONS, Population, Source, category, register_dimension, register_population
from nrm.reporting.tables import REPORTS, Report, register

CALLS = (
    "Calls and messages to the helplines, each call once (calls are anonymous: a person who calls twice "
    "counts twice). Year and month: when the call was received, in the country's time zone. Region: as "
    "logged with the call. Referral made: whether the caller was referred to a service."
)
SCREENINGS = (
    "Helpline calls that were turned into an (anonymous) screening, each call once. Year and month: when "
    "the call was received."
)


def _month(field: str) -> Concat:
    """Return the month of ``field`` as ``YYYY-MM`` text, in the configured time zone."""
    return Concat(
        Cast(ExtractYear(field), CharField()),
        Value("-"),
        LPad(Cast(ExtractMonth(field), CharField()), 2, Value("0")),
        output_field=CharField(),
    )


def _exprs() -> dict:
    return {
        "year": ExtractYear("received_at"),
        "month": _month("received_at"),
        "channel": F("channel"),
        "helpline_topic": category(F("topic__code")),
        "region": category(F("region")),
        "referral_made": CaseWhen(
            When(referral_made=True, then=Value("yes")), default=Value("no"), output_field=CharField()
        ),
    }


def calls() -> QuerySet:
    from nrm.helpline.models import Call

    return unrestricted(Call, "national statistics")


def _calls() -> Source:
    return Source(calls(), _exprs(), None, "calls", CALLS)


def _screenings() -> Source:
    return Source(calls().filter(screening__isnull=False), _exprs(), None, "calls", SCREENINGS)


def _dimension(name: str, title: str, **kwargs) -> None:
    """Register a dimension unless another app already did under the same name (the names are shared)."""
    if name not in DIMENSIONS:
        register_dimension(name, title, **kwargs)


def register_all() -> None:
    """Register the helpline dimensions, populations and standard tables (once per process)."""
    from nrm.helpline.choices import Channel
    from nrm.helpline.models import Topic

    if "helpline_calls_by_channel" in REPORTS:
        return
    _dimension("month", "Month (YYYY-MM)")
    _dimension(
        "channel",
        "Channel of the call",
        order=list(Channel.values),
        labels=lambda: {str(k): str(v) for k, v in Channel.choices},
    )
    _dimension(
        "helpline_topic", "Topic of the helpline call", labels=lambda: dict(Topic.objects.values_list("code", "name"))
    )
    _dimension(
        "referral_made",
        "Referral made by the helpline",
        order=["yes", "no"],
        labels=lambda: {"yes": _("Referred"), "no": _("Not referred")},
    )
    register_population(Population("helpline_calls", "Helpline calls", CALLS, external=False), _calls)
    register_population(
        Population("helpline_screenings", "Helpline calls turned into screenings", SCREENINGS, external=False),
        _screenings,
    )
    for report in REPORTS_HELPLINE:
        register(report)


REPORTS_HELPLINE = [
    Report(
        "helpline_calls_by_channel",
        gettext_lazy("Helpline calls, by year and channel"),
        ("year", "channel"),
        "helpline_calls",
        family="helpline",
    ),
    Report(
        "helpline_calls_by_topic",
        gettext_lazy("Helpline calls, by year and topic"),
        ("year", "helpline_topic"),
        "helpline_calls",
        family="helpline",
    ),
    Report(
        "helpline_calls_by_month",
        gettext_lazy("Helpline calls, by month and channel"),
        ("month", "channel"),
        "helpline_calls",
        family="helpline",
        description=gettext_lazy("Add a year filter for one year's months."),
    ),
    Report(
        "helpline_calls_referral",
        gettext_lazy("Helpline calls, by year and whether a referral was made"),
        ("year", "referral_made"),
        "helpline_calls",
        family="helpline",
    ),
    Report(
        "helpline_screenings_by_channel",
        gettext_lazy("Helpline calls turned into screenings, by year and channel"),
        ("year", "channel"),
        "helpline_screenings",
        family="helpline",
    ),
]
