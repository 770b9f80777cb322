"""Programme indicators fed from the records, Action Plan evidence, and the statistics through the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.actionplan.models import Task
from nrm.actionplan.services import load_plan
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import org
from nrm.core.errors import NotFound
from nrm.prevention import selectors, services
from nrm.prevention.models import IndicatorFeed
from nrm.programmes.models import Indicator, IndicatorValue, Programme
from nrm.reporting import selectors as stats
from nrm.reporting.engine import MARKER, TOTAL

IRC = "rs-irc-anti-trafficking"


def indicator(code: str) -> Indicator:
    return Indicator.objects.get(programme__code=IRC, code=code)


def irc_event(actor, organiser: str, kind: str, day: dt.date, counts: list[int], **extra):
    return services.event_record(
        actor=fresh(actor),
        organiser=org(organiser),
        kind=kind,
        title=f"{kind} {day}",
        starts_on=day,
        programme=Programme.objects.get(code=IRC),
        attendance=[{"profession": "police", "sex": "F", "count": n} for n in counts],
        **extra,
    )


@pytest.fixture
def irc_records(people):
    police, ngo = people["police"], people["ngo"]
    irc_event(police, "pu-bg", "training", dt.date(2024, 2, 1), [10, 5])
    irc_event(ngo, "ngo-sigurna", "training", dt.date(2024, 6, 1), [7])
    irc_event(ngo, "ngo-sigurna", "round_table", dt.date(2024, 6, 2), [12])
    irc_event(ngo, "ngo-sigurna", "round_table", dt.date(2024, 9, 2), [9])
    irc_event(police, "pu-bg", "training", dt.date(2025, 1, 10), [100])  # outside the period
    services.event_record(  # not linked to the programme
        actor=fresh(police),
        organiser=org("pu-bg"),
        kind="training",
        title="Other",
        starts_on=dt.date(2024, 3, 1),
        attendance=[{"profession": "police", "count": 50}],
    )
    for kind, n in [("leaflet", 300), ("leaflet", 200), ("info_card", 1000)]:
        services.awareness_record(
            actor=fresh(ngo),
            organiser=org("ngo-sigurna"),
            kind="campaign",
            title=kind,
            starts_on=dt.date(2024, 4, 1),
            programme=Programme.objects.get(code=IRC),
            materials=[{"kind": kind, "language": "sr", "title": kind, "copies_distributed": n}],
        )
    services.survey_record(
        actor=fresh(ngo),
        organiser=org("ngo-sigurna"),
        title="KAP",
        conducted_from=dt.date(2024, 5, 1),
        conducted_to=dt.date(2024, 5, 20),
        population="Refugees",
        sample_size=90,
        programme=Programme.objects.get(code=IRC),
    )


FEEDS = [
    ("professionals-trained", "participants_trained", "", "", 22),
    ("roundtables", "events", "round_table", "", 2),
    ("roundtable-participants", "round_table_participants", "", "", 21),
    ("leaflets", "materials_distributed", "", "leaflet", 500),
    ("info-cards", "materials_distributed", "", "info_card", 1000),
    ("kap-surveys", "kap_surveys", "", "", 1),
    ("kap-participants", "kap_respondents", "", "", 90),
]


@pytest.mark.parametrize(("code", "measure", "event_kind", "material_kind", "expected"), FEEDS)
def test_an_indicator_feed_writes_the_programme_value(
    people, irc_records, code, measure, event_kind, material_kind, expected
):
    coordinator = fresh(people["coordinator"])
    feed = services.indicator_feed_define(
        actor=coordinator,
        indicator=indicator(code),
        measure=measure,
        event_kind=event_kind,
        material_kind=material_kind,
    )
    value = services.indicator_feed_apply(
        actor=coordinator, feed=feed, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31)
    )
    stored = IndicatorValue.objects.get(
        indicator=indicator(code), period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31)
    )
    assert stored.pk == value.pk and stored.value == Decimal(expected) and stored.recorded_by_id == coordinator.pk
    assert (
        AuditEntry.objects.filter(action="prevention.feed.apply", object_id=str(feed.pk)).get().detail["value"]
        == expected
    )
    assert AuditEntry.objects.filter(action="programmes.indicator_value_record", object_id=str(stored.pk)).exists()


def test_applying_again_replaces_the_value_and_keeps_the_source_figure(people, irc_records):
    coordinator = fresh(people["coordinator"])
    seed_values = IndicatorValue.objects.filter(indicator=indicator("professionals-trained")).count()
    feed = services.indicator_feed_define(
        actor=coordinator, indicator=indicator("professionals-trained"), measure="participants_trained"
    )
    for _ in range(2):
        services.indicator_feed_apply(
            actor=coordinator, feed=feed, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30)
        )
    values = IndicatorValue.objects.filter(indicator=indicator("professionals-trained"))
    assert values.count() == seed_values + 1
    assert values.get(period_end=dt.date(2024, 6, 30)).value == Decimal(22)


@pytest.mark.parametrize("who", ["analyst", "police", "ngo"])
def test_only_the_coordinator_defines_and_applies_feeds(people, irc_records, who):
    before = (IndicatorFeed.objects.count(), IndicatorValue.objects.count())
    with pytest.raises(NotFound):
        services.indicator_feed_define(
            actor=fresh(people[who]), indicator=indicator("roundtables"), measure="events", event_kind="round_table"
        )
    feed = services.indicator_feed_define(
        actor=fresh(people["coordinator"]),
        indicator=indicator("roundtables"),
        measure="events",
        event_kind="round_table",
    )
    with pytest.raises(NotFound):
        services.indicator_feed_apply(
            actor=fresh(people[who]), feed=feed, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31)
        )
    assert IndicatorValue.objects.count() == before[1]
    assert AuditEntry.objects.filter(action="prevention.feed.apply", outcome="denied", actor=who).exists()


@pytest.mark.parametrize(
    ("measure", "event_kind", "material_kind", "field"),
    [
        ("events", "", "", "event_kind"),
        ("events", "party", "", "event_kind"),
        ("participants_trained", "training", "", "event_kind"),
        ("kap_surveys", "", "leaflet", "material_kind"),
        ("everything", "", "", "measure"),
    ],
)
def test_bad_feeds_name_the_field(people, measure, event_kind, material_kind, field):
    with pytest.raises(ValidationError) as caught:
        services.indicator_feed_define(
            actor=fresh(people["coordinator"]),
            indicator=indicator("roundtables"),
            measure=measure,
            event_kind=event_kind,
            material_kind=material_kind,
        )
    assert next(iter(caught.value.message_dict)) == field and not IndicatorFeed.objects.exists()


def test_a_reversed_period_is_refused(people):
    feed = services.indicator_feed_define(
        actor=fresh(people["coordinator"]),
        indicator=indicator("roundtables"),
        measure="events",
        event_kind="round_table",
    )
    before = IndicatorValue.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.indicator_feed_apply(
            actor=fresh(people["coordinator"]),
            feed=feed,
            period_start=dt.date(2024, 2, 1),
            period_end=dt.date(2024, 1, 1),
        )
    assert next(iter(caught.value.message_dict)) == "period_end" and IndicatorValue.objects.count() == before


# --- Action Plan evidence ----------------------------------------------------------------------


@pytest.fixture
def task(people) -> Task:
    load_plan()
    return Task.objects.get(number="2.1.2")


def test_task_evidence_for_a_month(people, task):
    police, ngo = people["police"], people["ngo"]
    for actor, organiser, day, rows in [
        (police, "pu-bg", dt.date(2018, 3, 5), [("police", "F", 6), ("border_police", "M", 4)]),
        (ngo, "ngo-sigurna", dt.date(2018, 3, 20), [("social_worker", "F", 8)]),
        (police, "pu-bg", dt.date(2018, 4, 2), [("police", "F", 50)]),  # another month
    ]:
        services.event_record(
            actor=fresh(actor),
            organiser=org(organiser),
            kind="training",
            title=f"T {day}",
            starts_on=day,
            task=task,
            attendance=[{"profession": p, "sex": s, "count": n} for p, s, n in rows],
        )
    services.awareness_record(
        actor=fresh(police),
        organiser=org("pu-bg"),
        kind="campaign",
        title="C",
        starts_on=dt.date(2018, 3, 1),
        task=task,
        materials=[{"kind": "leaflet", "language": "sr", "title": "L", "copies_distributed": 250}],
    )
    national = selectors.task_evidence(fresh(people["coordinator"]), task, 2018, 3)
    assert national["trainings"] == 2 and national["participants"] == 18
    assert [(p["code"], p["count"]) for p in national["by_profession"]] == [
        ("police", 6),
        ("border_police", 4),
        ("social_worker", 8),
    ]
    assert national["participants_by_sex"] == {"F": 14, "M": 4, "U": 0}
    assert national["materials"] == [{"kind": "leaflet", "kind_label": "Leaflet", "items": 1, "distributed": 250}]
    # The police see only their own organisation's part; an outsider sees none.
    own = selectors.task_evidence(fresh(police), task, 2018, 3)
    assert own["participants"] == 10 and own["trainings"] == 1
    nothing = selectors.task_evidence(fresh(people["admin"]), task, 2018, 3)
    assert nothing["participants"] == 0 and nothing["events"] == [] and nothing["materials"] == []


# --- Statistics --------------------------------------------------------------------------------


def test_participants_are_counted_and_suppressed_for_an_analyst(people):
    police = people["police"]
    services.event_record(
        actor=fresh(police),
        organiser=org("pu-bg"),
        kind="training",
        title="T",
        starts_on=dt.date(2024, 3, 1),
        attendance=[{"profession": "police", "sex": "F", "count": 20}, {"profession": "judge", "sex": "M", "count": 3}],
    )
    table = stats.stats_table(fresh(people["analyst"]), by=["profession"], population="training_participants")
    cells = {c.key["profession"]: c for c in table.cells + table.totals}
    assert cells["judge"].suppressed and cells["judge"].display() == MARKER
    # The total less the police would give the judges away: one of the two is suppressed too.
    assert MARKER in (cells[TOTAL].display(), cells["police"].display())
    assert table.labels["profession"]["judge"] == "Judge"
    raw = stats.stats_table(fresh(people["admin"]), by=["profession"], population="training_participants", raw=True)
    assert {c.key["profession"]: c.count for c in raw.cells + raw.totals} == {"police": 20, "judge": 3, TOTAL: 23}


def test_standard_tables_of_the_prevention_family(people, awareness, event):
    for name, key, expected in [
        ("prevention_participants_by_profession", {"year": 2024, "profession": "police"}, 16),
        ("prevention_events_by_kind", {"year": 2024, "training_kind": "training"}, 1),
        ("prevention_materials_by_kind", {"year": 2024, "material_kind": "leaflet"}, 800),
    ]:
        table = stats.report_table(fresh(people["admin"]), name, raw=True)
        found = next(c for c in table.cells if c.key == key)
        assert found.count == expected
    analyst_table = stats.report_table(fresh(people["analyst"]), "prevention_materials_by_kind")
    assert next(c for c in analyst_table.cells if c.key == {"year": 2024, "material_kind": "leaflet"}).count == 800
    organisers = stats.stats_table(
        fresh(people["admin"]), by=["organiser_type", "sex"], population="training_participants", raw=True
    )
    assert next(c for c in organisers.cells if c.key == {"organiser_type": "police", "sex": "M"}).count == 9
