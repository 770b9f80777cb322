"""The standard tables: a registry of named reports (name -> title, dimensions, filters, population).

Each report is a fixed question asked of the engine; the caller may narrow it further (a year, a
data set) but not change its dimensions. Other apps add theirs with :func:`register` (programme
indicators will), so pages, the API and ``nrm stats --table`` list them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nrm.core.errors import invalid
from nrm.reporting.engine import DIMENSIONS, NATIONAL_ONLY_DIMENSIONS, POPULATIONS


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
    # The date the table's year is taken from ("identification decision date", "case opening
    # date"...): stated on its page, API and CSV. Left empty, the population's (see register).
    counts_by: str = ""

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": str(self.title),
            "family": self.family,
            "population": self.population,
            "dimensions": list(self.dims),
            "filters": dict(self.filters),
            "description": str(self.description),
            "counts_by": str(self.counts_by),
            "national_only": self.national_only,
        }

    @property
    def national_only(self) -> bool:
        """Whether the table exists for the national records only (no external data set has its dimensions)."""
        dims = {*self.dims, *self.filters}
        return not POPULATIONS[self.population].external or bool(dims & NATIONAL_ONLY_DIMENSIONS)


REPORTS: dict[str, Report] = {}

# The date basis of the populations other apps register, where their Population states none:
# every standard table must state one (register refuses a table without).
COUNTS_BY: dict[str, str] = {
    "investigations": gettext_lazy("date the investigation opened"),
    "prosecutions": gettext_lazy("prosecution date"),
    "convictions": gettext_lazy("verdict date"),
    "suspects": gettext_lazy("date the investigation opened"),
    "prosecuted_persons": gettext_lazy("prosecution date"),
    "justice_victims": gettext_lazy("date the investigation opened"),
    "justice_to_verdict": gettext_lazy("first-instance verdict date"),
    "greta_reflection": gettext_lazy("date the reflection period was requested"),
    "greta_permits": gettext_lazy("residence permit application date"),
    "greta_returns": gettext_lazy("return date"),
    "greta_non_punishment": gettext_lazy("non-punishment decision date, else case opening date"),
    "greta_scope": gettext_lazy(
        "identification decision date for identified victims, case opening date for presumed victims"
    ),
    "helpline_calls": gettext_lazy("date the call was received"),
    "helpline_screenings": gettext_lazy("date the call was received"),
    "programmes": gettext_lazy("programme start date"),
    "programme_funding": gettext_lazy("programme start date"),
    "programme_values": gettext_lazy("start of the reporting period"),
    "training_participants": gettext_lazy("event start date"),
    "trainings": gettext_lazy("event start date"),
    "materials_distributed": gettext_lazy("awareness action start date"),
    "risk_observations": gettext_lazy("observation date"),
    "alerts_raised": gettext_lazy("date the alert was raised"),
}


def counts_by(population: str) -> str:
    """Return the date basis of ``population``: its own statement, else the list above ("" if none)."""
    return POPULATIONS[population].counts_by or COUNTS_BY.get(population, "")


def register(report: Report) -> Report:
    """Add ``report`` to the registry; a name is registered once, and states its date basis."""
    if report.name in REPORTS:
        raise ValueError(f"report {report.name!r} is already registered")
    bad = [d for d in (*report.dims, *report.filters) if d not in DIMENSIONS]
    if bad or report.population not in POPULATIONS:
        raise ValueError(f"report {report.name!r}: unknown dimension or population")
    if not report.counts_by:
        report = replace(report, counts_by=counts_by(report.population))
    if not report.counts_by:
        raise ValueError(f"report {report.name!r}: state the date it counts by (counts_by)")
    REPORTS[report.name] = report
    return report


def get_report(name: str) -> Report:
    """Return the registered report ``name``; an unknown name is an error naming ``table``."""
    try:
        return REPORTS[name]
    except KeyError:
        raise invalid("table", _("No standard table of this name.")) from None


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
        "identified",
        family="centre",
        description=gettext_lazy(
            "Victims identified in the period, by the date of the decision; add a year filter for one year's table."
        ),
    ),
    Report(
        "centre_identified_by_source",
        gettext_lazy("Identified victims, by year and referral source (organisation type, or self, family, foreign)"),
        ("year", "referral_source"),
        "identified",
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
        "identified",
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
    # Migration and asylum (issue K): the Action Plan's indicators on migrant victims come from these.
    Report(
        "migration_victims_by_status",
        gettext_lazy("Registered victims, by year and migration or asylum status"),
        ("year", "migration_status"),
        family="migration",
    ),
    Report(
        "migration_victims_by_asylum_procedure",
        gettext_lazy("Registered victims, by year and asylum procedure status"),
        ("year", "asylum_status"),
        family="migration",
        description=gettext_lazy("The asylum procedure as recorded on the case now: its latest step."),
    ),
    Report(
        "migration_unaccompanied_separated_children",
        gettext_lazy("Unaccompanied or separated children among registered victims, by year and sex"),
        ("year", "child_status", "sex"),
        filters={"child_status": ["unaccompanied", "separated"]},
        family="migration",
        description=gettext_lazy(
            "Children's cases recorded as unaccompanied or separated; the total is both together."
        ),
    ),
    Report(
        "migration_asylum_referrals",
        gettext_lazy("Persons referred to the asylum procedure, by year and outcome of the referral"),
        ("year", "referral_status"),
        "asylum_referrals",
        family="migration",
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
