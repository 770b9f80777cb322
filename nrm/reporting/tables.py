"""The standard tables: a registry of named reports (name -> title, dimensions, filters, population).

Each report is a fixed question asked of the engine; the caller may narrow it further (a year, a
data set) but not change its dimensions. Other apps add theirs with :func:`register` (programme
indicators will), so pages, the API and ``nrm stats --table`` list them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nrm.core.errors import invalid
from nrm.reporting.engine import DIMENSIONS, POPULATIONS


@dataclass(frozen=True)
class Report:
    """A standard table: what it counts (population), by what (dims), narrowed how (filters)."""

    name: str
    title: str  # a lazy translation: shown in the language of the request
    dims: tuple[str, ...]
    population: str = "registered"
    filters: Mapping[str, list] = field(default_factory=dict)
    family: str = ""
    description: str = ""  # likewise

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": str(self.title),
            "family": self.family,
            "population": self.population,
            "dimensions": list(self.dims),
            "filters": dict(self.filters),
            "description": str(self.description),
            "national_only": not POPULATIONS[self.population].external,
        }


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    """Add ``report`` to the registry; a name is registered once."""
    if report.name in REPORTS:
        raise ValueError(f"report {report.name!r} is already registered")
    bad = [d for d in (*report.dims, *report.filters) if d not in DIMENSIONS]
    if bad or report.population not in POPULATIONS:
        raise ValueError(f"report {report.name!r}: unknown dimension or population")
    REPORTS[report.name] = report
    return report


def get_report(name: str) -> Report:
    """Return the registered report ``name``; an unknown name is an error naming ``table``."""
    try:
        return REPORTS[name]
    except KeyError:
        raise invalid("table", _("No standard table of this name.")) from None


_IDENTIFIED = {"decision": ["identified"]}

for _report in [
    # The Centre's annual statistics: referrals to it and its decisions (narrow to a year with a filter).
    Report(
        "centre_referrals_by_source",
        gettext_lazy("Persons referred to the Centre for identification, by year and referral source"),
        ("year", "referral_source"),
        "referrals",
        family="centre",
    ),
    Report(
        "centre_referrals_by_sex_age",
        gettext_lazy("Persons referred to the Centre for identification, by year, sex and age group"),
        ("year", "sex", "age_group"),
        "referrals",
        family="centre",
    ),
    Report(
        "centre_referrals_by_form",
        gettext_lazy("Persons referred to the Centre for identification, by year and form of exploitation"),
        ("year", "exploitation"),
        "referrals",
        family="centre",
    ),
    Report(
        "centre_referrals_by_citizenship",
        gettext_lazy("Persons referred to the Centre for identification, by year and citizenship"),
        ("year", "citizenship_group"),
        "referrals",
        family="centre",
    ),
    Report(
        "centre_decisions",
        gettext_lazy("Identification decisions, by year and decision"),
        ("year", "decision"),
        "decisions",
        family="centre",
    ),
    Report(
        "centre_decisions_by_source",
        gettext_lazy("Identification decisions, by decision and referral source"),
        ("decision", "referral_source"),
        "decisions",
        family="centre",
    ),
    Report(
        "centre_identified_by_form_sex_age",
        gettext_lazy("Identified victims, by form of exploitation, sex and age group"),
        ("exploitation", "sex", "age_group"),
        "decisions",
        _IDENTIFIED,
        family="centre",
        description=gettext_lazy("Decisions 'identified' in the period; add a year filter for one year's table."),
    ),
    Report(
        "centre_identified_by_source",
        gettext_lazy("Identified victims, by year and referral source (organisation type, or self, family, foreign)"),
        ("year", "referral_source"),
        "decisions",
        _IDENTIFIED,
        family="centre",
        description=gettext_lazy(
            "Victims by who referred them: the type of the organisation that opened the case, or self-referral, "
            "family or citizen, a foreign authority or embassy where no organisation did."
        ),
    ),
    Report(
        "centre_identified_by_citizenship",
        gettext_lazy("Identified victims, by year and citizenship (country)"),
        ("year", "citizenship"),
        "decisions",
        _IDENTIFIED,
        family="centre",
    ),
    # Eurostat: registered victims (identified and presumed).
    Report(
        "eurostat_registered_sex_age",
        gettext_lazy("Registered victims, by year, sex and age group"),
        ("year", "sex", "age_group"),
        family="eurostat",
    ),
    Report(
        "eurostat_registered_status",
        gettext_lazy("Registered victims, by year and status (identified or presumed)"),
        ("year", "victim_status"),
        family="eurostat",
    ),
    Report(
        "eurostat_registered_citizenship",
        gettext_lazy("Registered victims, by year, citizenship (national, other EU, non-EU) and sex"),
        ("year", "citizenship_group", "sex"),
        family="eurostat",
    ),
    Report(
        "eurostat_registered_form",
        gettext_lazy(
            "Registered victims, by year, form of exploitation and sex (a person counted in each of their forms)"
        ),
        ("year", "exploitation", "sex"),
        family="eurostat",
    ),
    # Eurostat's own breakdowns: identified and presumed kept apart; the margin is the registered.
    Report(
        "eurostat_registered_status_sex_age",
        gettext_lazy("Registered victims, identified and presumed, by year, sex and age group"),
        ("year", "victim_status", "sex", "age_group"),
        family="eurostat",
    ),
    Report(
        "eurostat_registered_status_citizenship",
        gettext_lazy(
            "Registered victims, identified and presumed, by year and citizenship (national, other EU, non-EU)"
        ),
        ("year", "victim_status", "citizenship_group"),
        family="eurostat",
    ),
    Report(
        "eurostat_registered_form_group",
        gettext_lazy(
            "Registered victims, identified and presumed, by year and form of exploitation "
            "(sexual, labour, other, multiple)"
        ),
        ("year", "victim_status", "form_group"),
        family="eurostat",
        description=gettext_lazy(
            "Each person once: a person whose forms span several groups is under 'multiple forms'."
        ),
    ),
    Report(
        "eurostat_registered_source",
        gettext_lazy("Registered victims, by year and referral source"),
        ("year", "referral_source"),
        family="eurostat",
    ),
    # UNODC Global Report on Trafficking in Persons: detected victims by sex and age, and form.
    Report(
        "glotip_victims_sex_age",
        gettext_lazy("Detected victims, by year, sex and age group (women, men, girls, boys)"),
        ("year", "sex", "age_group"),
        family="glotip",
    ),
    Report(
        "glotip_form_sex_age",
        gettext_lazy("Detected victims, by form of exploitation, sex and age group"),
        ("exploitation", "sex", "age_group"),
        family="glotip",
    ),
    Report(
        "glotip_citizenship",
        gettext_lazy("Detected victims, by year and citizenship (country)"),
        ("year", "citizenship"),
        family="glotip",
    ),
    Report(
        "glotip_country_of_exploitation",
        gettext_lazy("Detected victims, by year and country of exploitation"),
        ("year", "country_of_exploitation"),
        family="glotip",
    ),
    # GRETA (Council of Europe) evaluation questionnaire: identified victims.
    Report(
        "greta_identified_form_age",
        gettext_lazy("Identified victims, by year, form of exploitation and age group"),
        ("year", "exploitation", "age_group"),
        "identified",
        family="greta",
    ),
    Report(
        "greta_identified_sex_citizenship",
        gettext_lazy("Identified victims, by year, sex and citizenship (national, other EU, non-EU)"),
        ("year", "sex", "citizenship_group"),
        "identified",
        family="greta",
    ),
    Report(
        "greta_presumed_identified",
        gettext_lazy("Presumed and identified victims, by year and age group"),
        ("year", "victim_status", "age_group"),
        family="greta",
    ),
]:
    register(_report)


# Ad-hoc tables people ask for beyond the standard ones (see nrm.reporting.protect.family).
from nrm.reporting.protect import register_cube  # noqa: E402 (the registry above comes first)

for _population in ("registered", "identified", "cases"):
    register_cube(_population, ("year", "sex", "age_band"))
    register_cube(_population, ("year", "region", "sex"))
register_cube("screenings", ("year", "sex", "age_band"))
register_cube("screenings", ("year", "region", "sex"))
