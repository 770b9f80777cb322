"""Reads of donor programmes, and who may read and write them.

Programme data is not personal: anyone signed in with a role in some organisation reads every
programme; only the National Coordinator's office records indicator values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, has_role, member_organisations, restrict
from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.core.errors import NotFound
from nrm.programmes.choices import IATI_ROLE, PartnerRole
from nrm.programmes.models import (
    FundingLine,
    Indicator,
    IndicatorValue,
    Objective,
    Outcome,
    Output,
    Programme,
    ProgrammePartner,
)

WRITE_ROLES = {Role.COORDINATOR}


def may_read(user: User) -> bool:
    """Return True if ``user`` holds any active role in any organisation."""
    return bool(member_organisations(user))


def may_record(user: User) -> bool:
    """Return True if ``user`` may record indicator values (the Coordinator's office)."""
    return has_role(user, *WRITE_ROLES)


def programme_list(
    user: User, *, donor: str = "", partner: int | None = None, year: int | None = None
) -> QuerySet[Programme]:
    """Return the programmes ``user`` may read, with what their summaries need prefetched.

    ``donor`` keeps programmes with a funding line of that donor; ``partner`` those where that
    organisation has any role; ``year`` those running in that year (no end: still running).
    """
    qs = restrict(Programme.objects.all(), user, Action.VIEW)
    if donor:
        qs = qs.filter(pk__in=FundingLine.objects.filter(donor__iexact=donor).values("programme_id"))
    if partner:
        qs = qs.filter(pk__in=ProgrammePartner.objects.filter(organisation_id=partner).values("programme_id"))
    if year:
        qs = qs.filter(period_start__year__lte=year).filter(Q(period_end__isnull=True) | Q(period_end__year__gte=year))
    return qs.prefetch_related(
        Prefetch("partners", queryset=ProgrammePartner.objects.select_related("organisation")),
        "funding",
        Prefetch(
            "indicators",
            queryset=Indicator.objects.select_related("output").prefetch_related(
                Prefetch("values", queryset=IndicatorValue.objects.order_by("period_start", "pk"))
            ),
        ),
    ).order_by("code")


def programme_get(user: User, pk: int) -> Programme:
    """Return programme ``pk`` with its results framework prefetched; NotFound if missing or unreadable."""
    programme = (
        programme_list(user)
        .prefetch_related(
            "objectives",
            Prefetch("outcomes", queryset=Outcome.objects.select_related("objective")),
            Prefetch("outputs", queryset=Output.objects.select_related("outcome")),
            "documents",
            "sectors",
        )
        .filter(pk=pk)
        .first()
    )
    if programme is None:
        raise NotFound
    return programme


def donor_choices(user: User) -> list[str]:
    """Return the donors named in the programmes ``user`` may read, for a filter."""
    if not may_read(user):
        return []
    return sorted(set(FundingLine.objects.values_list("donor", flat=True)), key=str.casefold)


def partner_choices(user: User) -> list[tuple[int, str]]:
    """Return the organisations with a part in the programmes ``user`` may read, for a filter."""
    if not may_read(user):
        return []
    rows = ProgrammePartner.objects.values_list("organisation_id", "organisation__name").distinct()
    return sorted(set(rows), key=lambda r: r[1].casefold())


def indicator_get(user: User, programme: Programme, pk: int) -> Indicator:
    """Return indicator ``pk`` of ``programme`` (already read through :func:`programme_get`)."""
    if not may_read(user):
        raise NotFound
    indicator = Indicator.objects.filter(programme=programme, pk=pk).select_related("programme", "output").first()
    if indicator is None:
        raise NotFound
    return indicator


def output_choices(programme: Programme) -> QuerySet[Output]:
    """Return the outputs an indicator of ``programme`` may sit under."""
    return Output.objects.filter(programme=programme).order_by("number")


def progress(indicator: Indicator) -> dict:
    """Return the latest actual value and how far it went from baseline towards target.

    Percent is (latest - baseline) / (target - baseline), the baseline counting as 0 when the
    source gives none; it may pass 100 and works for targets below the baseline too.
    """
    values = list(indicator.values.all())
    latest = values[-1] if values else None
    result: dict = {"latest": latest, "percent": None, "reached": False}
    if indicator.target is None:
        result["text"] = _("No target set.")
        return result
    if latest is None:
        result["text"] = _("No actual value recorded yet.")
        return result
    base = indicator.baseline or Decimal(0)
    span = indicator.target - base
    if span == 0:
        percent = Decimal(100) if latest.value == indicator.target else Decimal(0)
    else:
        percent = (latest.value - base) / span * 100
    result["percent"] = int(percent.quantize(Decimal(1)))
    result["reached"] = percent >= 100
    if result["reached"]:
        result["text"] = _("Target reached.")
    else:
        result["text"] = _("%(percent)s%% of the way from baseline to target.") % {"percent": result["percent"]}
    return result


def framework(programme: Programme) -> list[dict]:
    """Return the results framework as a tree: objectives, outcomes, outputs, indicators.

    Entries the source does not attach to a parent are gathered under a ``None`` parent, so
    that nothing is left out of the page.
    """
    indicators = list(programme.indicators.all())
    outputs = list(programme.outputs.all())
    outcomes = list(programme.outcomes.all())

    def output_node(output: Output | None) -> dict:
        pk = output.pk if output else None
        items = [{"indicator": i, "progress": progress(i)} for i in indicators if i.output_id == pk]
        return {"output": output, "indicators": items}

    def outcome_node(outcome: Outcome | None) -> dict:
        pk = outcome.pk if outcome else None
        nodes = [output_node(o) for o in outputs if o.outcome_id == pk]
        if outcome is None:
            loose = output_node(None)
            if loose["indicators"]:
                nodes.append(loose)
        return {"outcome": outcome, "outputs": nodes}

    tree = []
    objectives: list[Objective | None] = [*programme.objectives.all(), None]
    for objective in objectives:
        pk = objective.pk if objective else None
        nodes = [outcome_node(c) for c in outcomes if c.objective_id == pk]
        if objective is None:
            loose = outcome_node(None)
            if loose["outputs"]:
                nodes.append(loose)
            if not nodes:
                continue
        tree.append({"objective": objective, "outcomes": nodes})
    return tree


def programme_rows(programmes) -> list[dict]:
    """Return the list page's and CSV's row of each programme."""
    rows = []
    for p in programmes:
        rows.append(
            {
                "programme": p,
                "donors": sorted({line.donor for line in p.funding.all()}, key=str.casefold),
                "indicators": len(p.indicators.all()),
            }
        )
    return rows


VALUE_COLUMNS = [
    "programme",
    "indicator_code",
    "indicator",
    "unit",
    "baseline",
    "target",
    "period_start",
    "period_end",
    "period_text",
    "value",
    "source",
]


def value_rows(programme: Programme) -> list[list]:
    """Return one row per recorded value of ``programme``'s indicators (one per indicator without any)."""
    rows = []
    for i in programme.indicators.all():
        common = [programme.code, i.code, i.name, i.unit, i.baseline, i.target]
        values = list(i.values.all())
        if not values:
            rows.append([*common, None, None, "", None, ""])
        for v in values:
            rows.append([*common, v.period_start, v.period_end, v.period_text, v.value, v.source])
    return rows


def activity_status(programme: Programme, today: dt.date | None = None) -> str:
    """Return the IATI ActivityStatus code the programme's dates imply (1 pipeline, 2 running, 4 closed)."""
    today = today or timezone.localdate()
    if programme.period_start and programme.period_start > today:
        return "1"
    if programme.period_end and programme.period_end < today:
        return "4"
    return "2"


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _date(value) -> str | None:
    return value.isoformat() if value else None


def value_dict(value: IndicatorValue) -> dict:
    return {
        "id": value.pk,
        "period_start": _date(value.period_start),
        "period_end": _date(value.period_end),
        "period_text": value.period_text,
        "value": _amount(value.value),
        "source": value.source,
        "source_text": value.source_text,
    }


def indicator_dict(indicator: Indicator) -> dict:
    values = list(indicator.values.all())
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "output": indicator.output.number if indicator.output else None,
        "baseline": _amount(indicator.baseline),
        "target": _amount(indicator.target),
        "actual": value_dict(values[-1]) if values else None,
        "values": [value_dict(v) for v in values],
    }


def funding_dict(programme: Programme) -> dict:
    """Return the funding per donor and the totals per currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    lines = []
    for line in programme.funding.all():
        totals[line.currency] += line.amount
        lines.append(
            {
                "donor": line.donor,
                "amount": _amount(line.amount),
                "currency": line.currency,
                "source_text": line.source_text,
            }
        )
    return {
        "budget": (
            {
                "amount": _amount(programme.budget_amount),
                "currency": programme.budget_currency,
                "source_text": programme.budget_source_text,
            }
            if programme.budget_amount is not None
            else None
        ),
        "donors": lines,
        "totals": [{"currency": c, "amount": _amount(a)} for c, a in sorted(totals.items())],
    }


def programme_summary(programme: Programme) -> dict:
    """Return a programme with its partners, funding and indicators' actual values."""
    return {
        "id": programme.pk,
        "code": programme.code,
        "title": programme.title,
        "period_start": _date(programme.period_start),
        "period_end": _date(programme.period_end),
        "period_text": programme.period_text,
        "source": programme.source,
        "partners": [
            {"organisation": p.organisation_id, "name": p.organisation.name, "role": p.role, "note": p.note}
            for p in programme.partners.all()
        ],
        "funding": funding_dict(programme),
        "indicators": [indicator_dict(i) for i in programme.indicators.all()],
    }


def programme_detail(programme: Programme) -> dict:
    """Return :func:`programme_summary` plus description, objectives, outcomes, outputs and documents."""
    outcomes = list(programme.outcomes.all())
    return {
        **programme_summary(programme),
        "description": programme.description,
        "secondary_reporter": programme.secondary_reporter,
        "sectors": [
            {"code": s.code, "percentage": _amount(s.percentage), "inferred": s.inferred}
            for s in programme.sectors.all()
        ],
        "objectives": [
            {
                "number": o.number,
                "title": o.title,
                "outcomes": [c.number for c in outcomes if c.objective_id == o.pk],
            }
            for o in programme.objectives.all()
        ],
        "outcomes": [
            {
                "number": c.number,
                "title": c.title,
                "objective": c.objective.number if c.objective else None,
                "objective_inferred": c.objective_inferred,
            }
            for c in outcomes
        ],
        "outputs": [
            {"number": o.number, "title": o.title, "outcome": o.outcome.number if o.outcome_id else None}
            for o in programme.outputs.all()
        ],
        "documents": [{"title": d.title, "reference": d.reference} for d in programme.documents.all()],
    }


def budget_periods(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Split ``start``..``end`` into IATI budget periods of at most a year: one per year from ``start``."""
    periods = []
    while start <= end:
        try:
            next_start = start.replace(year=start.year + 1)
        except ValueError:  # 29 February
            next_start = start.replace(year=start.year + 1, day=28)
        last = min(end, next_start - dt.timedelta(days=1))
        periods.append((start, last))
        start = last + dt.timedelta(days=1)
    return periods


def apportion(total: Decimal, periods: list[tuple[dt.date, dt.date]]) -> list[Decimal]:
    """Share ``total`` among ``periods`` by their days, in cents, the last taking the rounding."""
    days = [(b - a).days + 1 for a, b in periods]
    whole = sum(days)
    shares = [(total * d / whole).quantize(Decimal("0.01")) for d in days[:-1]]
    return [*shares, total - sum(shares)]


def programme_iati(programme: Programme, *, country: str | None = None, today: dt.date | None = None) -> dict:
    """Return the programme as an IATI 2.03 activity, in JSON (element names as in the XML schema).

    What IATI's rules ask and how the data meets them (``nrm.programmes.iati_rules`` checks it):
    the identifier starts with the reporting organisation's (``NRM_IATI_REPORTING_ORG_REF``);
    ``secondary-reporter`` when the programme is another organisation's activity; sectors as
    DAC 5-digit codes adding up to 100%; the budget in periods of at most a year (a total the
    source gives for a longer period is shared among its years by days, published as indicative);
    each donor's funding line as an incoming commitment (type 11) dated when committed, else at
    the programme's start, never in the future; results whose periods start before they end: a
    value "to date" ends on the day it was recorded, and the indicator's target sits once, in a
    period over the programme's dates, not repeated in every period.
    """
    country = country or settings.NRM_COUNTRY
    today = today or timezone.localdate()

    def narrative(text: str) -> dict:
        return {"narrative": [{"text": text, "xml:lang": "en"}]}

    reporting_ref = settings.NRM_IATI_REPORTING_ORG_REF
    orgs = [
        {"role": IATI_ROLE[p.role], **narrative(p.organisation.name)}
        for p in programme.partners.all()
        if p.role in IATI_ROLE
    ]
    if not programme.secondary_reporter:
        # The Coordinator's own activity: the reporting organisation is the accountable one.
        orgs.insert(0, {"ref": reporting_ref, "role": "2", **narrative(settings.NRM_IATI_REPORTING_ORG_NAME)})
    funding = list(programme.funding.all())
    named = {o["narrative"][0]["text"] for o in orgs if o["role"] == "1"}
    orgs += [{"role": "1", **narrative(line.donor)} for line in funding if line.donor not in named]
    dates = []
    if programme.period_start:
        # Actual start (2) only once it has happened: IATI refuses an actual date in the future.
        dates.append(
            {"type": "2" if programme.period_start <= today else "1", "iso-date": _date(programme.period_start)}
        )
    if programme.period_end:
        # Planned end (3): the sources give the planned period, never when it actually ended.
        dates.append({"type": "3", "iso-date": _date(programme.period_end)})
    reporting = {"ref": reporting_ref, "type": settings.NRM_IATI_REPORTING_ORG_TYPE}
    if programme.secondary_reporter:
        reporting["secondary-reporter"] = "1"
    activity: dict = {
        "iati-identifier": f"{reporting_ref}-{programme.code}",
        "default-currency": programme.budget_currency or (funding[0].currency if funding else None),
        "reporting-org": {**reporting, **narrative(settings.NRM_IATI_REPORTING_ORG_NAME)},
        "title": narrative(programme.title),
        "description": [{"type": "1", **narrative(programme.description)}] if programme.description else [],
        "participating-org": orgs,
        "activity-status": {"code": activity_status(programme, today)},
        "activity-date": dates,
        "recipient-country": [{"code": country, "percentage": "100"}],
        "sector": [
            {"vocabulary": "1", "code": s.code, "percentage": _amount(s.percentage)} for s in programme.sectors.all()
        ],
        "budget": [],
        "transaction": [],
        "result": [],
    }
    if programme.budget_amount is not None and programme.period_start and programme.period_end:
        periods = budget_periods(programme.period_start, programme.period_end)
        # One period: the source's committed figure. Several: our sharing of it, so indicative.
        status = "2" if len(periods) == 1 else "1"
        for (start, end), amount in zip(periods, apportion(programme.budget_amount, periods), strict=True):
            activity["budget"].append(
                {
                    "type": "1",
                    "status": status,
                    "period-start": {"iso-date": _date(start)},
                    "period-end": {"iso-date": _date(end)},
                    "value": {
                        "currency": programme.budget_currency,
                        "value-date": _date(start),
                        "text": _amount(amount),
                    },
                }
            )
    # Who receives donor money: the accountable organisation, else the first implementing one,
    # else (the Coordinator's own activity) the reporting organisation.
    runners = sorted(
        (p for p in programme.partners.all() if p.role in (PartnerRole.ACCOUNTABLE, PartnerRole.IMPLEMENTING)),
        key=lambda p: p.role != PartnerRole.ACCOUNTABLE,
    )
    receiver = (
        narrative(runners[0].organisation.name)
        if runners
        else {"ref": reporting_ref, **narrative(settings.NRM_IATI_REPORTING_ORG_NAME)}
    )
    for line in funding:
        when = line.committed_on or programme.period_start
        if when is None or when > today:
            continue  # IATI refuses a transaction without a date or dated in the future
        activity["transaction"].append(
            {
                "transaction-type": {"code": "11"},
                "transaction-date": {"iso-date": _date(when)},
                "value": {"currency": line.currency, "value-date": _date(when), "text": _amount(line.amount)},
                "description": narrative(line.source_text or line.donor),
                "provider-org": narrative(line.donor),
                "receiver-org": receiver,
            }
        )
    for indicator in programme.indicators.all():
        periods = []
        values = list(indicator.values.all())  # read once: the periods, the target's and the baseline's
        for v in values:
            # A value "to date" runs to the source's date, else to the day it was recorded (never the export's).
            recorded = timezone.localdate(v.recorded_at) if v.recorded_at else today
            end = v.period_end or max(v.period_start, v.as_of or recorded)
            periods.append(
                {
                    "period-start": {"iso-date": _date(v.period_start)},
                    "period-end": {"iso-date": _date(end)},
                    "to-date": v.period_end is None,
                    "actual": [{"value": _amount(v.value)}],
                }
            )
        if indicator.target is not None:
            # The target is for the programme's whole period (to its last value or today while it runs).
            ends = [p["period-end"]["iso-date"] for p in periods]
            first = programme.period_start or (min(v.period_start for v in values) if values else today)
            last = _date(programme.period_end) or (max(ends) if ends else _date(today))
            periods.append(
                {
                    "period-start": {"iso-date": _date(first)},
                    "period-end": {"iso-date": last},
                    "target": [{"value": _amount(indicator.target)}],
                    "actual": [],
                }
            )
        entry: dict = {"measure": "1", "title": narrative(indicator.name), "period": periods}
        if indicator.baseline is not None:
            year = (programme.period_start or (values[0].period_start if values else today)).year
            entry["baseline"] = [{"year": str(year), "value": _amount(indicator.baseline)}]
        activity["result"].append(
            {
                "type": "1",
                "title": narrative(indicator.output.title if indicator.output else indicator.name),
                "indicator": [entry],
            }
        )
    return {"version": "2.03", "iati-activity": activity}
