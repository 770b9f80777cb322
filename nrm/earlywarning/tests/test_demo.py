"""The demo data: made through the services, alerts raised with history, deterministic and idempotent."""

from __future__ import annotations

import datetime as dt

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
