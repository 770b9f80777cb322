"""The demo data: made through the services, alerts raised with history, deterministic and idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nrm.earlywarning.choices import AlertStatus, EventKind
from nrm.earlywarning.demo import demo_earlywarning
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation


def test_demo_creates_observations_and_alerts_once(world, settings):
    summary = demo_earlywarning(seed=2017, end_date=dt.date(2026, 11, 25))
    print(summary)
    n = Observation.objects.count()
    assert 300 <= n <= 500
    assert Observation.objects.filter(observed_on__gte=dt.date(2026, 11, 25)).count() == 0
    assert Observation.objects.order_by("observed_on").first().observed_on >= dt.date(2025, 1, 1)
    threshold = AlertThreshold.objects.get()
    assert (threshold.min_score, threshold.min_observations, threshold.window_days) == (12, 3, 90)
    assert 2 <= Alert.objects.count() <= 15
    statuses = set(Alert.objects.values_list("status", flat=True))
    assert AlertStatus.CLOSED in statuses and AlertStatus.OPEN in statuses
    kinds = set(AlertEvent.objects.values_list("kind", flat=True))
    assert {EventKind.RAISED, EventKind.ACKNOWLEDGED, EventKind.CLOSED} <= kinds
    for alert in Alert.objects.all():
        assert alert.events.first().kind == EventKind.RAISED
    assert "already present" in demo_earlywarning(seed=2017, end_date=dt.date(2026, 11, 25))
    assert Observation.objects.count() == n


def _written(after: int) -> dict[str, list]:
    """Return the demo's observations, alerts and audit rows (after ``after``), primary keys as positions."""
    from nrm.audit.models import AuditEntry

    obs = {pk: i for i, pk in enumerate(Observation.objects.order_by("pk").values_list("pk", flat=True))}
    alerts = {pk: i for i, pk in enumerate(Alert.objects.order_by("pk").values_list("pk", flat=True))}
    ids = {"warning_observation": obs, "warning_alert": alerts}
    return {
        "observations": [
            (
                o.organisation_id,
                o.recorded_by_id,
                o.observed_on,
                o.indicator_id,
                o.region,
                o.note,
                o.persons_concerned,
                o.likelihood,
                o.impact,
            )
            for o in Observation.objects.order_by("pk")
        ],
        "alerts": [  # an alert raised by a live observation is raised now, whichever run
            (
                a.group_id,
                a.region,
                a.status,
                a.score,
                a.observations,
                a.raised_at if a.raised_at < timezone.now() - dt.timedelta(hours=1) else None,
            )
            for a in Alert.objects.order_by("pk")
        ],
        "audit": [
            (e.actor_id, e.organisation_id, e.action, ids.get(e.object_type, {}).get(int(e.object_id or 0)), e.detail)
            for e in AuditEntry.objects.filter(id__gt=after).order_by("id")
        ],
    }


def test_observations_written_in_bulk_are_what_the_service_writes(world, monkeypatch):
    """Old observations are written in bulk; through the service, one by one, they leave the same rows."""
    from nrm.audit.models import AuditEntry
    from nrm.earlywarning import demo

    def last() -> int:
        return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    end = dt.date(2026, 11, 25)
    mark = last()
    with monkeypatch.context() as m:
        m.setattr(demo, "_quiet_before", lambda: dt.date.min)  # nothing counts as old: all one by one
        summary = demo_earlywarning(seed=2017, end_date=end)
    one_by_one = _written(mark)
    assert len(one_by_one["observations"]) > 300 and one_by_one["alerts"]
    for model in (AlertEvent, Alert, Observation):
        model.objects.all().delete()
    mark = last()
    assert demo_earlywarning(seed=2017, end_date=end) == summary
    in_bulk = _written(mark)
    for name, rows in one_by_one.items():
        if name == "audit":  # the first run also set the threshold
            rows = [r for r in rows if r[2] != "earlywarning.threshold_create"]
        for a, b in zip(in_bulk[name], rows, strict=False):
            assert a == b, name
        assert len(in_bulk[name]) == len(rows), name
