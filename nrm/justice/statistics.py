"""Justice populations, dimensions and standard tables of the statistics engine (family "justice").

Counts go through :mod:`nrm.reporting.engine`, so they get its disclosure control (primary
suppression under the threshold, secondary suppression along the margins). Proceedings,
defendants and victims' parts are each counted once per cell and once in a total, even where a
form of exploitation puts them on two rows: the engine's distinct count is given a key that is
always empty, so it counts distinct rows of the unit (see :func:`_once`).

Victims are counted only where their case may be (the consent "use in statistics", see
:func:`nrm.cases.statistics.counted_cases`); proceedings and defendants are not victims' records.

Amounts of compensation and the median days from identification to verdict are not counts; the
selectors publish them only beside a count of the matching table that is published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.cases.statistics import case_dimensions, counted_cases, person_key
from nrm.justice.choices import AssetKind
from nrm.reporting.engine import (
    UNKNOWN,
    Population,
    Source,
    Year,
    category,
    citizenship_group,
    register_dimension,
    register_population,
    rows_once,
)
from nrm.reporting.tables import Report, register

# How far a victim's compensation went: the furthest step recorded.
COMPENSATION_STATUS = ["paid", "awarded", "claimed", "none"]

INVESTIGATIONS = (
    "Criminal proceedings (investigations) opened by the police or prosecution, each proceeding once. "
    "Year: the year the investigation began. Form of exploitation: the proceeding's own forms (by default "
    "those of its victims' cases); a proceeding with two forms counts under both, once in the total; "
    "'unknown' when none is recorded. All offences, trafficking or related."
)
PROSECUTIONS = (
    "Prosecutions: criminal proceedings in which charges were brought or an indictment filed, each "
    "proceeding once. Year: the year of the first of these two stages. Form of exploitation: the "
    "proceeding's forms, as for investigations."
)
CONVICTIONS = (
    "Convicted persons: defendants convicted of at least one trafficking offence (an offence of the "
    "criminal code marked as trafficking, in Serbia Arts. 388-390; smuggling and other related offences "
    "are not counted), each defendant once per cell. Instance: 'first' counts first-instance convictions, "
    "'final' convictions by a final verdict; a defendant convicted at first instance and then finally "
    "counts under each instance, in the year of each verdict, so standard tables count one instance. "
    "Year: the year of the verdict. Form of exploitation: the proceeding's forms."
)
VICTIMS = (
    "Victims in criminal proceedings: victims' cases linked to a proceeding, each victim once per cell "
    "(a person by the linkage key of their case). Year: the year the proceeding's investigation began. "
    "Compensation status: the furthest step recorded for the victim in the proceeding: paid (any amount "
    "paid), awarded, claimed, or none. Form of exploitation: the forms of the victim's case."
)
SUSPECTS = (
    "Suspected persons: defendants in criminal proceedings charged with (or investigated for) at least one "
    "trafficking offence (an offence of the criminal code marked as trafficking), each defendant once. Year: "
    "the year the proceeding's investigation began. Age group: child if under 18 in that year, from the "
    "birth year; citizenship group: national, other EU or non-EU, as for victims."
)
PROSECUTED = (
    "Prosecuted persons: suspected persons (as above) whose proceeding reached charges or an indictment, "
    "each defendant once. Year: the year of the first of these two stages, as for prosecutions. Age group "
    "and citizenship group as for suspected persons, the age in the year of prosecution."
)
SENTENCES = (
    "Convicted persons by the length of their sentence (UNODC's Global Report on Trafficking in Persons): "
    "defendants convicted of a trafficking offence by a final verdict, each person once, by their most severe "
    "sentence among their final convictions of trafficking offences (first-instance verdicts are not counted; "
    "a person with two charges counts once). Effective prison is more severe than a suspended sentence, and "
    "a suspended sentence than a fine; a longer term more severe than a shorter one. Bands: a suspended "
    "prison sentence or a fine without prison; effective prison of less than 1 year, 1 to less than 5 years, "
    "5 to less than 10 years, 10 years or more; 'not recorded' when the conviction has no sentence recorded. "
    "Year: the year of the final verdict that gave that sentence. Sex, age group and citizenship group of the "
    "defendant, the age in that year."
)
ASSETS = (
    "Proceedings in which assets were seized provisionally or confiscated by a final decision, each "
    "proceeding once per cell (a proceeding with two decisions of a kind in a year counts once). Year: the "
    "year of the decision. Kind: seized provisionally, or confiscated by a final decision; a seizure later "
    "confirmed by confiscation is under each kind, so the kinds are not added up. All offences of the "
    "proceeding, trafficking or related."
)
TO_VERDICT = (
    "Identified victims whose proceeding reached a first-instance verdict, each victim's part once. "
    "Year: the year of the proceeding's first first-instance verdict. The median days from the victim's "
    "first decision 'identified' to that verdict are published beside each count that is published."
)


def _forms(prefix: str) -> dict:
    return {"exploitation": category(F(f"{prefix}forms__code"))}


def _investigations() -> Source:
    from nrm.justice.models import Proceeding

    qs, person = rows_once(unrestricted(Proceeding, "national statistics"), "pk")
    exprs = {"year": Year("investigation_on"), **_forms(""), "region": category(F("owner__region"))}
    return Source(qs, exprs, person, "proceedings", INVESTIGATIONS)


def _prosecutions() -> Source:
    from nrm.justice.models import Proceeding

    base = unrestricted(Proceeding, "national statistics").filter(
        Q(charged_on__isnull=False) | Q(indicted_on__isnull=False)
    )
    qs, person = rows_once(base.annotate(prosecuted_on=Coalesce("charged_on", "indicted_on")), "pk")
    exprs = {"year": Year("prosecuted_on"), **_forms(""), "region": category(F("owner__region"))}
    return Source(qs, exprs, person, "proceedings", PROSECUTIONS)


def _convictions() -> Source:
    from nrm.justice.choices import Outcome
    from nrm.justice.models import Verdict

    base = unrestricted(Verdict, "national statistics").filter(
        outcome=Outcome.CONVICTED, charge__offence__is_trafficking=True
    )
    qs, person = rows_once(base, "charge__defendant_id")
    exprs = {
        "year": Year("decided_on"),
        "verdict_instance": F("instance"),
        **_forms("charge__defendant__proceeding__"),
        **defendant_dimensions("charge__defendant__", Year("decided_on")),
    }
    return Source(qs, exprs, person, "persons convicted", CONVICTIONS)


def sentenced_verdicts() -> QuerySet:
    """Return, per person convicted of trafficking by a final verdict, the verdict of their most severe sentence.

    One verdict per defendant, chosen among their final convictions on trafficking charges by
    :func:`nrm.justice.sentences.severity_expression`; on equal severity the latest, then the
    last recorded, so that the choice never depends on the order rows are read in.
    """
    from nrm.justice.choices import Instance, Outcome
    from nrm.justice.models import Verdict
    from nrm.justice.sentences import severity_expression

    final = unrestricted(Verdict, "national statistics").filter(
        instance=Instance.FINAL, outcome=Outcome.CONVICTED, charge__offence__is_trafficking=True
    )
    worst = (
        final.filter(charge__defendant_id=OuterRef("charge__defendant_id"))
        .annotate(severity=severity_expression())
        .order_by("-severity", "-decided_on", "-id")
        .values("pk")[:1]
    )
    return final.filter(pk=Subquery(worst))


def _sentences() -> Source:
    from nrm.justice.sentences import band_expression

    qs, person = rows_once(sentenced_verdicts(), "charge__defendant_id")
    year = Year("decided_on")
    exprs = {
        "year": year,
        "sentence_band": band_expression(),
        **_forms("charge__defendant__proceeding__"),
        **defendant_dimensions("charge__defendant__", year),
    }
    return Source(qs, exprs, person, "persons convicted", SENTENCES)


def asset_decisions() -> QuerySet:
    """Return every record of assets seized or confiscated: what the assets table counts and sums."""
    from nrm.justice.models import ProceedingAsset

    return unrestricted(ProceedingAsset, "national statistics")


def _assets() -> Source:
    qs, person = rows_once(asset_decisions(), "proceeding_id")
    exprs = {
        "year": Year("decided_on"),
        "asset_kind": F("kind"),
        **_forms("proceeding__"),
        "region": category(F("proceeding__owner__region")),
    }
    return Source(qs, exprs, person, "proceedings", ASSETS)


def defendant_dimensions(p: str, year: Any) -> dict[str, Any]:
    """Return a defendant's sex, age group (in the year ``year``) and citizenship, reached through ``p``."""
    age = ExpressionWrapper(year - F(f"{p}birth_year"), output_field=IntegerField())
    return {
        "sex": category(F(f"{p}sex")),
        "age_group": CaseWhen(
            When(**{f"{p}birth_year__isnull": True}, then=Value(UNKNOWN)),
            When(LessThan(age, 18), then=Value("child")),
            default=Value("adult"),
            output_field=CharField(),
        ),
        "citizenship_group": citizenship_group(f"{p}citizenship"),
    }


def suspected_defendants() -> QuerySet:
    """Return the defendants charged with (or investigated for) at least one trafficking offence."""
    from nrm.justice.models import Charge, Defendant

    trafficking = Charge.objects.filter(defendant=OuterRef("pk"), offence__is_trafficking=True)
    return unrestricted(Defendant, "national statistics").filter(Exists(trafficking))


def _suspects() -> Source:
    qs, person = rows_once(suspected_defendants(), "pk")
    year = Year("proceeding__investigation_on")
    exprs = {"year": year, **defendant_dimensions("", year), **_forms("proceeding__")}
    return Source(qs, exprs, person, "persons suspected", SUSPECTS)


def _prosecuted() -> Source:
    base = suspected_defendants().filter(
        Q(proceeding__charged_on__isnull=False) | Q(proceeding__indicted_on__isnull=False)
    )
    qs, person = rows_once(
        base.annotate(prosecuted_on=Coalesce("proceeding__charged_on", "proceeding__indicted_on")), "pk"
    )
    year = Year("prosecuted_on")
    exprs = {"year": year, **defendant_dimensions("", year), **_forms("proceeding__")}
    return Source(qs, exprs, person, "persons prosecuted", PROSECUTED)


def compensation_status() -> CaseWhen:
    """Return the furthest compensation step of a victim's part, as a category."""
    return CaseWhen(
        When(compensation_paid__gt=0, then=Value("paid")),
        When(compensation_awarded__isnull=False, then=Value("awarded")),
        When(compensation_claimed__isnull=False, then=Value("claimed")),
        default=Value("none"),
        output_field=CharField(),
    )


def _victims() -> Source:

    case = case_dimensions("case__")
    exprs = {
        "year": Year("proceeding__investigation_on"),
        "compensation_status": compensation_status(),
        "victim_role": F("role"),
        **{name: case[name] for name in ("sex", "age_group", "citizenship_group", "exploitation")},
    }
    return Source(victim_parts(), exprs, person_key("case__"), "persons", VICTIMS)


def victim_parts() -> QuerySet:
    """Return the victims' parts statistics may use: those whose case statistics may use (consent)."""
    from nrm.justice.models import ProceedingVictim

    return counted_cases(unrestricted(ProceedingVictim, "national statistics"))


def identified_parts() -> QuerySet:
    """Return the victims' parts of identified victims whose proceeding has a first-instance verdict."""
    from nrm.cases.choices import Decision
    from nrm.cases.models import Identification

    identified = Identification.objects.filter(case=OuterRef("case"), decision=Decision.IDENTIFIED)
    return victim_parts().filter(Exists(identified), proceeding__first_verdict_on__isnull=False)


def _to_verdict() -> Source:
    qs, person = rows_once(identified_parts(), "pk")
    exprs = {"year": Year("proceeding__first_verdict_on"), **_forms("case__")}
    return Source(qs, exprs, person, "victims", TO_VERDICT)


def _choice_labels(choices) -> Callable[[], dict[str, str]]:
    return lambda: {str(k): str(v) for k, v in choices}


def register_all() -> None:
    """Register the justice dimensions, populations and standard tables (once per process)."""
    from nrm.justice.choices import Instance, VictimRole
    from nrm.justice.sentences import BAND_ORDER, band_labels
    from nrm.reporting.tables import REPORTS

    if "justice_prosecutions" in REPORTS:
        return
    register_dimension(
        "compensation_status",
        "Compensation (furthest step)",
        order=COMPENSATION_STATUS,
        labels=lambda: {
            "paid": _("Paid"),
            "awarded": _("Awarded, not paid"),
            "claimed": _("Claimed, not awarded"),
            "none": _("Not claimed"),
        },
    )
    register_dimension("victim_role", "Victim's role in the proceeding", labels=_choice_labels(VictimRole.choices))
    register_dimension(
        "verdict_instance", "Instance of the verdict", order=["first", "final"], labels=_choice_labels(Instance.choices)
    )
    register_dimension("sentence_band", "Sentence length band", order=BAND_ORDER, labels=band_labels, always=BAND_ORDER)
    register_dimension(
        "asset_kind",
        "Assets seized or confiscated",
        order=list(AssetKind.values),
        labels=_choice_labels(AssetKind.choices),
    )
    register_population(
        Population("investigations", "Criminal investigations", INVESTIGATIONS, external=False), _investigations
    )
    register_population(Population("prosecutions", "Prosecutions", PROSECUTIONS, external=False), _prosecutions)
    register_population(Population("convictions", "Convicted persons", CONVICTIONS, external=False), _convictions)
    register_population(Population("suspects", "Suspected persons", SUSPECTS, external=False), _suspects)
    register_population(Population("prosecuted_persons", "Prosecuted persons", PROSECUTED, external=False), _prosecuted)
    register_population(
        Population(
            "sentenced_persons",
            "Persons convicted by a final verdict, by sentence",
            SENTENCES,
            external=False,
            counts_by=gettext_lazy("final verdict date"),
        ),
        _sentences,
    )
    register_population(
        Population(
            "asset_proceedings",
            "Proceedings with assets seized or confiscated",
            ASSETS,
            external=False,
            counts_by=gettext_lazy("date of the decision to seize or confiscate"),
        ),
        _assets,
    )
    register_population(
        Population("justice_victims", "Victims in criminal proceedings", VICTIMS, external=False), _victims
    )
    register_population(
        Population(
            "justice_to_verdict", "Identified victims with a first-instance verdict", TO_VERDICT, external=False
        ),
        _to_verdict,
    )
    for report in REPORTS_JUSTICE:
        register(report)


REPORTS_JUSTICE = [
    Report(
        "justice_investigations",
        gettext_lazy("Criminal investigations, by year and form of exploitation"),
        ("year", "exploitation"),
        "investigations",
        family="justice",
    ),
    Report(
        "justice_prosecutions",
        gettext_lazy("Prosecutions, by year and form of exploitation"),
        ("year", "exploitation"),
        "prosecutions",
        family="justice",
    ),
    Report(
        "justice_convictions",
        gettext_lazy("Persons convicted of trafficking by a final verdict, by year and form of exploitation"),
        ("year", "exploitation"),
        "convictions",
        {"verdict_instance": ["final"]},
        family="justice",
    ),
    Report(
        "justice_convictions_first_instance",
        gettext_lazy("Persons convicted of trafficking at first instance, by year and form of exploitation"),
        ("year", "exploitation"),
        "convictions",
        {"verdict_instance": ["first"]},
        family="justice",
    ),
    # Eurostat: suspected, prosecuted and convicted persons by sex (with age and citizenship groups).
    Report(
        "justice_suspected_sex_age",
        gettext_lazy("Persons suspected of trafficking, by year, sex and age group"),
        ("year", "sex", "age_group"),
        "suspects",
        family="justice",
    ),
    Report(
        "justice_suspected_citizenship",
        gettext_lazy("Persons suspected of trafficking, by year, citizenship (national, other EU, non-EU) and sex"),
        ("year", "citizenship_group", "sex"),
        "suspects",
        family="justice",
    ),
    Report(
        "justice_prosecuted_sex_age",
        gettext_lazy("Persons prosecuted for trafficking, by year, sex and age group"),
        ("year", "sex", "age_group"),
        "prosecuted_persons",
        family="justice",
    ),
    Report(
        "justice_prosecuted_citizenship",
        gettext_lazy("Persons prosecuted for trafficking, by year, citizenship (national, other EU, non-EU) and sex"),
        ("year", "citizenship_group", "sex"),
        "prosecuted_persons",
        family="justice",
    ),
    Report(
        "justice_convicted_sex_age",
        gettext_lazy("Persons convicted of trafficking by a final verdict, by year, sex and age group"),
        ("year", "sex", "age_group"),
        "convictions",
        {"verdict_instance": ["final"]},
        family="justice",
    ),
    Report(
        "justice_convicted_citizenship",
        gettext_lazy(
            "Persons convicted of trafficking by a final verdict, by year, citizenship (national, other EU, non-EU) "
            "and sex"
        ),
        ("year", "citizenship_group", "sex"),
        "convictions",
        {"verdict_instance": ["final"]},
        family="justice",
    ),
    # UNODC's Global Report (GLOTIP): convicted persons by sentence length, and assets confiscated.
    Report(
        "justice_convicted_sentence",
        gettext_lazy("Persons convicted of trafficking by a final verdict, by year, sentence length and sex"),
        ("year", "sentence_band", "sex"),
        "sentenced_persons",
        family="justice",
        description=gettext_lazy(
            "Each person once, by their most severe sentence in a final verdict; for UNODC's Global Report."
        ),
    ),
    Report(
        "justice_assets_confiscated",
        gettext_lazy("Proceedings with assets confiscated by a final decision, by year"),
        ("year",),
        "asset_proceedings",
        {"asset_kind": [AssetKind.CONFISCATED.value]},
        family="justice",
        description=gettext_lazy(
            "The amounts confiscated, by currency, are published only beside a count that is published."
        ),
    ),
    Report(
        "justice_assets_seized",
        gettext_lazy("Proceedings with assets seized provisionally, by year"),
        ("year",),
        "asset_proceedings",
        {"asset_kind": [AssetKind.SEIZED.value]},
        family="justice",
        description=gettext_lazy(
            "The amounts seized, by currency, are published only beside a count that is published."
        ),
    ),
    Report(
        "justice_victims_compensation",
        gettext_lazy("Victims in criminal proceedings, by year and compensation"),
        ("year", "compensation_status"),
        "justice_victims",
        family="justice",
        description=gettext_lazy("Amounts awarded and paid are published only beside a count that is published."),
    ),
    Report(
        "justice_victims_role",
        gettext_lazy("Victims in criminal proceedings, by year and role"),
        ("year", "victim_role"),
        "justice_victims",
        family="justice",
    ),
    Report(
        "justice_time_to_verdict",
        gettext_lazy("Identified victims with a first-instance verdict, by year"),
        ("year",),
        "justice_to_verdict",
        family="justice",
        description=gettext_lazy(
            "The median days from identification to verdict are published only beside a published count."
        ),
    ),
]
