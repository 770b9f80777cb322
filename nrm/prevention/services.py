"""Writes of prevention: trainings and other events with their attendance, awareness actions with
their materials, KAP surveys with their results, and the feeds of programme indicators.

Keyword-only, one transaction, access checked inside it, the audit row written explicitly. Bad
input raises ``ValidationError`` naming the field (rows as ``attendance[0].count``) and stores
nothing. A record outside the actor's access is a :class:`~nrm.core.errors.NotFound`, audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nrm.accounts.access import PreventionAction, get_or_deny, prevention_organisations
from nrm.accounts.models import Organisation, OrganisationType, User
from nrm.actionplan.models import Task
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import invalid
from nrm.core.services import save_versioned
from nrm.core.validation import (
    TEXT_MAX_LENGTH,
    check_choice,
    check_count,
    check_decimal,
    check_instance,
    check_language,
    check_period,
    check_text,
)
from nrm.prevention.choices import (
    AwarenessKind,
    EventKind,
    FeedMeasure,
    KapDomain,
    KapMeasure,
    MaterialKind,
    Sex,
)
from nrm.prevention.models import (
    Attendance,
    AwarenessAction,
    Event,
    IndicatorFeed,
    KapResult,
    KapSurvey,
    Material,
    Profession,
)
from nrm.programmes.models import Indicator, IndicatorValue, Programme
from nrm.programmes.selectors import may_record
from nrm.programmes.services import indicator_value_record

MAX_COUNT = 100000  # participants of one group, copies of one material: a typo guard
EVENT_FIELDS = (
    "kind",
    "title",
    "topic",
    "starts_on",
    "ends_on",
    "organiser",
    "region",
    "location",
    "programme",
    "task",
    "forms_returned",
    "average_score",
    "share_useful",
    "evaluation_summary",
)


# --- Checks ------------------------------------------------------------------------------------


def _organiser(actor: User, organiser: Organisation | None) -> Organisation:
    """Return ``organiser`` if ``actor`` records prevention work for it; else an error on ``organiser``."""
    if organiser is None or organiser.pk not in prevention_organisations(actor, PreventionAction.EDIT):
        raise invalid("organiser", _("You cannot record prevention work for this organisation."))
    return organiser


def _profession(field: str, value: Any) -> Profession:
    if isinstance(value, Profession):
        return value
    found = Profession.objects.filter(code=value).first() if value else None
    if found is None:
        raise invalid(field, _("Unknown profession: %(code)s") % {"code": value})
    return found


def _attendance(rows: Iterable[Mapping[str, Any]]) -> list[Attendance]:
    """Return unsaved attendance rows, each checked; errors name ``attendance[i].field``."""
    out = []
    for i, row in enumerate(rows):
        name = f"attendance[{i}]"
        unknown = set(row) - {"profession", "organisation", "organisation_type", "sex", "count"}
        if unknown:
            raise invalid(f"{name}.{sorted(unknown)[0]}", _("Unknown field."))
        organisation = check_instance(f"{name}.organisation", row.get("organisation"), Organisation)
        org_type = row.get("organisation_type")
        if org_type and not isinstance(org_type, OrganisationType):
            found = OrganisationType.objects.filter(code=org_type).first()
            if found is None:
                raise invalid(
                    f"{name}.organisation_type", _("Unknown type of organisation: %(code)s") % {"code": org_type}
                )
            org_type = found
        if organisation is not None:
            if org_type is not None and org_type.pk != organisation.type_id:
                raise invalid(f"{name}.organisation_type", _("This is not the type of the organisation given."))
            org_type = organisation.type
        out.append(
            Attendance(
                profession=_profession(f"{name}.profession", row.get("profession")),
                organisation=organisation,
                organisation_type=org_type or None,
                sex=check_choice(f"{name}.sex", row.get("sex") or Sex.UNKNOWN, Sex),
                count=check_count(f"{name}.count", row.get("count"), maximum=MAX_COUNT),
            )
        )
    return out


def _event_values(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Return an event's fields checked and normalised; the first fault raises naming its field."""
    out = {
        "kind": check_choice("kind", values.get("kind"), EventKind),
        "title": check_text("title", values.get("title"), 300, required=True),
        "topic": check_text("topic", values.get("topic"), 300),
        "organiser": _organiser(actor, values.get("organiser")),
        "location": check_text("location", values.get("location"), 200),
        "programme": check_instance("programme", values.get("programme"), Programme),
        "task": check_instance("task", values.get("task"), Task),
        "forms_returned": check_count(
            "forms_returned", values.get("forms_returned"), minimum=0, required=False, maximum=MAX_COUNT
        ),
        "average_score": check_decimal("average_score", values.get("average_score"), Decimal(1), Decimal(5)),
        "share_useful": check_decimal("share_useful", values.get("share_useful"), Decimal(0), Decimal(100)),
        "evaluation_summary": check_text("evaluation_summary", values.get("evaluation_summary"), TEXT_MAX_LENGTH),
    }
    starts_on = values.get("starts_on")
    ends_on = values.get("ends_on") or starts_on  # a one-day event
    out["starts_on"], out["ends_on"] = check_period("starts_on", starts_on, "ends_on", ends_on)
    out["region"] = check_text("region", values.get("region"), 80) or out["organiser"].region
    if out["forms_returned"] == 0 and (out["average_score"] is not None or out["share_useful"] is not None):
        raise invalid("forms_returned", _("An evaluation needs at least one returned form."))
    return out


def _partners(partners: Iterable[Any] | None) -> list[Organisation] | None:
    if partners is None:
        return None
    return [check_instance("partners", p, Organisation) for p in partners]


def _check_attendance_total(event_values: dict, rows: list[Attendance]) -> None:
    forms = event_values.get("forms_returned")
    if forms and rows and forms > sum(r.count for r in rows):
        raise invalid("forms_returned", _("More evaluation forms than participants."))


# --- Events ------------------------------------------------------------------------------------


@atomic_audited
def event_record(
    *,
    actor: User,
    organiser: Organisation,
    kind: str,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    topic: str = "",
    region: str = "",
    location: str = "",
    partners: Iterable[Organisation] = (),
    programme: Programme | None = None,
    task: Task | None = None,
    attendance: Iterable[Mapping[str, Any]] = (),
    forms_returned: int | None = None,
    average_score: Decimal | None = None,
    share_useful: Decimal | None = None,
    evaluation_summary: str = "",
) -> Event:
    """Record a training, round table, seminar or conference with its participants by profession."""
    values = _event_values(actor, {k: v for k, v in locals().items() if k in EVENT_FIELDS})
    rows = _attendance(attendance)
    _check_attendance_total(values, rows)
    partner_objs = _partners(partners) or []
    event = Event.objects.create(created_by=actor, **values)
    event.partners.set(partner_objs)
    for row in rows:
        row.event = event
    Attendance.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="prevention.event.record",
        object_type="prevention_event",
        object_id=event.pk,
        organisation_id=event.organiser_id,
        detail={"kind": event.kind, "participants": sum(r.count for r in rows)},
    )
    return event


@atomic_audited
def event_update(
    *,
    actor: User,
    event: Event,
    expected_version: int,
    attendance: Iterable[Mapping[str, Any]] | None = None,
    partners: Iterable[Organisation] | None = None,
    **changes: Any,
) -> Event:
    """Change an event, its partners and (when given) replace its attendance; a stale version is a Conflict."""
    found = get_or_deny(
        Event.objects.select_for_update().select_related("organiser"),
        actor,
        PreventionAction.EDIT,
        object_type="prevention_event",
        audit_action="prevention.event.update",
        pk=event.pk,
    )
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    current = {name: getattr(found, name) for name in EVENT_FIELDS}
    values = _event_values(actor, {**current, **changes})
    rows = _attendance(attendance) if attendance is not None else None
    _check_attendance_total(values, rows if rows is not None else list(found.attendance.all()))
    partner_objs = _partners(partners)
    changed = sorted(name for name in EVENT_FIELDS if values[name] != current[name])
    for name in EVENT_FIELDS:
        setattr(found, name, values[name])
    save_versioned(found, expected_version=expected_version, fields=list(EVENT_FIELDS))
    if partner_objs is not None:
        found.partners.set(partner_objs)
        changed.append("partners")
    if rows is not None:
        found.attendance.all().delete()
        for row in rows:
            row.event = found
        Attendance.objects.bulk_create(rows)
        changed.append("attendance")
    audit_record(
        actor=actor,
        action="prevention.event.update",
        object_type="prevention_event",
        object_id=found.pk,
        organisation_id=found.organiser_id,
        detail={"fields": changed},
    )
    return found


# --- Awareness ---------------------------------------------------------------------------------


def _materials(rows: Iterable[Mapping[str, Any]]) -> list[Material]:
    """Return unsaved materials, each checked; errors name ``materials[i].field``."""
    out = []
    for i, row in enumerate(rows):
        name = f"materials[{i}]"
        produced = check_count(
            f"{name}.copies_produced", row.get("copies_produced"), minimum=0, required=False, maximum=MAX_COUNT
        )
        distributed = check_count(
            f"{name}.copies_distributed", row.get("copies_distributed") or 0, minimum=0, maximum=MAX_COUNT
        )
        if produced is not None and distributed > produced:
            raise invalid(f"{name}.copies_distributed", _("More copies distributed than produced."))
        out.append(
            Material(
                kind=check_choice(f"{name}.kind", row.get("kind"), MaterialKind),
                language=check_language(f"{name}.language", row.get("language")),
                title=check_text(f"{name}.title", row.get("title"), 300, required=True),
                copies_produced=produced,
                copies_distributed=distributed,
                distributed_where=check_text(f"{name}.distributed_where", row.get("distributed_where"), 300),
            )
        )
    return out


@atomic_audited
def awareness_record(
    *,
    actor: User,
    organiser: Organisation,
    kind: str,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    region: str = "",
    location: str = "",
    audience: str = "",
    programme: Programme | None = None,
    task: Task | None = None,
    materials: Iterable[Mapping[str, Any]] = (),
) -> AwarenessAction:
    """Record an awareness action with the materials it produced and distributed."""
    organiser = _organiser(actor, organiser)
    starts_on, ends_on = check_period("starts_on", starts_on, "ends_on", ends_on, end_required=False)
    action = AwarenessAction(
        kind=check_choice("kind", kind, AwarenessKind),
        title=check_text("title", title, 300, required=True),
        starts_on=starts_on,
        ends_on=ends_on,
        organiser=organiser,
        region=check_text("region", region, 80) or organiser.region,
        location=check_text("location", location, 200),
        audience=check_text("audience", audience, 200),
        programme=check_instance("programme", programme, Programme),
        task=check_instance("task", task, Task),
        created_by=actor,
    )
    rows = _materials(materials)
    action.save()
    for row in rows:
        row.action = action
    Material.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="prevention.awareness.record",
        object_type="prevention_awareness",
        object_id=action.pk,
        organisation_id=organiser.pk,
        detail={"kind": action.kind, "materials": len(rows), "distributed": sum(r.copies_distributed for r in rows)},
    )
    return action


@atomic_audited
def material_add(*, actor: User, action: AwarenessAction, **row: Any) -> Material:
    """Add one material to an awareness action of the actor's organisation."""
    found = get_or_deny(
        AwarenessAction.objects.all(),
        actor,
        PreventionAction.EDIT,
        object_type="prevention_awareness",
        audit_action="prevention.material.add",
        pk=action.pk,
    )
    try:
        (material,) = _materials([row])
    except ValidationError as exc:
        # Name the field without the row index: there is one row.
        field, messages = next(iter(exc.message_dict.items()))
        raise invalid(field.removeprefix("materials[0]."), messages[0]) from None
    material.action = found
    material.save()
    audit_record(
        actor=actor,
        action="prevention.material.add",
        object_type="prevention_awareness",
        object_id=found.pk,
        organisation_id=found.organiser_id,
        detail={"material": material.pk, "kind": material.kind, "distributed": material.copies_distributed},
    )
    return material


# --- KAP surveys -------------------------------------------------------------------------------


RANGES = {
    KapMeasure.PERCENT: (Decimal(0), Decimal(100)),
    KapMeasure.MEAN_SCORE: (Decimal(1), Decimal(5)),
}


def _results(rows: Iterable[Mapping[str, Any]], sample_size: int) -> list[KapResult]:
    """Return unsaved survey results, each checked; errors name ``results[i].field``."""
    out = []
    for i, row in enumerate(rows):
        name = f"results[{i}]"
        measure = check_choice(f"{name}.measure", row.get("measure"), KapMeasure)
        low, high = RANGES[measure]
        respondents = check_count(f"{name}.respondents", row.get("respondents"), required=False, maximum=MAX_COUNT)
        if respondents is not None and respondents > sample_size:
            raise invalid(f"{name}.respondents", _("More respondents than the sample."))
        out.append(
            KapResult(
                domain=check_choice(f"{name}.domain", row.get("domain"), KapDomain),
                statement=check_text(f"{name}.statement", row.get("statement"), 400, required=True),
                measure=measure,
                baseline=check_decimal(f"{name}.baseline", row.get("baseline"), low, high),
                result=check_decimal(f"{name}.result", row.get("result"), low, high, required=True),
                respondents=respondents,
            )
        )
    return out


@atomic_audited
def survey_record(
    *,
    actor: User,
    organiser: Organisation,
    title: str,
    conducted_from: dt.date,
    conducted_to: dt.date,
    population: str,
    sample_size: int,
    region: str = "",
    method: str = "",
    programme: Programme | None = None,
    results: Iterable[Mapping[str, Any]] = (),
) -> KapSurvey:
    """Record a knowledge, attitudes and practices survey with its results."""
    organiser = _organiser(actor, organiser)
    conducted_from, conducted_to = check_period("conducted_from", conducted_from, "conducted_to", conducted_to)
    sample = check_count("sample_size", sample_size, maximum=MAX_COUNT)
    survey = KapSurvey(
        title=check_text("title", title, 300, required=True),
        organiser=organiser,
        conducted_from=conducted_from,
        conducted_to=conducted_to,
        population=check_text("population", population, 300, required=True),
        region=check_text("region", region, 80),
        sample_size=sample,
        method=check_text("method", method, 200),
        programme=check_instance("programme", programme, Programme),
        created_by=actor,
    )
    rows = _results(results, sample)
    survey.save()
    for row in rows:
        row.survey = survey
    KapResult.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="prevention.survey.record",
        object_type="prevention_survey",
        object_id=survey.pk,
        organisation_id=organiser.pk,
        detail={"sample_size": sample, "results": len(rows)},
    )
    return survey


# --- Programme indicators ----------------------------------------------------------------------

NEEDS_EVENT_KIND = {FeedMeasure.EVENTS, FeedMeasure.EVENT_PARTICIPANTS}


@atomic_audited
def indicator_feed_define(
    *, actor: User, indicator: Indicator, measure: str, event_kind: str = "", material_kind: str = ""
) -> IndicatorFeed:
    """Say which measure of the prevention records feeds ``indicator``; the Coordinator's office only."""
    if not may_record(actor):
        raise denied(
            actor=actor, action="prevention.feed.define", object_type="programme_indicator", object_id=indicator.pk
        )
    check_choice("measure", measure, FeedMeasure)
    if event_kind:
        check_choice("event_kind", event_kind, EventKind)
    if material_kind:
        check_choice("material_kind", material_kind, MaterialKind)
    if measure in NEEDS_EVENT_KIND and not event_kind:
        raise invalid("event_kind", _("Say which kind of event is counted."))
    if measure not in NEEDS_EVENT_KIND and event_kind:
        raise invalid("event_kind", _("This measure does not count events of a kind."))
    if measure != FeedMeasure.MATERIALS_DISTRIBUTED and material_kind:
        raise invalid("material_kind", _("This measure does not count materials."))
    feed, created = IndicatorFeed.objects.update_or_create(
        indicator=indicator,
        defaults={"measure": measure, "event_kind": event_kind, "material_kind": material_kind, "created_by": actor},
    )
    audit_record(
        actor=actor,
        action="prevention.feed.define",
        object_type="prevention_feed",
        object_id=feed.pk,
        detail={
            "indicator": indicator.code,
            "programme": indicator.programme_id,
            "measure": measure,
            "event_kind": event_kind,
            "material_kind": material_kind,
            "created": created,
        },
    )
    return feed


@atomic_audited
def indicator_feed_apply(
    *, actor: User, feed: IndicatorFeed, period_start: dt.date, period_end: dt.date
) -> IndicatorValue:
    """Compute ``feed``'s figure for the period and record it as the indicator's actual value.

    Counts the records linked to the indicator's programme that began in the period; the value
    is written by the programmes' own service, so a second apply for the same period replaces it.
    """
    from nrm.prevention.selectors import feed_figure

    if not may_record(actor):
        raise denied(actor=actor, action="prevention.feed.apply", object_type="prevention_feed", object_id=feed.pk)
    period_start, period_end = check_period("period_start", period_start, "period_end", period_end)
    figure = feed_figure(feed, period_start, period_end)
    value = indicator_value_record(
        actor=actor,
        indicator=feed.indicator,
        period_start=period_start,
        period_end=period_end,
        value=Decimal(figure),
        source=_("Computed from the prevention records"),
        period_text=f"{period_start.isoformat()} – {period_end.isoformat()}",
    )
    audit_record(
        actor=actor,
        action="prevention.feed.apply",
        object_type="prevention_feed",
        object_id=feed.pk,
        detail={
            "indicator": feed.indicator.code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "value": figure,
        },
    )
    return value
