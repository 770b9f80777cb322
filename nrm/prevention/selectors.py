"""Reads of prevention records, each starting from the access rule (:func:`prevention_filter`).

An organisation's staff see their organisation's records; the Coordinator's office and analysts
see every organisation's. A record outside the rule is a :class:`NotFound`, as a missing one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db.models import Count, IntegerField, Prefetch, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from nrm.accounts.access import (
    PreventionAction,
    get_or_deny,
    prevention_organisations,
    reads_national_statistics,
    restrict,
)
from nrm.accounts.models import Organisation, User
from nrm.actionplan.models import Task
from nrm.core.errors import NotFound
from nrm.core.params import year_or_none
from nrm.prevention.choices import EventKind, FeedMeasure, MaterialKind, Sex
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


def may_view(user: User) -> bool:
    """Return True if ``user`` reads any prevention records (their organisation's, or all nationally)."""
    return bool(prevention_organisations(user, PreventionAction.VIEW)) or reads_national_statistics(user)


def may_edit(user: User) -> bool:
    """Return True if ``user`` records prevention work for some organisation."""
    return bool(prevention_organisations(user, PreventionAction.EDIT))


def editable_organisations(user: User) -> QuerySet[Organisation]:
    """Return the organisations ``user`` records prevention work for."""
    return Organisation.objects.filter(pk__in=prevention_organisations(user, PreventionAction.EDIT)).order_by("name")


def _participants() -> Coalesce:
    return Coalesce(Sum("attendance__count"), Value(0), output_field=IntegerField())


_year = year_or_none


def _id(value) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


def event_list(
    user: User,
    *,
    year=None,
    kind: str = "",
    organiser=None,
    region: str = "",
    programme=None,
    task=None,
) -> QuerySet[Event]:
    """Return the events ``user`` may see, filtered, with ``participants`` summed; bad filters are ignored."""
    qs = restrict(Event.objects.all(), user, PreventionAction.VIEW)
    if (y := _year(year)) is not None:
        qs = qs.filter(starts_on__year=y)
    if kind:
        qs = qs.filter(kind=kind)
    if (o := _id(organiser)) is not None:
        qs = qs.filter(organiser_id=o)
    if region:
        qs = qs.filter(region=region)
    if (p := _id(programme)) is not None:
        qs = qs.filter(programme_id=p)
    if (t := _id(task)) is not None:
        qs = qs.filter(task_id=t)
    return (
        qs.select_related("organiser", "programme", "task")
        .defer("evaluation_summary")
        .annotate(participants=_participants())
        .order_by("-starts_on", "-id")
    )


def event_get(user: User, pk: int, action: PreventionAction = PreventionAction.VIEW) -> Event:
    """Return event ``pk`` with its attendance and partners if ``user`` may ``action`` it; else NotFound."""
    return get_or_deny(
        Event.objects.select_related("organiser", "programme", "task", "task__activity").prefetch_related(
            "partners",
            Prefetch(
                "attendance",
                queryset=Attendance.objects.select_related("profession", "organisation", "organisation_type"),
            ),
        ),
        user,
        action,
        object_type="prevention_event",
        audit_action="prevention.event.view" if action == PreventionAction.VIEW else "prevention.event.update",
        pk=pk,
    )


def event_editable(user: User, event: Event) -> bool:
    """Return True if ``user`` may edit ``event`` (staff of its organiser)."""
    return restrict(Event.objects.all(), user, PreventionAction.EDIT).filter(pk=event.pk).exists()


def participants_by_profession(event: Event) -> list[dict]:
    """Return the event's participants by profession and sex, in the professions' order, with totals."""
    rows: dict[int, dict] = {}
    for a in event.attendance.all():
        row = rows.setdefault(
            a.profession_id,
            {"profession": a.profession, "F": 0, "M": 0, "U": 0, "total": 0},
        )
        row[a.sex] += a.count
        row["total"] += a.count
    return sorted(rows.values(), key=lambda r: (r["profession"].sort_order, r["profession"].name))


def awareness_list(user: User, *, year=None, kind: str = "", organiser=None, region: str = "") -> QuerySet:
    """Return the awareness actions ``user`` may see, filtered, with ``distributed`` summed."""
    qs = restrict(AwarenessAction.objects.all(), user, PreventionAction.VIEW)
    if (y := _year(year)) is not None:
        qs = qs.filter(starts_on__year=y)
    if kind:
        qs = qs.filter(kind=kind)
    if (o := _id(organiser)) is not None:
        qs = qs.filter(organiser_id=o)
    if region:
        qs = qs.filter(region=region)
    return (
        qs.select_related("organiser", "programme", "task")
        .prefetch_related("materials")
        .annotate(distributed=Coalesce(Sum("materials__copies_distributed"), Value(0), output_field=IntegerField()))
        .order_by("-starts_on", "-id")
    )


def awareness_get(user: User, pk: int) -> AwarenessAction:
    """Return awareness action ``pk`` with its materials if ``user`` may see it; else NotFound."""
    return get_or_deny(
        AwarenessAction.objects.select_related("organiser", "programme", "task").prefetch_related("materials"),
        user,
        PreventionAction.VIEW,
        object_type="prevention_awareness",
        audit_action="prevention.awareness.view",
        pk=pk,
    )


def survey_list(user: User, *, year=None, organiser=None, region: str = "") -> QuerySet[KapSurvey]:
    """Return the KAP surveys ``user`` may see, filtered."""
    qs = restrict(KapSurvey.objects.all(), user, PreventionAction.VIEW)
    if (y := _year(year)) is not None:
        qs = qs.filter(conducted_from__year=y)
    if (o := _id(organiser)) is not None:
        qs = qs.filter(organiser_id=o)
    if region:
        qs = qs.filter(region=region)
    return (
        qs.select_related("organiser", "programme")
        .prefetch_related(Prefetch("results", queryset=KapResult.objects.order_by("pk")))
        .order_by("-conducted_from", "-id")
    )


def survey_get(user: User, pk: int) -> KapSurvey:
    """Return survey ``pk`` with its results if ``user`` may see it; else NotFound."""
    return get_or_deny(
        KapSurvey.objects.select_related("organiser", "programme").prefetch_related(
            Prefetch("results", queryset=KapResult.objects.order_by("pk"))
        ),
        user,
        PreventionAction.VIEW,
        object_type="prevention_survey",
        audit_action="prevention.survey.view",
        pk=pk,
    )


def professions() -> QuerySet[Profession]:
    return Profession.objects.all()


def regions(user: User) -> list[str]:
    """Return the regions of the events ``user`` may see, for the filters."""
    return sorted(
        set(
            restrict(Event.objects.all(), user, PreventionAction.VIEW)
            .exclude(region="")
            .values_list("region", flat=True)
            .distinct()
        )
    )


def organisers(user: User) -> QuerySet[Organisation]:
    """Return the organisations whose events ``user`` may see, for the filters."""
    seen = restrict(Event.objects.all(), user, PreventionAction.VIEW).values("organiser_id")
    return Organisation.objects.filter(pk__in=seen).order_by("name")


def year_summary(user: User, year: int) -> dict:
    """Return this year's figures of the records ``user`` may see: events, participants, materials, surveys."""
    events = restrict(Event.objects.all(), user, PreventionAction.VIEW).filter(starts_on__year=year)
    by_kind = dict(events.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    participants = dict(
        Attendance.objects.filter(event__in=events.values("pk"))
        .values_list("event__kind")
        .annotate(n=Sum("count"))
        .values_list("event__kind", "n")
    )
    materials = Material.objects.filter(
        action__in=restrict(AwarenessAction.objects.all(), user, PreventionAction.VIEW)
        .filter(starts_on__year=year)
        .values("pk")
    )
    return {
        "year": year,
        "kinds": [
            {"kind": k, "label": label, "events": by_kind.get(k, 0), "participants": participants.get(k, 0)}
            for k, label in EventKind.choices
        ],
        "events": sum(by_kind.values()),
        "participants": sum(participants.values()),
        "awareness": restrict(AwarenessAction.objects.all(), user, PreventionAction.VIEW)
        .filter(starts_on__year=year)
        .count(),
        "distributed": materials.aggregate(n=Coalesce(Sum("copies_distributed"), Value(0)))["n"],
        "surveys": restrict(KapSurvey.objects.all(), user, PreventionAction.VIEW)
        .filter(conducted_from__year=year)
        .count(),
    }


# --- Programme indicators ----------------------------------------------------------------------


def feed_list(user: User) -> QuerySet[IndicatorFeed]:
    """Return the indicator feeds: national readers (the Coordinator's office, analysts) see them all."""
    return restrict(
        IndicatorFeed.objects.select_related("indicator", "indicator__programme"), user, PreventionAction.VIEW
    )


def feed_get(user: User, pk: int) -> IndicatorFeed:
    """Return indicator feed ``pk`` to a national reader; anyone else, or a missing one, an audited NotFound."""
    return get_or_deny(
        IndicatorFeed.objects.select_related("indicator", "indicator__programme"),
        user,
        PreventionAction.VIEW,
        object_type="prevention_feed",
        audit_action="prevention.feed.view",
        pk=pk,
    )


def feed_figure(feed: IndicatorFeed, period_start: dt.date, period_end: dt.date) -> int:
    """Return ``feed``'s measure over the records of the indicator's programme that began in the period.

    National: every organisation's records count, whoever asks (only the Coordinator's office applies feeds).
    """
    programme = feed.indicator.programme_id
    events = Event.objects.filter(programme_id=programme, starts_on__gte=period_start, starts_on__lte=period_end)
    measure = feed.measure

    def participants(qs) -> int:
        return Attendance.objects.filter(event__in=qs.values("pk")).aggregate(n=Sum("count"))["n"] or 0

    if measure == FeedMeasure.PARTICIPANTS_TRAINED:
        return participants(events.filter(kind=EventKind.TRAINING))
    if measure == FeedMeasure.ROUND_TABLE_PARTICIPANTS:
        return participants(events.filter(kind=EventKind.ROUND_TABLE))
    if measure == FeedMeasure.EVENT_PARTICIPANTS:
        return participants(events.filter(kind=feed.event_kind))
    if measure == FeedMeasure.EVENTS:
        return events.filter(kind=feed.event_kind).count()
    if measure == FeedMeasure.MATERIALS_DISTRIBUTED:
        materials = Material.objects.filter(
            action__programme_id=programme, action__starts_on__gte=period_start, action__starts_on__lte=period_end
        )
        if feed.material_kind:
            materials = materials.filter(kind=feed.material_kind)
        return materials.aggregate(n=Sum("copies_distributed"))["n"] or 0
    surveys = KapSurvey.objects.filter(
        programme_id=programme, conducted_from__gte=period_start, conducted_from__lte=period_end
    )
    if measure == FeedMeasure.KAP_SURVEYS:
        return surveys.count()
    return surveys.aggregate(n=Sum("sample_size"))["n"] or 0


# --- Action Plan evidence ----------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def task_evidence(user: User, task: Task, year: int, month: int) -> dict:
    """Return what ``user`` may see of the prevention work linked to an action-plan ``task`` in a month.

    For the focal point filling the monthly report: the events that began in the month with
    their participants by profession, and the materials of awareness actions that began in it.
    """
    first, last = month_bounds(year, month)
    events = (
        restrict(Event.objects.all(), user, PreventionAction.VIEW)
        .filter(task=task)
        .filter(starts_on__gte=first, starts_on__lte=last)
        .select_related("organiser")
        .annotate(participants=_participants())
        .order_by("starts_on", "pk")
    )
    by_profession: dict[str, dict] = {}
    by_sex: dict[str, int] = defaultdict(int)
    for row in (
        Attendance.objects.filter(event__in=events.values("pk"))
        .values("profession__code", "profession__name", "profession__name_i18n", "profession__sort_order", "sex")
        .annotate(n=Sum("count"))
    ):
        item = by_profession.setdefault(
            row["profession__code"],
            {
                "code": row["profession__code"],
                "name": row["profession__name"],
                "name_i18n": row["profession__name_i18n"],
                "order": row["profession__sort_order"],
                "count": 0,
            },
        )
        item["count"] += row["n"]
        by_sex[row["sex"]] += row["n"]
    actions = restrict(AwarenessAction.objects.all(), user, PreventionAction.VIEW).filter(
        task=task, starts_on__gte=first, starts_on__lte=last
    )
    materials = (
        Material.objects.filter(action__in=actions.values("pk"))
        .values("kind")
        .annotate(items=Count("pk"), distributed=Sum("copies_distributed"))
        .order_by("kind")
    )
    kinds = dict(EventKind.choices)
    material_kinds = dict(MaterialKind.choices)
    event_rows = [
        {
            "id": e.pk,
            "title": e.title,
            "kind": e.kind,
            "kind_label": str(kinds.get(e.kind, e.kind)),
            "starts_on": e.starts_on.isoformat(),
            "organiser": e.organiser.name,
            "participants": e.participants,
        }
        for e in events
    ]
    return {
        "task": task.pk,
        "task_number": task.number,
        "month": f"{year:04d}-{month:02d}",
        "events": event_rows,
        "trainings": sum(1 for e in event_rows if e["kind"] == EventKind.TRAINING),
        "participants": sum(e["participants"] for e in event_rows),
        "participants_by_sex": {code: by_sex.get(code, 0) for code in Sex.values},
        "by_profession": [
            {k: v for k, v in p.items() if k != "order"}
            for p in sorted(by_profession.values(), key=lambda p: (p["order"], p["name"]))
        ],
        "awareness_actions": actions.count(),
        "materials": [
            {
                "kind": m["kind"],
                "kind_label": str(material_kinds.get(m["kind"], m["kind"])),
                "items": m["items"],
                "distributed": m["distributed"] or 0,
            }
            for m in materials
        ],
    }


def task_get(pk) -> Task:
    """Return the action-plan task ``pk`` (tasks are public reference data); NotFound if missing."""
    found = Task.objects.select_related("activity").filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound
    return found


def activity_evidence(user: User, activity_ids: list[int], year: int, month: int) -> dict[int, dict]:
    """Return, per action-plan activity, the prevention work ``user`` may see linked to its tasks in a month.

    For the monthly report form: {activity id: {"events", "participants", "distributed"}}, only
    for activities with something recorded. Two grouped queries, whatever the number of activities.
    """
    first, last = month_bounds(year, month)
    found: dict[int, dict] = {}
    events = (
        restrict(Event.objects.all(), user, PreventionAction.VIEW)
        .filter(task__activity__in=activity_ids)
        .filter(starts_on__gte=first, starts_on__lte=last)
        .values("task__activity")
        .annotate(events=Count("pk", distinct=True), participants=Coalesce(Sum("attendance__count"), Value(0)))
        .order_by()
    )
    for row in events:
        found[row["task__activity"]] = {"events": row["events"], "participants": row["participants"], "distributed": 0}
    materials = (
        Material.objects.filter(
            action__in=restrict(AwarenessAction.objects.all(), user, PreventionAction.VIEW)
            .filter(
                task__activity__in=activity_ids,
                starts_on__gte=first,
                starts_on__lte=last,
            )
            .values("pk")
        )
        .values("action__task__activity")
        .annotate(distributed=Coalesce(Sum("copies_distributed"), Value(0)))
        .order_by()
    )
    for row in materials:
        item = found.setdefault(row["action__task__activity"], {"events": 0, "participants": 0, "distributed": 0})
        item["distributed"] = row["distributed"]
    return found
