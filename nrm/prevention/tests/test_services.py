"""The prevention services: every rule, bad input naming its field and storing nothing, audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import member, org
from nrm.core.errors import Conflict, NotFound
from nrm.prevention import services
from nrm.prevention.models import Attendance, AwarenessAction, Event, KapResult, KapSurvey, Material
from nrm.prevention.reference import load_prevention_reference


def state() -> tuple:
    return (
        sorted(Event.objects.values_list("pk", "version", "title", "kind", "starts_on", "ends_on")),
        sorted(Attendance.objects.values_list("event_id", "profession__code", "sex", "count")),
        AwarenessAction.objects.count(),
        Material.objects.count(),
        KapSurvey.objects.count(),
        KapResult.objects.count(),
    )


def base_event(**changes) -> dict:
    values = {
        "organiser": org("pu-bg"),
        "kind": "training",
        "title": "A training",
        "starts_on": dt.date(2024, 4, 1),
        "ends_on": dt.date(2024, 4, 2),
        "attendance": [{"profession": "police", "sex": "M", "count": 3}],
    }
    values.update(changes)
    return values


def field_of(exc: ValidationError) -> str:
    return next(iter(exc.message_dict))


def test_professions_are_loaded_idempotently(people):
    assert load_prevention_reference() == {"professions": 13}
    assert load_prevention_reference() == {"professions": 13}


def test_record_an_event_with_attendance_and_audit(people, event):
    assert event.organiser.code == "pu-bg" and event.region == "Belgrade"  # the organiser's region by default
    assert sum(Attendance.objects.filter(event=event).values_list("count", flat=True)) == 20
    social = Attendance.objects.get(event=event, profession__code="social_worker")
    assert social.organisation_type.code == "social_work"
    assert event.average_score == Decimal("4.40") and event.share_useful == Decimal("92.50")
    entry = AuditEntry.objects.filter(action="prevention.event.record", object_id=str(event.pk)).get()
    assert entry.actor == "police" and entry.detail["participants"] == 20


def test_a_one_day_event_ends_the_day_it_starts(people):
    event = services.event_record(actor=fresh(people["police"]), **base_event(ends_on=None))
    assert event.ends_on == event.starts_on


def test_an_organisation_given_for_a_group_sets_its_type(people):
    event = services.event_record(
        actor=fresh(people["police"]),
        **base_event(attendance=[{"profession": "social_worker", "organisation": org("csr-bg"), "count": 2}]),
    )
    row = event.attendance.get()
    assert row.organisation.code == "csr-bg" and row.organisation_type.code == "social_work" and row.sex == "U"


BAD_EVENTS = [
    ({"starts_on": dt.date(2024, 4, 3)}, "ends_on"),
    ({"kind": "party"}, "kind"),
    ({"title": "  "}, "title"),
    ({"organiser": "csr-bg"}, "organiser"),
    ({"attendance": [{"profession": "police", "count": 0}]}, "attendance[0].count"),
    ({"attendance": [{"profession": "police", "count": -2}]}, "attendance[0].count"),
    (
        {"attendance": [{"profession": "police", "count": 2}, {"profession": "astronaut", "count": 2}]},
        "attendance[1].profession",
    ),
    ({"attendance": [{"profession": "police", "sex": "Q", "count": 2}]}, "attendance[0].sex"),
    (
        {"attendance": [{"profession": "police", "organisation_type": "nope", "count": 2}]},
        "attendance[0].organisation_type",
    ),
    ({"average_score": "5.5", "forms_returned": 2}, "average_score"),
    ({"average_score": "0.5", "forms_returned": 2}, "average_score"),
    ({"share_useful": "101", "forms_returned": 2}, "share_useful"),
    ({"share_useful": "-1", "forms_returned": 2}, "share_useful"),
    ({"forms_returned": 4}, "forms_returned"),  # more forms than the 3 participants
    ({"forms_returned": 0, "average_score": "4"}, "forms_returned"),
    ({"programme": 999999}, "programme"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_EVENTS)
def test_bad_event_input_names_the_field_and_stores_nothing(people, event, changes, field):
    if changes.get("organiser") == "csr-bg":
        changes = {**changes, "organiser": org("csr-bg")}
    before = state()
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.event_record(actor=fresh(people["police"]), **base_event(**changes))
    assert field_of(caught.value) == field
    assert state() == before and AuditEntry.objects.count() == audit


@pytest.mark.parametrize("who", ["analyst", "admin", "ngo"])
def test_only_the_organisers_staff_record_for_it(people, who):
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.event_record(actor=fresh(people[who]), **base_event())
    assert field_of(caught.value) == "organiser" and state() == before


def test_the_coordinator_records_for_the_coordinators_office(people):
    event = services.event_record(actor=fresh(people["coordinator"]), **base_event(organiser=org("coordinator")))
    assert event.organiser.code == "coordinator"


def test_update_an_event_replaces_attendance_and_bumps_the_version(people, event):
    updated = services.event_update(
        actor=fresh(people["police"]),
        event=event,
        expected_version=event.version,
        title="Identifying victims (2nd edition)",
        attendance=[{"profession": "border_police", "sex": "F", "count": 30}],
    )
    assert updated.version == 2
    event.refresh_from_db()
    assert event.title == "Identifying victims (2nd edition)"
    assert list(event.attendance.values_list("profession__code", "count")) == [("border_police", 30)]
    entry = AuditEntry.objects.filter(action="prevention.event.update").get()
    assert set(entry.detail["fields"]) == {"title", "attendance"}


def test_a_stale_update_is_a_conflict_and_changes_nothing(people, event):
    services.event_update(actor=fresh(people["police"]), event=event, expected_version=1, location="Room 2")
    before = state()
    with pytest.raises(Conflict):
        services.event_update(actor=fresh(people["police"]), event=event, expected_version=1, title="Lost edit")
    assert state() == before


def test_bad_update_names_the_field_and_changes_nothing(people, event):
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.event_update(
            actor=fresh(people["police"]), event=event, expected_version=1, ends_on=dt.date(2024, 1, 1)
        )
    assert field_of(caught.value) == "ends_on" and state() == before
    with pytest.raises(ValidationError) as caught:
        services.event_update(actor=fresh(people["police"]), event=event, expected_version=1, created_by=None)
    assert field_of(caught.value) == "created_by" and state() == before


@pytest.mark.parametrize("who", ["socialwork", "ngo2", "analyst", "coordinator"])
def test_another_organisation_cannot_update_and_the_denial_is_audited(people, event, who):
    before = state()
    with pytest.raises(NotFound):
        services.event_update(actor=fresh(people[who]), event=event, expected_version=1, title="Hijacked")
    assert state() == before
    denial = AuditEntry.objects.filter(action="prevention.event.update", outcome="denied").get()
    assert denial.actor == who and denial.object_id == str(event.pk)


def test_a_second_organisation_member_may_update(people, event):
    colleague = member("colleague", "pu-bg", Role.CASEWORKER)
    services.event_update(actor=colleague, event=event, expected_version=1, topic="New topic")
    event.refresh_from_db()
    assert event.topic == "New topic"


def test_record_awareness_with_materials(people, awareness):
    material = awareness.materials.get()
    assert material.copies_distributed == 800 and material.language == "sr"
    assert AuditEntry.objects.filter(action="prevention.awareness.record", object_id=str(awareness.pk)).exists()


BAD_MATERIALS = [
    ({"copies_produced": 100, "copies_distributed": 101}, "materials[0].copies_distributed"),
    ({"language": "serbian"}, "materials[0].language"),
    ({"kind": "tshirt"}, "materials[0].kind"),
    ({"title": ""}, "materials[0].title"),
    ({"copies_distributed": -1}, "materials[0].copies_distributed"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_MATERIALS)
def test_bad_materials_name_the_field_and_store_nothing(people, changes, field):
    row = {"kind": "info_card", "language": "en", "title": "Card", "copies_produced": 100, "copies_distributed": 50}
    row.update(changes)
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.awareness_record(
            actor=fresh(people["ngo"]),
            organiser=org("ngo-sigurna"),
            kind="campaign",
            title="Campaign",
            starts_on=dt.date(2024, 1, 1),
            materials=[row],
        )
    assert field_of(caught.value) == field and state() == before


def test_distributed_without_produced_is_accepted(people):
    action = services.awareness_record(
        actor=fresh(people["ngo"]),
        organiser=org("ngo-sigurna"),
        kind="social_media",
        title="Posts",
        starts_on=dt.date(2024, 1, 1),
        materials=[{"kind": "web_post", "language": "ar", "title": "Post", "copies_distributed": 5000}],
    )
    assert action.materials.get().copies_produced is None


def test_awareness_dates_and_organiser_are_checked(people):
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.awareness_record(
            actor=fresh(people["ngo"]),
            organiser=org("ngo-sigurna"),
            kind="campaign",
            title="Campaign",
            starts_on=dt.date(2024, 2, 1),
            ends_on=dt.date(2024, 1, 1),
        )
    assert field_of(caught.value) == "ends_on"
    with pytest.raises(ValidationError) as caught:
        services.awareness_record(
            actor=fresh(people["ngo"]),
            organiser=org("ngo-most"),
            kind="campaign",
            title="C",
            starts_on=dt.date(2024, 2, 1),
        )
    assert field_of(caught.value) == "organiser" and state() == before


def test_material_add_checks_and_access(people, awareness):
    material = services.material_add(
        actor=fresh(people["police"]),
        action=awareness,
        kind="poster",
        language="en",
        title="Poster",
        copies_produced=10,
        copies_distributed=10,
    )
    assert material.action_id == awareness.pk
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.material_add(
            actor=fresh(people["police"]),
            action=awareness,
            kind="poster",
            language="en",
            title="Poster",
            copies_produced=10,
            copies_distributed=11,
        )
    assert field_of(caught.value) == "copies_distributed"
    with pytest.raises(NotFound):
        services.material_add(actor=fresh(people["ngo"]), action=awareness, kind="poster", language="en", title="P")
    assert state() == before


def test_record_a_survey_with_results(people, survey):
    result = survey.results.get()
    assert result.result == Decimal("71.50") and result.baseline == Decimal("40.00")
    assert AuditEntry.objects.filter(action="prevention.survey.record", object_id=str(survey.pk)).exists()


BAD_RESULTS = [
    ({"measure": "percent", "result": "100.5"}, "results[0].result"),
    ({"measure": "percent", "result": "-1"}, "results[0].result"),
    ({"measure": "mean_score", "result": "5.2"}, "results[0].result"),
    ({"measure": "mean_score", "result": "0.9"}, "results[0].result"),
    ({"measure": "mean_score", "result": "3", "baseline": "6"}, "results[0].baseline"),
    ({"measure": "ratio", "result": "3"}, "results[0].measure"),
    ({"domain": "belief"}, "results[0].domain"),
    ({"respondents": 91}, "results[0].respondents"),
    ({"statement": ""}, "results[0].statement"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_RESULTS)
def test_bad_results_name_the_field_and_store_nothing(people, changes, field):
    row = {"domain": "attitude", "statement": "S", "measure": "percent", "result": "50"}
    row.update(changes)
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.survey_record(
            actor=fresh(people["ngo"]),
            organiser=org("ngo-sigurna"),
            title="KAP",
            conducted_from=dt.date(2024, 1, 1),
            conducted_to=dt.date(2024, 1, 31),
            population="Students",
            sample_size=90,
            results=[row],
        )
    assert field_of(caught.value) == field and state() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"conducted_to": dt.date(2023, 12, 1)}, "conducted_to"),
        ({"sample_size": 0}, "sample_size"),
        ({"population": ""}, "population"),
        ({"organiser": "pu-bg"}, "organiser"),
    ],
)
def test_bad_survey_names_the_field(people, changes, field):
    values = {
        "organiser": org("ngo-sigurna"),
        "title": "KAP",
        "conducted_from": dt.date(2024, 1, 1),
        "conducted_to": dt.date(2024, 1, 31),
        "population": "Students",
        "sample_size": 90,
    }
    if "organiser" in changes:
        changes = {"organiser": org(changes["organiser"])}
    values.update(changes)
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.survey_record(actor=fresh(people["ngo"]), **values)
    assert field_of(caught.value) == field and state() == before
