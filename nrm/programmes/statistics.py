"""Programme populations, dimensions and standard tables of the statistics engine (family "programmes").

Programmes and their funding are not personal data, but they are counted through
:mod:`nrm.reporting.engine` like every other published figure, so they appear on /statistics/,
in /api/v1/stats/ and in ``nrm stats`` with the same disclosure control.
"""

from __future__ import annotations

from django.db.models import BigIntegerField, F, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.reporting.engine import DIMENSIONS, Population, Source, Year, category, register_dimension, register_population
from nrm.reporting.tables import REPORTS, Report, register

PROGRAMMES = (
    "Donor-funded programmes against trafficking recorded by the Coordinator's office, each programme "
    "once. Year: the year the programme started (unknown when the source gives no start)."
)
FUNDING = (
    "Money committed by donors to programmes, in whole units of the currency of each funding line "
    "(amounts in different currencies are never added up: read the table by currency). Year: the "
    "year the programme started. Donor: as named in the funding line."
)
VALUES = (
    "Actual values of programme indicators recorded for a period, each recorded value once (not the "
    "values themselves, which have different units). Year: the year the period starts."
)


def _programmes() -> Source:
    from nrm.programmes.models import Programme

    return Source(
        unrestricted(Programme, "national statistics"), {"year": Year("period_start")}, None, "programmes", PROGRAMMES
    )


def _funding() -> Source:
    from nrm.programmes.models import FundingLine

    exprs = {
        "year": Year("programme__period_start"),
        "programme_donor": category(F("donor")),
        "programme_currency": category(F("currency")),
    }
    measure = Sum(Cast(F("amount"), BigIntegerField()))
    return Source(
        unrestricted(FundingLine, "national statistics"), exprs, None, "currency units", FUNDING, measure=measure
    )


def _values() -> Source:
    from nrm.programmes.models import IndicatorValue

    exprs = {"year": Year("period_start"), "programme_code": category(F("indicator__programme__code"))}
    return Source(unrestricted(IndicatorValue, "national statistics"), exprs, None, "recorded values", VALUES)


def _programme_codes() -> dict[str, str]:
    from nrm.programmes.models import Programme

    return dict(Programme.objects.values_list("code", "title"))


def register_all() -> None:
    """Register the programme dimensions, populations and standard tables (once per process)."""
    if "programmes_by_year" in REPORTS:
        return
    for name, title, labels in (
        ("programme_donor", "Donor of the programme", None),
        ("programme_currency", "Currency of the funding", None),
        ("programme_code", "Programme", _programme_codes),
    ):
        if name not in DIMENSIONS:
            register_dimension(name, title, labels=labels)
    register_population(Population("programmes", "Donor programmes", PROGRAMMES, external=False), _programmes)
    register_population(
        Population("programme_funding", "Donor funding committed to programmes", FUNDING, external=False), _funding
    )
    register_population(
        Population("programme_values", "Programme indicator values recorded", VALUES, external=False), _values
    )
    for report in REPORTS_PROGRAMMES:
        register(report)


REPORTS_PROGRAMMES = [
    Report(
        "programmes_by_year",
        gettext_lazy("Donor programmes, by year of start"),
        ("year",),
        "programmes",
        family="programmes",
    ),
    Report(
        "programme_funding_by_donor",
        gettext_lazy("Donor funding committed to programmes, by donor and currency"),
        ("programme_donor", "programme_currency"),
        "programme_funding",
        family="programmes",
    ),
    Report(
        "programme_values_by_programme",
        gettext_lazy("Programme indicator values recorded, by year and programme"),
        ("year", "programme_code"),
        "programme_values",
        family="programmes",
    ),
]
