"""Reads of donor programmes, and who may read and write them.

Programme data is not personal: anyone signed in with a role in some organisation reads every
programme; only the National Coordinator's office records indicator values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, has_role, member_organisations, restrict
from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.core.errors import NotFound
from nrm.programmes.choices import IATI_ROLE
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
# Who reports the activities: the national mechanism this system runs (IATI type 10, government).
REPORTING_ORG_NAME = "National Referral Mechanism (Office of the National Anti-Trafficking Coordinator)"


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


def programme_iati(programme: Programme, *, country: str = "RS") -> dict:
    """Return the programme as an IATI 2.03 activity, in JSON (element names as in the XML schema).

    Only what the source gives: no transactions; donors become funding participating-orgs without
    a ``ref`` (the seeds name no IATI organisation identifiers); national partners, who have no
    IATI role, are left out. Results are output results (type 1) with their actual values.
    """

    def narrative(text: str) -> dict:
        return {"narrative": [{"text": text, "xml:lang": "en"}]}

    orgs = [
        {"role": IATI_ROLE[p.role], **narrative(p.organisation.name)}
        for p in programme.partners.all()
        if p.role in IATI_ROLE
    ]
    orgs += [{"role": "1", **narrative(line.donor)} for line in programme.funding.all()]
    dates = []
    if programme.period_start:
        dates.append({"type": "2", "iso-date": _date(programme.period_start)})
    if programme.period_end:
        dates.append({"type": "3", "iso-date": _date(programme.period_end)})
    activity: dict = {
        "iati-identifier": f"XM-NRM-{country}-{programme.code}",
        "default-currency": programme.budget_currency or None,
        "reporting-org": {"ref": f"XM-NRM-{country}", "type": "10", **narrative(REPORTING_ORG_NAME)},
        "title": narrative(programme.title),
        "description": [{"type": "1", **narrative(programme.description)}] if programme.description else [],
        "participating-org": orgs,
        "activity-status": {"code": activity_status(programme)},
        "activity-date": dates,
        "recipient-country": [{"code": country, "percentage": "100"}],
        "budget": [],
        "result": [],
    }
    if programme.budget_amount is not None and programme.period_start and programme.period_end:
        activity["budget"].append(
            {
                "type": "1",
                "status": "2",
                "period-start": {"iso-date": _date(programme.period_start)},
                "period-end": {"iso-date": _date(programme.period_end)},
                "value": {
                    "currency": programme.budget_currency,
                    "value-date": _date(programme.period_start),
                    "text": _amount(programme.budget_amount),
                },
            }
        )
    for indicator in programme.indicators.all():
        periods = []
        for v in indicator.values.all():
            period: dict = {"period-start": {"iso-date": _date(v.period_start)}}
            if v.period_end:  # a value "to date" has no end the source states
                period["period-end"] = {"iso-date": _date(v.period_end)}
            period["actual"] = [{"value": _amount(v.value)}]
            periods.append(period)
        entry: dict = {
            "measure": "1",
            "title": narrative(indicator.name),
            "period": periods,
        }
        if indicator.baseline is not None:
            entry["baseline"] = [{"value": _amount(indicator.baseline)}]
        if indicator.target is not None:
            entry["target"] = [{"value": _amount(indicator.target)}]
        activity["result"].append(
            {
                "type": "1",
                "title": narrative(indicator.output.title if indicator.output else indicator.name),
                "indicator": [entry],
            }
        )
    return {"version": "2.03", "iati-activity": activity}
