"""Early-warning counts in the statistics engine: observations and alerts, with its disclosure control.

Dimensions ``vulnerable_group`` and ``risk_level`` (an observation's own likelihood x impact,
by the levels of :mod:`nrm.earlywarning.choices`); populations ``risk_observations`` and
``alerts_raised``; standard tables in the family "earlywarning".
"""

from __future__ import annotations

from django.db.models import Case, CharField, ExpressionWrapper, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.earlywarning.choices import RiskLevel
from nrm.reporting.engine import Population, Source, Year, category, register_dimension, register_population
from nrm.reporting.tables import REPORTS, Report, register


def _group_labels() -> dict[str, str]:
    from nrm.earlywarning.models import VulnerableGroup

    return {g.code: str(g) for g in VulnerableGroup.objects.all()}  # in the current language


def _level_labels() -> dict[str, str]:
    return {str(k): str(v) for k, v in RiskLevel.choices}


def _observations() -> Source:
    from nrm.earlywarning.models import Observation

    qs = unrestricted(Observation, "national statistics").annotate(
        _ew_score=ExpressionWrapper(F("likelihood") * F("impact"), output_field=IntegerField())
    )
    level = Case(
        When(_ew_score__lte=4, then=Value(RiskLevel.LOW.value)),
        When(_ew_score__lte=9, then=Value(RiskLevel.MEDIUM.value)),
        When(_ew_score__lte=16, then=Value(RiskLevel.HIGH.value)),
        default=Value(RiskLevel.VERY_HIGH.value),
        output_field=CharField(),
    )
    return Source(
        qs,
        {
            "year": Year("observed_on"),
            "vulnerable_group": category(F("group__code")),
            "region": category(F("region")),
            "risk_level": level,
        },
        None,
        "observations",
        OBSERVATIONS.definition,
    )


def _alerts() -> Source:
    from nrm.earlywarning.models import Alert

    return Source(
        unrestricted(Alert, "national statistics"),
        {
            "year": Year("raised_at"),
            "vulnerable_group": category(F("group__code")),
            "region": category(F("region")),
        },
        None,
        "alerts",
        ALERTS.definition,
    )


OBSERVATIONS = Population(
    "risk_observations",
    "Early-warning observations",
    "Observations of risk indicators recorded by organisations, each observation once. Year: the year "
    "observed; risk level: the observation's own likelihood x impact (low 1-4, medium 5-9, high 10-16, "
    "very high 20-25).",
    external=False,
)
ALERTS = Population(
    "alerts_raised",
    "Early-warning alerts raised",
    "Alerts raised when a vulnerable group's risk in a region crossed a threshold, each alert once, "
    "whatever its status since. Year: the year raised.",
    external=False,
)

register_dimension("vulnerable_group", "Vulnerable group", labels=_group_labels)
register_dimension(
    "risk_level",
    "Risk level",
    order=[RiskLevel.LOW.value, RiskLevel.MEDIUM.value, RiskLevel.HIGH.value, RiskLevel.VERY_HIGH.value],
    labels=_level_labels,
)
register_population(OBSERVATIONS, _observations)
register_population(ALERTS, _alerts)

for _report in [
    Report(
        "earlywarning_observations_by_group",
        gettext_lazy("Early-warning observations by year and vulnerable group"),
        ("year", "vulnerable_group"),
        population="risk_observations",
        family="earlywarning",
    ),
    Report(
        "earlywarning_observations_by_level",
        gettext_lazy("Early-warning observations by year, vulnerable group and risk level"),
        ("year", "vulnerable_group", "risk_level"),
        population="risk_observations",
        family="earlywarning",
    ),
    Report(
        "earlywarning_alerts_by_group",
        gettext_lazy("Early-warning alerts raised by year and vulnerable group"),
        ("year", "vulnerable_group"),
        population="alerts_raised",
        family="earlywarning",
    ),
]:
    if _report.name not in REPORTS:  # the module is imported once per process; tests may reload apps
        register(_report)
