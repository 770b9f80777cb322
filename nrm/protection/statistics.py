"""GRETA's tables (issue K): protection measures and internal or cross-border trafficking, family "greta".

Counts go through :mod:`nrm.reporting.engine`, so they get its disclosure control and count each
person once (by the linkage key of their case, as the victims' tables do). Every population
starts from the cases statistics may use: the consent "use in statistics" under the consent
basis, and never a case merged into another (see ``cases.selectors.cases_usable_for_statistics``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.cases.statistics import case_dimensions, counted_cases, person_key, victim_year
from nrm.reporting.engine import Population, Source, Year, category, register_dimension, register_population
from nrm.reporting.protect import register_cube
from nrm.reporting.tables import Report, register

REFLECTION = (
    "Persons for whom a recovery and reflection period was requested (Art. 13 of the Council of Europe "
    "Convention), each person once, by the decision recorded: granted, refused, or pending. The requests "
    "are the total. Year: the year of the request."
)
PERMITS = (
    "Persons who applied for a residence permit as victims (Art. 14), each person once, by the decision "
    "(granted, refused, pending) and the kind of permit: on humanitarian grounds (the personal situation), "
    "for cooperating with the authorities, or other. Year: the year of the application."
)
RETURNS = (
    "Persons who returned to another country, voluntarily with assistance or forcibly (Art. 16), each "
    "person once, and whether a risk assessment was done before the return. Year: the year of the return "
    "('unknown' when its date is not recorded)."
)
NON_PUNISHMENT = (
    "Persons for whom the non-punishment provision (Art. 26) was at issue, each person once: applied or not "
    "applied (cases where it was not relevant are not counted). Year: the year of the decision, else the "
    "year the case was opened."
)
SCOPE = (
    "Registered victims (identified and presumed, as Eurostat defines them), each person once, by internal "
    "or cross-border trafficking, derived from the case and never typed: cross-border when any episode of "
    "exploitation or the case's country of exploitation is abroad, or the person's citizenship is foreign; "
    "internal when the exploitation is recorded in the country and nothing is foreign; unknown when no "
    "country of exploitation is recorded. Year: for an identified victim the year of the identification "
    "decision, for a presumed victim the year the case was opened (as Eurostat's registered victims)."
)

CASE = ("sex", "age_group", "citizenship_group")


def measures() -> QuerySet:
    """Return the protection records statistics may use: those of the cases statistics may use."""
    from nrm.protection.models import ProtectionMeasures

    rows = unrestricted(ProtectionMeasures, "national statistics").filter(case__merged_into=None)
    return counted_cases(rows)


def _with_case(exprs: dict) -> dict:
    case = case_dimensions("case__")
    return {**exprs, **{name: case[name] for name in CASE}}


def _reflection() -> Source:
    qs = measures().filter(reflection_requested_on__isnull=False)
    exprs = {"year": Year("reflection_requested_on"), "reflection_decision": category(F("reflection_decision"))}
    return Source(qs, _with_case(exprs), person_key("case__"), "persons", REFLECTION)


def _permits() -> Source:
    qs = measures().filter(permit_applied_on__isnull=False)
    exprs = {
        "year": Year("permit_applied_on"),
        "permit_decision": category(F("permit_decision")),
        "permit_kind": category(F("permit_kind")),
    }
    return Source(qs, _with_case(exprs), person_key("case__"), "persons", PERMITS)


def _returns() -> Source:
    qs = measures().exclude(return_kind="none")
    exprs = {
        "year": Year("return_on"),
        "return_kind": category(F("return_kind")),
        "return_risk_assessed": category(F("return_risk_assessed")),
    }
    return Source(qs, _with_case(exprs), person_key("case__"), "persons", RETURNS)


def _non_punishment() -> Source:
    qs = measures().filter(non_punishment__in=["yes", "no"])
    exprs = {
        "year": Year(Coalesce("non_punishment_on", "case__opened_on")),
        "non_punishment": category(F("non_punishment")),
    }
    return Source(qs, _with_case(exprs), person_key("case__"), "persons", NON_PUNISHMENT)


def _scope() -> Source:
    from nrm.cases.selectors import cases_usable_for_statistics
    from nrm.protection.scope import trafficking_scope

    qs = cases_usable_for_statistics().exclude(identification_status="not_identified")
    case = case_dimensions("")
    exprs = {
        "year": victim_year(""),
        "trafficking_scope": trafficking_scope(),
        **{name: case[name] for name in ("victim_status", *CASE)},
    }
    return Source(qs, exprs, person_key(""), "persons", SCOPE)


def _labels(choices) -> Callable[[], dict[str, str]]:
    return lambda: {str(k): str(v) for k, v in choices}


def register_all() -> None:
    """Register the GRETA dimensions, populations and standard tables (once per process)."""
    from nrm.protection import choices
    from nrm.reporting.tables import REPORTS

    if "greta_reflection_periods" in REPORTS:
        return
    dimensions = [
        ("reflection_decision", "Reflection period: decision", choices.ReflectionDecision),
        ("permit_decision", "Residence permit: decision", choices.PermitDecision),
        ("permit_kind", "Residence permit: kind", choices.PermitKind),
        ("return_kind", "Return: voluntary or forced", choices.ReturnKind),
        ("return_risk_assessed", "Return: risk assessment done", choices.YesNoUnknown),
        ("non_punishment", "Non-punishment provision", choices.NonPunishment),
        ("trafficking_scope", "Internal or cross-border trafficking", choices.TraffickingScope),
    ]
    for name, title, enum in dimensions:
        register_dimension(name, title, order=[str(v) for v in enum.values], labels=_labels(enum.choices))
    populations = [
        ("greta_reflection", "Reflection periods requested", REFLECTION, _reflection),
        ("greta_permits", "Residence permits applied for", PERMITS, _permits),
        ("greta_returns", "Returns (voluntary or forced)", RETURNS, _returns),
        ("greta_non_punishment", "Non-punishment provision at issue", NON_PUNISHMENT, _non_punishment),
        ("greta_scope", "Registered victims, internal or cross-border", SCOPE, _scope),
    ]
    for name, title, definition, build in populations:
        register_population(Population(name, title, definition, external=False), build)
    for report in REPORTS_GRETA:
        register(report)
    # Cross-border trafficking of identified victims only is a filter of this cube (GRETA asks for both).
    register_cube("greta_scope", ("year", "trafficking_scope", "victim_status"))


REPORTS_GRETA = [
    Report(
        "greta_reflection_periods",
        gettext_lazy("Reflection periods requested, by year and decision (granted, refused, pending)"),
        ("year", "reflection_decision"),
        "greta_reflection",
        family="greta",
    ),
    Report(
        "greta_residence_permits",
        gettext_lazy("Residence permits applied for, by decision and kind of permit"),
        ("permit_decision", "permit_kind"),
        "greta_permits",
        family="greta",
        description=gettext_lazy("Add a year filter for one year's applications."),
    ),
    Report(
        "greta_returns",
        gettext_lazy("Returns, by year and kind (assisted voluntary or forced)"),
        ("year", "return_kind"),
        "greta_returns",
        family="greta",
    ),
    Report(
        "greta_returns_risk",
        gettext_lazy("Returns, by kind and whether a risk assessment was done"),
        ("return_kind", "return_risk_assessed"),
        "greta_returns",
        family="greta",
    ),
    Report(
        "greta_non_punishment",
        gettext_lazy("Non-punishment provision, applied or not, by year"),
        ("year", "non_punishment"),
        "greta_non_punishment",
        family="greta",
    ),
    Report(
        "greta_scope",
        gettext_lazy("Registered victims, internal or cross-border trafficking, by year"),
        ("year", "trafficking_scope"),
        "greta_scope",
        family="greta",
    ),
]
