"""The populations of victims' cases and screenings, and how other apps count by a case.

Registered with the statistics engine (``nrm.reporting.engine``) from ``CasesConfig.ready``:
registered, identified and presumed victims, all cases, referrals for identification and to the
asylum procedure, identification decisions, screenings; the dimensions of a case (sex, age,
citizenship, forms of exploitation, decision...) with their labels. Other apps' populations of
victims' records (proceedings' victims, protection measures) are written on
:func:`case_dimensions`, :func:`victim_year`, :func:`person_key` and :func:`counted_cases`.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import CharField, DateField, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.accounts.models import OrganisationType
from nrm.cases.choices import AgeBand, AsylumStatus, ChildStatus, Decision, MigrationStatus, ReferralSource, Sex
from nrm.cases.models import Episode, ExploitationForm, Identification, Screening
from nrm.cases.selectors import cases_usable_for_statistics, statistics_by_consent
from nrm.referrals.choices import ReferralKind, ReferralStatus
from nrm.referrals.models import Referral
from nrm.reporting import aggregates
from nrm.reporting.engine import (
    ADULT_BANDS,
    CHILD_BANDS,
    DIMENSIONS,
    UNKNOWN,
    Population,
    Source,
    Year,
    category,
    citizenship_group,
    register_dimension,
    register_population,
    victim_status,
)
from nrm.reporting.models import ScreeningCount, ScreeningCountCoarse

# Date bases of the populations counted here (Population.counts_by); lazy, shown in the reader's language.
DECISION_DATE = gettext_lazy("identification decision date")
OPENING_DATE = gettext_lazy("case opening date")
IDENTIFIED_OR_OPENED = gettext_lazy(
    "identification decision date for identified victims, case opening date for presumed victims"
)
REFERRAL_DATE = gettext_lazy("referral date")
SCREENING_DATE = gettext_lazy("screening date")

POPULATIONS = [
    Population(
        "registered",
        "Registered victims (identified and presumed)",
        "Registered victims, as Eurostat defines them: identified plus presumed victims. A case counts "
        "unless its latest identification decision is 'not identified (not a victim)': identified "
        "victims have the decision 'identified'; presumed victims are every other case (decision "
        "pending, discontinued, or none yet). Year: for an identified victim the year of the "
        "identification decision, as in the Centre's tables; for a presumed victim the year the case "
        "was opened.",
        counts_by=IDENTIFIED_OR_OPENED,
    ),
    Population(
        "identified",
        "Identified victims",
        "Identified victims: cases whose latest identification decision is 'identified', each person "
        "once. Year: the year of that decision (the one definition of 'identified in year Y', shared by "
        "the Centre's, Eurostat's and GRETA's tables).",
        counts_by=DECISION_DATE,
    ),
    Population(
        "presumed",
        "Presumed victims",
        "Presumed victims: cases neither identified nor found not to be victims (decision pending, "
        "discontinued, or none yet). Year: the year the case was opened.",
        counts_by=OPENING_DATE,
    ),
    Population(
        "cases",
        "All cases",
        "All cases, whatever the identification decision. Year: the year the case was opened.",
        counts_by=OPENING_DATE,
    ),
    Population(
        "referrals",
        "Persons referred to the Centre for identification",
        "Persons referred for identification: referrals of the kind 'identification' sent to an "
        "identification authority, whatever their answer. Year: the year the referral was sent; "
        "referral source: the type of the referring organisation.",
        external=False,
        counts_by=REFERRAL_DATE,
    ),
    Population(
        "asylum_referrals",
        "Persons referred to the asylum procedure",
        "Persons referred to the asylum procedure: referrals of the kind 'asylum procedure', each person "
        "once, by the referral's outcome (its state: sent and not yet answered, accepted, in progress, "
        "completed, declined, closed, suspended). Year: the year the referral was sent.",
        external=False,
        counts_by=REFERRAL_DATE,
    ),
    Population(
        "decisions",
        "Identification decisions",
        "Identification decisions of the identification authority, by the decision taken. "
        "Year: the year of the decision; a person with two decisions (pending, then identified) "
        "counts under each.",
        external=False,
        counts_by=DECISION_DATE,
    ),
    Population(
        "screenings",
        "Screenings",
        "Screenings recorded, presumed victim or not, each screening once (anonymous screenings have "
        "no person to count once). Year: the year of the screening; referral source: the type of "
        "the screening organisation.",
        external=False,
        counts_by=SCREENING_DATE,
    ),
]


def _form_group(case: str) -> Any:
    """Return the Eurostat group of a case's forms: sexual, labour, other, or multiple when they span several.

    The group of each form is reference data (``ExploitationForm.eurostat_group``); a form with
    none is left out. A case whose episodes span two groups is "multiple", so every case is in
    one row and the rows add up to the persons (unlike the table by form, which counts a person
    under each of their forms). A case with no grouped form is "unknown".
    """
    grouped = (
        Episode.objects.filter(case_id=OuterRef(case))
        .exclude(form__eurostat_group="")
        .values("case_id")
        .annotate(low=Min("form__eurostat_group"), high=Max("form__eurostat_group"))
        .annotate(
            group=CaseWhen(When(low=F("high"), then=F("low")), default=Value("multiple"), output_field=CharField())
        )
        .values("group")
    )
    return Coalesce(Subquery(grouped, output_field=CharField()), Value(UNKNOWN), output_field=CharField())


def case_dimensions(p: str) -> dict[str, Any]:
    """Return the dimensions of a case reached through the prefix ``p`` ("" or "case__")."""
    person = f"{p}person__"
    return {
        "sex": category(F(f"{person}sex")),
        "age_band": category(F(f"{person}age_band")),
        # The child flag wins (it is set from a certain age, or by the worker when the age is
        # unknown); then the age band; a case with neither is of unknown age.
        "age_group": CaseWhen(
            When(**{f"{p}is_child": True}, then=Value("child")),
            When(**{f"{person}age_band__in": CHILD_BANDS}, then=Value("child")),
            When(**{f"{person}age_band__in": ADULT_BANDS}, then=Value("adult")),
            default=Value(UNKNOWN),
            output_field=CharField(),
        ),
        "citizenship": category(F(f"{person}citizenship")),
        "citizenship_group": citizenship_group(f"{person}citizenship"),
        "country_of_exploitation": category(F(f"{p}country_of_exploitation")),
        # Through the episodes, the source of a case's forms: a person with two episodes of one
        # form is one person in its row (persons are counted distinct), one with two forms in each.
        "exploitation": category(F(f"{p}episodes__form__code")),
        "form_group": _form_group(f"{p}id"),
        # Who brought the person: the owner's type, unless the case names a source that is no
        # organisation (self-referral, family or citizen, a foreign authority or embassy).
        "referral_source": CaseWhen(
            When(~Q(**{f"{p}referral_source": "organisation"}), then=F(f"{p}referral_source")),
            default=category(F(f"{p}owner__type__code")),
            output_field=CharField(),
        ),
        "decision": category(F(f"{p}identification_status")),
        "victim_status": victim_status(f"{p}identification_status"),
        "region": category(F(f"{p}region")),
        "migration_status": category(F(f"{person}migration_status")),
        "asylum_status": category(F(f"{p}asylum_status")),
        "child_status": category(F(f"{p}child_status")),
    }


def victim_year(p: str) -> Any:
    """Return the year a victim counts in: identified, the decision's year; presumed, the opening's.

    One definition of "identified victims in year Y" for every table (issue K): the Centre counts
    its decisions by their date, so Eurostat's and GRETA's identified victims do too, and a
    person opened in December and identified in January is identified in January's year in all.
    The decision's date is the case's own column, ``Case.identified_on`` (set while the case is
    identified, from its latest-dated decision 'identified': ``cases.selectors.identified_on_expected``),
    so no table looks the decisions up; where it is null (not identified, or identified with no
    decision recorded) the year is the opening's.
    """
    return Year(Coalesce(F(f"{p}identified_on"), F(f"{p}opened_on"), output_field=DateField()))


def person_key(p: str) -> tuple[str, str]:
    """Return the paths naming a person: the linkage key when set, else the person row."""
    return f"{p}person__linkage_key", f"{p}person_id"


def counted_cases(queryset: QuerySet, path: str = "case") -> QuerySet:
    """Return ``queryset`` narrowed to rows whose case (reached through ``path``) statistics may use.

    Every population of victims' cases, here and in other apps, goes through this: under the
    consent basis a case without the consent "use in statistics" is in no count (see
    :func:`nrm.cases.selectors.cases_usable_for_statistics`).
    """
    if not statistics_by_consent():
        return queryset
    return queryset.filter(**{f"{path}__in": cases_usable_for_statistics().values("pk")})


def victims(queryset: QuerySet, population: str, decision: str) -> QuerySet:
    """Return the rows of ``queryset`` in ``population`` (registered, identified, presumed or all), by
    the identification decision at ``decision``: the one definition, for the national records and
    the external data sets alike."""
    if population == "registered":
        return queryset.exclude(**{decision: "not_identified"})
    if population == "identified":
        return queryset.filter(**{decision: "identified"})
    if population == "presumed":
        return queryset.exclude(**{f"{decision}__in": ["identified", "not_identified"]})
    return queryset


def _victims(population: Population) -> Source:
    qs = victims(cases_usable_for_statistics(), population.name, "identification_status")
    # Identified and registered victims count by the decision date; presumed victims and all
    # cases by the opening date (for them victim_year is the opening's year).
    year = Year("opened_on") if population.name in ("presumed", "cases") else victim_year("")
    exprs = {"year": year, **case_dimensions("")}
    return Source(qs, exprs, person_key(""), "persons", population.definition)


def _referrals(population: Population) -> Source:
    qs = counted_cases(
        unrestricted(Referral, "national statistics").filter(
            kind=ReferralKind.IDENTIFICATION, to_org__type__is_identification_authority=True
        )
    )
    exprs = {
        **case_dimensions("case__"),
        "year": Year("sent_on"),
        "referral_source": category(F("from_org__type__code")),
    }
    return Source(qs, exprs, person_key("case__"), "persons", population.definition)


def _asylum_referrals(population: Population) -> Source:
    qs = counted_cases(unrestricted(Referral, "national statistics").filter(kind=ReferralKind.ASYLUM))
    exprs = {
        **case_dimensions("case__"),
        "year": Year("sent_on"),
        "referral_source": category(F("from_org__type__code")),
        "referral_status": category(F("status")),
    }
    return Source(qs, exprs, person_key("case__"), "persons", population.definition)


def _decisions(population: Population) -> Source:
    exprs = {
        **case_dimensions("case__"),
        "year": Year("decided_on"),
        "decision": category(F("decision")),
        "victim_status": victim_status("decision"),
    }
    decisions = counted_cases(unrestricted(Identification, "national statistics"))
    return Source(decisions, exprs, person_key("case__"), "persons", population.definition)


def _screenings(population: Population) -> Source:
    # Screenings count rows, so any grouping of the analytics tables (one row per combination of
    # the screening dimensions, kept exact by triggers: nrm.reporting.aggregates) sums to what a
    # GROUP BY of the screenings gives; the same expressions read their columns.
    exprs = {
        "year": F("year"),
        "sex": category(F("sex")),
        "age_band": category(F("age_band")),
        "age_group": CaseWhen(
            When(is_child=True, then=Value("child")),
            When(age_band__in=CHILD_BANDS, then=Value("child")),
            When(age_band__in=ADULT_BANDS, then=Value("adult")),
            default=Value(UNKNOWN),
            output_field=CharField(),
        ),
        "citizenship": category(F("citizenship")),
        "citizenship_group": citizenship_group("citizenship"),
        "referral_source": category(F("organisation__type__code")),
        "region": category(F("region")),
    }
    coarse = (frozenset({"year", "sex", "age_band", "age_group", "region"}), ScreeningCountCoarse.objects.all())
    return Source(
        ScreeningCount.objects.all(),
        exprs,
        None,
        "screenings",
        population.definition,
        measure=Sum("n"),
        coarser=(coarse,),
    )


def _choices(choices) -> dict[str, str]:
    return {str(k): str(v) for k, v in choices}


def form_groups() -> dict[str, str]:
    """Return each form's Eurostat group by code (reference data); forms without one are left out."""
    return dict(ExploitationForm.objects.exclude(eurostat_group="").values_list("code", "eurostat_group"))


def register_all() -> None:
    """Register the populations of cases and screenings, and the labels and order of their codes."""
    builders = {
        "referrals": _referrals,
        "asylum_referrals": _asylum_referrals,
        "decisions": _decisions,
        "screenings": _screenings,
    }
    for population in POPULATIONS:
        register_population(population, functools.partial(builders.get(population.name, _victims), population))
    # What the screenings' analytics tables are checked against (nrm stats --rebuild, nrm bench).
    aggregates.register_screenings(lambda using: Screening.objects.using(using))
    labels = {
        "sex": lambda: _choices(Sex.choices),
        "age_band": lambda: _choices(AgeBand.choices),
        "decision": lambda: _choices(Decision.choices),
        "migration_status": lambda: _choices(MigrationStatus.choices),
        "asylum_status": lambda: _choices(AsylumStatus.choices),
        "child_status": lambda: _choices(ChildStatus.choices),
        "referral_status": lambda: _choices(ReferralStatus.choices),
        "referral_source": lambda: {
            **{t.code: str(t) for t in OrganisationType.objects.all()},
            **{str(k): str(v) for k, v in ReferralSource.choices if k != ReferralSource.ORGANISATION},
        },
    }
    for name, labeller in labels.items():
        register_dimension(name, DIMENSIONS[name], labels=labeller)
    # The forms of exploitation, named in the current language and listed in their reference order.
    register_dimension(
        "exploitation",
        DIMENSIONS["exploitation"],
        labels=lambda: {f.code: str(f) for f in ExploitationForm.objects.all()},
        order=lambda: list(ExploitationForm.objects.order_by("sort_order", "code").values_list("code", flat=True)),
    )
