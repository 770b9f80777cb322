"""The demo's prevention records: created through the services, deterministic, and only once."""

from __future__ import annotations

import datetime as dt

from nrm.audit.models import AuditEntry
from nrm.prevention.demo import DEMO_PROGRAMME, demo_prevention
from nrm.prevention.models import Attendance, AwarenessAction, Event, IndicatorFeed, KapSurvey, Material
from nrm.programmes.models import Indicator, IndicatorValue, Programme

END = dt.date(2026, 11, 25)


def counts() -> tuple:
    return (
        Event.objects.count(),
        Attendance.objects.count(),
        AwarenessAction.objects.count(),
        Material.objects.count(),
        KapSurvey.objects.count(),
        IndicatorFeed.objects.count(),
    )


def test_demo_creates_records_once(people):
    summary = demo_prevention(seed=5, end_date=END)
    assert summary.startswith("prevention records: ")
    first = counts()
    assert 100 <= first[0] <= 120 and first[2] >= 25 and first[4] == 2 and first[5] == 7
    assert Event.objects.filter(programme__code=DEMO_PROGRAMME).exists()
    # Evidence of the synthetic current plan's tasks only, never of the seed plan's (reference data).
    assert Event.objects.filter(task__activity__plan__is_synthetic=True).exists()
    assert not Event.objects.filter(task__activity__plan__is_synthetic=False).exists()
    assert not AwarenessAction.objects.filter(task__activity__plan__is_synthetic=False).exists()
    assert set(Material.objects.values_list("language", flat=True)) == {"sr", "en", "ar", "fa"}
    assert (
        Event.objects.filter(organiser__code="pu-bg").exists()
        and Event.objects.filter(organiser__code="ngo-most").exists()
    )
    assert not Event.objects.filter(starts_on__gte=END).exists()
    # Through the services: one audit row per record, each by a demo user.
    assert AuditEntry.objects.filter(action="prevention.event.record").count() == first[0]
    assert (
        IndicatorValue.objects.filter(
            indicator__prevention_feed__isnull=False, period_start=dt.date(2025, 1, 1)
        ).count()
        == 7
    )
    assert demo_prevention(seed=5, end_date=END).startswith("prevention records already present")
    assert counts() == first


def test_the_seed_programmes_stay_as_published(people):
    """No invented event, action or survey counts toward a seed programme (the IRC's: 668 trained...)."""
    irc = Programme.objects.get(code="rs-irc-anti-trafficking")
    published = sorted(IndicatorValue.objects.filter(indicator__programme=irc).values_list("indicator__code", "value"))
    assert ("professionals-trained", 668) in published

    demo_prevention(seed=5, end_date=END)

    for model in (Event, AwarenessAction, KapSurvey):
        assert not model.objects.filter(programme=irc).exists(), model.__name__
    assert not IndicatorFeed.objects.filter(indicator__programme=irc).exists()
    after = sorted(IndicatorValue.objects.filter(indicator__programme=irc).values_list("indicator__code", "value"))
    assert after == published
    # The demo's own programme is marked as such and carries the feeds instead.
    demo = Programme.objects.get(code=DEMO_PROGRAMME)
    assert "(demo)" in demo.title and demo.source == "Synthetic demo data"
    assert IndicatorFeed.objects.filter(indicator__programme=demo).count() == 7
    assert Indicator.objects.filter(programme=demo).count() == 7
