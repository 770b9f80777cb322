"""Synthetic early-warning data for the demo: ~400 observations from January 2025, thresholds, alerts.

Every record is invented and made through the services, so alerts are raised by the same rule
as in real use. History is replayed month by month: each month's observations are recorded, then
the cells are evaluated as of the month's end (the alerts and their steps carry those dates);
the last 90 days are evaluated live, as each observation is recorded. A few hot spots (a group
in a region for a few months) raise the alerts; some are acknowledged and closed. Deterministic
for a given seed and end date; a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.audit.services import audit_record_many
from nrm.core.bulk import insert_many
from nrm.demo.generator import _staff
from nrm.earlywarning import risk, services
from nrm.earlywarning.choices import AlertStatus
from nrm.earlywarning.models import Alert, AlertThreshold, Observation, RiskIndicator, VulnerableGroup
from nrm.earlywarning.reference import load_earlywarning_reference

START = dt.date(2025, 1, 1)
OBSERVERS = {
    "unaccompanied_children": ("social_work", "police", "ngo"),
    "migrants_in_transit": ("police", "ngo", "asylum"),
    "asylum_seekers": ("asylum", "social_work", "ngo"),
    "workers_abroad": ("police", "ngo", "social_work"),
}
GROUP_WEIGHTS = [
    ("unaccompanied_children", 25),
    ("migrants_in_transit", 30),
    ("asylum_seekers", 20),
    ("workers_abroad", 25),
]
# (group, region, first month, months): where and when risk ran high.
HOT_SPOTS = [
    ("migrants_in_transit", "Vojvodina", dt.date(2025, 3, 1), 3),
    ("unaccompanied_children", "Belgrade", dt.date(2025, 9, 1), 2),
    ("workers_abroad", "Southern and Eastern Serbia", dt.date(2026, 2, 1), 3),
    ("asylum_seekers", "Belgrade", dt.date(2026, 9, 1), 3),
]
NOTES = [
    "Seen during a routine patrol; no one was willing to talk.",
    "Reported by outreach workers at the bus station.",
    "Several similar reports this month.",
    "Information passed on by a local school.",
    "",
    "",
]
OBSERVER_CODES = ("pu-", "csr-", "asylum-office", "ngo-")


def _month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _coordinator() -> User:
    """Return a member of the Coordinator's office with the coordinator role (made once if missing)."""
    found = (
        Membership.objects.filter(role=Role.COORDINATOR, is_active=True, organisation__type__code="coordinator")
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if found:
        return found.user
    office = Organisation.objects.filter(type__code="coordinator").order_by("code").first()
    user, created = User.objects.get_or_create(username="staff-ew-coordinator")
    if created:
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, organisation=office, role=Role.COORDINATOR)
    return user


def _at(day: dt.date, hour: int = 17) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def demo_earlywarning(seed: int = 2017, end_date: dt.date | None = None) -> str:
    """Create the demo's early-warning records once; return a one-line summary."""
    load_earlywarning_reference()
    if Observation.objects.exists():
        return f"early-warning observations already present: {Observation.objects.count()}"
    observers = [
        o
        for o in Organisation.objects.filter(is_active=True).select_related("type").order_by("code")
        if o.region and o.code.startswith(OBSERVER_CODES)
    ]
    if not observers or not VulnerableGroup.objects.exists():
        return "early-warning observations: none (no observing organisations in the reference data)"
    coordinator = _coordinator()
    if not AlertThreshold.objects.exists():
        services.threshold_set(actor=coordinator, min_score=12, min_observations=3, window_days=90)
    rng = random.Random(seed * 17 + 5)
    end_date = end_date or timezone.localdate()
    last = end_date - dt.timedelta(days=1)
    live_from = end_date - dt.timedelta(days=90)
    indicators: dict[str, list[RiskIndicator]] = {}
    for ind in RiskIndicator.objects.select_related("group").order_by("group__sort_order", "sort_order"):
        indicators.setdefault(ind.group.code, []).append(ind)
    staff = {o.pk: _staff(o) for o in observers}
    by_type: dict[tuple[str, str], list[Organisation]] = {}
    for o in observers:
        by_type.setdefault((o.type.code, o.region), []).append(o)
    regions = sorted({o.region for o in observers})

    def observer_for(group: str, region: str) -> Organisation | None:
        for kind in rng.sample(OBSERVERS[group], len(OBSERVERS[group])):
            if by_type.get((kind, region)):
                return rng.choice(by_type[(kind, region)])
        return None

    # The service evaluates an observation's cell as of today. An observation older than the
    # widest window ending today cannot make it cross a threshold, since observations are
    # recorded in date order (nothing newer is there yet): that evaluation finds nothing. Those
    # are written in bulk instead, a month at a time before the month's replay, with the rows and
    # audit rows the service would have written, in the same order.
    quiet_before = _quiet_before()
    pending: list[Observation] = []

    def flush() -> None:
        with transaction.atomic():
            insert_many(pending)
            audit_record_many(
                [
                    {
                        "actor": o.recorded_by,
                        "action": "earlywarning.observe",
                        "object_type": "warning_observation",
                        "object_id": o.pk,
                        "organisation_id": o.organisation.pk,
                        "detail": {
                            "indicator": o.indicator.code,
                            "region": o.region,
                            "likelihood": o.likelihood,
                            "impact": o.impact,
                        },
                    }
                    for o in pending
                ]
            )
        pending.clear()

    def record(day: dt.date, group: str, region: str, hot: bool) -> bool:
        org = observer_for(group, region)
        if org is None or group not in indicators:
            return False
        indicator = rng.choice(indicators[group])
        likelihood = rng.choices([3, 4, 5], [3, 4, 3])[0] if hot else rng.choices([1, 2, 3], [55, 40, 5])[0]
        impact = indicator.default_impact
        if not hot and rng.random() < 0.3:
            impact = max(1, impact - 1)
        values = {
            "organisation": org,
            "indicator": indicator,
            "region": region,
            "likelihood": likelihood,
            "impact": impact,
            "observed_on": day,
            "persons_concerned": rng.choice([None, 0, 1, 2, 3, 4, 6, 8, 12]),
            "note": rng.choice(NOTES),
        }
        if day < quiet_before:
            pending.append(Observation(recorded_by=staff[org.pk], group_id=indicator.group_id, **values))
        else:
            flush()
            services.observation_record(actor=staff[org.pk], **values)
        return True

    count = 0
    month = START
    while month <= last:
        month_last = min(_month_end(month), last)
        span = (month_last - month).days + 1
        planned: list[tuple[dt.date, str, str, bool]] = []
        for _ in range(rng.randint(13, 17) * span // 31):
            group = rng.choices([g for g, _w in GROUP_WEIGHTS], [w for _g, w in GROUP_WEIGHTS])[0]
            planned.append((month + dt.timedelta(days=rng.randrange(span)), group, rng.choice(regions), False))
        for group, region, first, months in HOT_SPOTS:
            if first <= month < (first + dt.timedelta(days=31 * months)).replace(day=1) and region in regions:
                for _ in range(rng.randint(3, 5)):
                    planned.append((month + dt.timedelta(days=rng.randrange(span)), group, region, True))
        for day, group, region, hot in sorted(planned, key=lambda p: (p[0], p[1], p[2])):
            count += record(day, group, region, hot)
        flush()
        if month_last < live_from:
            _replay_month(rng, month_last, coordinator, staff)
        month = month_last + dt.timedelta(days=1)
    alerts = Alert.objects.count()
    closed = Alert.objects.filter(status=AlertStatus.CLOSED).count()
    return f"early-warning observations: {count}, alerts raised: {alerts} ({closed} closed)"


def _quiet_before() -> dt.date:
    """Return the first day of the widest active window ending today: the oldest day still evaluated."""
    widest = max(AlertThreshold.objects.filter(is_active=True).values_list("window_days", flat=True))
    return risk.window_start(timezone.localdate(), widest)


def _replay_month(rng: random.Random, as_of: dt.date, coordinator: User, staff: dict[int, User]) -> None:
    """Close the month's older acknowledged alerts, evaluate as of ``as_of``, acknowledge what was raised."""
    for alert in Alert.objects.filter(
        status=AlertStatus.ACKNOWLEDGED, raised_at__lte=_at(as_of - dt.timedelta(days=40))
    ):
        if rng.random() < 0.75:
            services.alert_close(
                actor=coordinator,
                alert=alert,
                note="Joint action by police and social work; risk back to usual.",
                at=alert.raised_at + dt.timedelta(days=rng.randint(25, 38)),
            )
    for kind, alert in services.alerts_evaluate(as_of=as_of, at=_at(as_of)):
        if kind != "raised" or rng.random() < 0.15:
            continue
        recipients = [pk for pk in alert.recipients.values_list("pk", flat=True) if pk in staff]
        actor = staff[recipients[0]] if recipients else coordinator
        services.alert_acknowledge(
            actor=actor,
            alert=alert,
            note="Seen; outreach increased in the area.",
            at=alert.raised_at + dt.timedelta(days=rng.randint(1, 4)),
        )
