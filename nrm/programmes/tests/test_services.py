"""The programme writes: every rule, bad input naming the field and storing nothing, denials, audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry
from nrm.core.errors import Conflict, NotFound
from nrm.programmes import services
from nrm.programmes.models import (
    Document,
    FundingLine,
    Indicator,
    IndicatorValue,
    Objective,
    Outcome,
    Output,
    Programme,
    ProgrammePartner,
)

from .conftest import IRC, JOINT

MODELS = (Programme, ProgrammePartner, FundingLine, Objective, Outcome, Output, Indicator, IndicatorValue, Document)


def snapshot() -> dict:
    """Everything the services may write, to show that a refused call wrote nothing."""
    return {m.__name__: sorted(map(str, m.objects.values_list())) for m in MODELS}


def refused(field: str, call, **kwargs) -> None:
    """Assert ``call(**kwargs)`` raises a ValidationError naming only ``field`` and stores nothing."""
    before = snapshot()
    with pytest.raises(ValidationError) as err:
        call(**kwargs)
    assert list(err.value.message_dict) == [field], err.value.message_dict
    assert snapshot() == before


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


@pytest.fixture
def boss(people):
    return people["coordinator"]


@pytest.fixture
def joint(programmes):
    return programmes[JOINT]


@pytest.fixture
def screened(programmes) -> Indicator:
    return Indicator.objects.get(programme=programmes[IRC], code="clients-screened")


NEW = {
    "code": "eu-twinning-2024",
    "title": "EU twinning on victim protection",
    "period_start": dt.date(2024, 1, 1),
    "period_end": dt.date(2026, 12, 31),
    "budget_amount": Decimal("1500000"),
    "budget_currency": "eur",
}


def test_create_programme_is_audited(boss):
    programme = services.programme_create(actor=boss, **NEW)
    assert (programme.code, programme.budget_amount, programme.budget_currency) == (
        "eu-twinning-2024",
        Decimal("1500000.00"),
        "EUR",
    )
    entry = last("programmes.programme_create")
    assert (entry.actor_id, entry.object_id, entry.detail["code"]) == (boss.pk, str(programme.pk), programme.code)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "Not A Slug"}, "code"),
        ({"code": JOINT}, "code"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"period_end": dt.date(2023, 12, 31)}, "period_end"),
        ({"budget_amount": Decimal("-1")}, "budget_amount"),
        ({"budget_amount": Decimal("Infinity")}, "budget_amount"),
        ({"budget_currency": "euro"}, "budget_currency"),
        ({"budget_currency": ""}, "budget_currency"),
    ],
)
def test_create_programme_refuses_bad_input(programmes, boss, change, field):
    refused(field, services.programme_create, actor=boss, **{**NEW, **change})


@pytest.mark.parametrize("who", ["ngo", "analyst", "nobody"])
def test_only_the_coordinator_writes(programmes, people, screened, who):
    before = snapshot()
    actor = people[who]
    joint = programmes[JOINT]
    calls = [
        (services.programme_create, {**NEW}),
        (services.programme_edit, {"programme": joint, "expected_version": joint.version, "title": "X"}),
        (services.funding_line_add, {"programme": joint, "donor": "EU", "amount": Decimal(1), "currency": "EUR"}),
        (services.document_add, {"programme": joint, "title": "T", "reference": "R"}),
        (services.indicator_add, {"programme": joint, "code": "c", "name": "n", "unit": "u"}),
        (services.indicator_targets_set, {"indicator": screened, "expected_version": 1, "baseline": 0, "target": 9}),
        (services.objective_add, {"programme": joint, "number": "9", "title": "T"}),
    ]
    for call, kwargs in calls:
        with pytest.raises(NotFound):
            call(actor=actor, **kwargs)
    assert snapshot() == before
    denials = AuditEntry.objects.filter(actor_id=actor.pk, outcome=AuditEntry.Outcome.DENIED)
    assert denials.filter(action="programmes.programme_edit", object_id=str(joint.pk)).exists()
    assert denials.count() >= len(calls)


def test_edit_programme_refuses_a_stale_version(joint, boss):
    stale = joint.version
    services.programme_edit(actor=boss, programme=joint, expected_version=stale, title="Renamed once")
    joint.refresh_from_db()
    assert (joint.title, joint.version) == ("Renamed once", stale + 1)
    assert last("programmes.programme_edit").detail["changed"] == [
        "budget_amount",
        "budget_currency",
        "description",
        "period_end",
        "period_start",
        "period_text",
        "source",
        "title",
    ]
    other = Programme.objects.get(pk=joint.pk)
    other.version = stale  # what a second editor loaded before the first edit
    with pytest.raises(Conflict):
        services.programme_edit(actor=boss, programme=other, expected_version=stale, title="Renamed twice")
    joint.refresh_from_db()
    assert joint.title == "Renamed once"


def test_funding_line_donor_once_per_programme(joint, boss):
    line = services.funding_line_add(
        actor=boss, programme=joint, donor="European Union", amount=Decimal("1000.5"), currency="eur"
    )
    assert (line.amount, line.currency) == (Decimal("1000.50"), "EUR")
    assert last("programmes.funding_line_add").detail["amount"] == "1000.50"
    refused("donor", services.funding_line_add, actor=boss, programme=joint, donor="belgium", amount=1, currency="USD")
    refused("amount", services.funding_line_add, actor=boss, programme=joint, donor="X", amount="lots", currency="USD")
    refused("currency", services.funding_line_add, actor=boss, programme=joint, donor="X", amount=1, currency="$")
    refused("donor", services.funding_line_add, actor=boss, programme=joint, donor="", amount=1, currency="USD")
    edited = services.funding_line_edit(
        actor=boss, line=line, donor="European Union", amount=Decimal(2000), currency="EUR"
    )
    assert edited.amount == Decimal(2000)
    assert last("programmes.funding_line_edit").detail == {"old": "EUR 1000.50", "new": "EUR 2000.00"}
    refused("donor", services.funding_line_edit, actor=boss, line=line, donor="Belgium", amount=1, currency="EUR")


def test_partner_once_per_role(joint, boss, orgs):
    organisation = Organisation.objects.exclude(programme_parts__programme=joint).order_by("code").first()
    partner = services.partner_add(actor=boss, programme=joint, organisation=organisation, role="funding")
    assert last("programmes.partner_add").detail == {"programme": joint.pk, "role": "funding"}
    refused(
        "organisation", services.partner_add, actor=boss, programme=joint, organisation=organisation, role="funding"
    )
    refused("role", services.partner_add, actor=boss, programme=joint, organisation=organisation, role="sponsor")
    services.partner_edit(actor=boss, partner=partner, role="accountable", note="Lead ministry")
    partner.refresh_from_db()
    assert (partner.role, partner.note) == ("accountable", "Lead ministry")


def test_results_framework(joint, programmes, boss):
    objective = services.objective_add(actor=boss, programme=joint, number="5", title="Protection")
    outcome = services.outcome_add(actor=boss, programme=joint, number="8", title="Shelter", objective=objective)
    output = services.output_add(actor=boss, programme=joint, number="8.1", title="Beds", outcome=outcome)
    assert output.outcome.objective == objective
    refused("number", services.objective_add, actor=boss, programme=joint, number="1", title="Again")
    foreign = programmes[IRC].outcomes.first() or services.outcome_add(
        actor=boss, programme=programmes[IRC], number="99", title="Elsewhere"
    )
    refused("outcome", services.output_add, actor=boss, programme=joint, number="9", title="T", outcome=foreign)
    services.framework_item_edit(actor=boss, item=objective, number="6", title="Protection and support")
    objective.refresh_from_db()
    assert (objective.number, objective.title) == ("6", "Protection and support")
    assert last("programmes.objective_edit").detail == {"old_number": "5", "number": "6"}
    refused("number", services.framework_item_edit, actor=boss, item=objective, number="1", title="T")


def test_indicator_add_and_targets(joint, programmes, boss):
    output = services.output_add(actor=boss, programme=joint, number="9", title="Training")
    indicator = services.indicator_add(
        actor=boss,
        programme=joint,
        code="judges-trained",
        name="Judges trained",
        unit="people",
        baseline=Decimal(0),
        target=Decimal(120),
        output=output,
    )
    assert (indicator.baseline, indicator.target) == (Decimal(0), Decimal(120))
    assert last("programmes.indicator_add").detail["target"] == "120.00"
    kwargs = {"actor": boss, "programme": joint, "name": "N", "unit": "people"}
    refused("code", services.indicator_add, code="judges-trained", **kwargs)
    refused("code", services.indicator_add, code="Bad code", **kwargs)
    refused("unit", services.indicator_add, code="ok", **{**kwargs, "unit": ""})
    refused("target", services.indicator_add, code="ok", target="-5", **kwargs)
    foreign = Output.objects.filter(programme=programmes[IRC]).first()
    refused("output", services.indicator_add, code="ok", output=foreign, **kwargs)

    version = indicator.version
    services.indicator_targets_set(
        actor=boss, indicator=indicator, expected_version=version, baseline=Decimal(10), target=Decimal(150)
    )
    indicator.refresh_from_db()
    assert (indicator.baseline, indicator.target, indicator.version) == (Decimal(10), Decimal(150), version + 1)
    entry = last("programmes.indicator_targets_set")
    assert entry.detail["old"] == {"baseline": "0.00", "target": "120.00"}
    assert entry.detail["new"] == {"baseline": "10.00", "target": "150.00"}
    refused(
        "baseline",
        services.indicator_targets_set,
        actor=boss,
        indicator=indicator,
        expected_version=indicator.version,
        baseline="NaN",
        target=None,
    )
    with pytest.raises(Conflict):
        services.indicator_targets_set(
            actor=boss, indicator=indicator, expected_version=version, baseline=Decimal(1), target=Decimal(2)
        )
    indicator.refresh_from_db()
    assert indicator.target == Decimal(150)


def test_value_periods_may_not_overlap(screened, boss):
    record = services.indicator_value_record
    record(
        actor=boss,
        indicator=screened,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 3, 31),
        value=Decimal(40),
    )
    # The same period replaces the value; the seed's "to date" figure is not a period and is kept.
    record(
        actor=boss,
        indicator=screened,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 3, 31),
        value=Decimal(45),
    )
    assert sorted(screened.values.values_list("value", flat=True)) == [Decimal(45), Decimal(2184)]
    common = {"actor": boss, "indicator": screened, "value": Decimal(1)}
    refused("period_start", record, period_start=dt.date(2025, 3, 1), period_end=dt.date(2025, 6, 30), **common)
    refused("period_start", record, period_start=dt.date(2024, 12, 1), period_end=dt.date(2025, 1, 1), **common)
    refused("period_end", record, period_start=dt.date(2025, 7, 1), period_end=dt.date(2025, 6, 30), **common)
    refused("period_start", record, period_start="2025-07-01", period_end=dt.date(2025, 9, 30), **common)
    # The next quarter touches nothing.
    record(
        actor=boss,
        indicator=screened,
        period_start=dt.date(2025, 4, 1),
        period_end=dt.date(2025, 6, 30),
        **{"value": Decimal(50)},
    )
    assert screened.values.count() == 3


@pytest.mark.parametrize(
    ("reference", "ok"),
    [
        ("https://example.org/report.pdf", True),
        ("http://example.org/report", True),
        ("Ministry of Interior, Annual report 2023, p. 12", True),
        ("javascript:alert(1)", False),
        ("ftp://example.org/file", False),
        ("www.example.org/report", False),
        ("https://", False),
        ("", False),
    ],
)
def test_document_reference_is_a_safe_url_or_a_citation(joint, boss, reference, ok):
    if ok:
        document = services.document_add(actor=boss, programme=joint, title="Evaluation", reference=reference)
        assert document.reference == reference
        assert last("programmes.document_add").detail == {"programme": joint.pk, "title": "Evaluation"}
    else:
        refused(
            "reference", services.document_add, actor=boss, programme=joint, title="Evaluation", reference=reference
        )


def test_document_title_once(joint, boss):
    title = joint.documents.first().title
    refused("title", services.document_add, actor=boss, programme=joint, title=title, reference="Elsewhere")


def test_demo_programme_is_created_once_through_the_services(programmes):
    from nrm.programmes.demo import CODE, demo_programmes

    summary = demo_programmes(seed=7, today=dt.date(2023, 1, 15))
    assert summary == f"demo programme: {CODE} with 2 indicators and 8 values"
    programme = Programme.objects.get(code=CODE)
    assert sum(line.amount for line in programme.funding.all()) == Decimal(900000)
    assert (
        AuditEntry.objects.filter(action="programmes.indicator_value_record", detail__programme=programme.pk).count()
        == 8
    )
    before = snapshot()
    assert demo_programmes(seed=7, today=dt.date(2023, 1, 15)).startswith("demo programme already present")
    assert snapshot() == before
    # Same seed, same figures.
    values = list(IndicatorValue.objects.filter(indicator__programme=programme).values_list("value", flat=True))
    programme.delete()
    demo_programmes(seed=7, today=dt.date(2023, 1, 15))
    again = IndicatorValue.objects.filter(indicator__programme__code=CODE).values_list("value", flat=True)
    assert list(again) == values


def test_indicator_edit_moves_and_rewords_and_refuses_stale(screened, programmes, boss):
    output = services.output_add(actor=boss, programme=programmes[IRC], number="77", title="Outreach")
    version = screened.version
    services.indicator_edit(
        actor=boss, indicator=screened, expected_version=version, name="People screened", unit="people", output=output
    )
    screened.refresh_from_db()
    assert (screened.name, screened.unit, screened.output_id, screened.version) == (
        "People screened",
        "people",
        output.pk,
        version + 1,
    )
    kwargs = {"actor": boss, "indicator": screened, "name": "N", "unit": "u", "output": None}
    with pytest.raises(Conflict):
        services.indicator_edit(expected_version=version, **kwargs)
    foreign = services.output_add(actor=boss, programme=programmes[JOINT], number="1", title="Elsewhere")
    refused("output", services.indicator_edit, expected_version=screened.version, **{**kwargs, "output": foreign})
    refused("name", services.indicator_edit, expected_version=screened.version, **{**kwargs, "name": ""})


def test_sectors_and_the_reporter_are_set_and_checked(programmes, people):
    from nrm.programmes.models import ProgrammeSector

    boss = people["coordinator"]
    created = services.programme_create(
        actor=boss, code="own-hotline", title="Our hotline", sectors="15190:60, 15180: 40%", secondary_reporter=False
    )
    assert sorted(ProgrammeSector.objects.filter(programme=created).values_list("code", "percentage")) == [
        ("15180", Decimal(40)),
        ("15190", Decimal(60)),
    ]
    assert created.secondary_reporter is False
    for bad, message in [
        ("15190:60, 15180:30", "100"),
        ("1519", "15190:60"),
        ("99999", "99999"),
        ("15190:50, 15190:50", "twice"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.programme_edit(
                actor=boss, programme=created, expected_version=created.version, title="Our hotline", sectors=bad
            )
        assert list(caught.value.message_dict) == ["sectors"] and message in caught.value.message_dict["sectors"][0]
    # Nothing changed by the refused edits; a lone code is the whole programme.
    assert ProgrammeSector.objects.filter(programme=created).count() == 2
    created.refresh_from_db()
    services.programme_edit(
        actor=boss, programme=created, expected_version=created.version, title="Our hotline", sectors="16010"
    )
    assert list(ProgrammeSector.objects.filter(programme=created).values_list("code", "percentage")) == [
        ("16010", Decimal(100))
    ]
    assert created.secondary_reporter is False  # left as it was
