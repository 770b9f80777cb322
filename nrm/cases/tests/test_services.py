"""Case services: screening, opening, identification, assistance, update and closure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import selectors, services
from nrm.cases.choices import CaseStatus, Decision, ScreeningResult, ServiceStatus
from nrm.cases.models import Case, Identification, Person, Screening, ServiceDelivery
from nrm.cases.tests.helpers import IDENTITY, denials, member, move, open_case, org, refer, share, state
from nrm.core import crypto
from nrm.core.errors import Conflict, NotFound
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import Referral, ServiceType

NO_COERCION = [a for a in PRESUMED_ADULT if not a.startswith("coercion")]


def screen(actor, answers, *, is_child=False, org_code="pu-bg", **kwargs) -> Screening:
    return services.screening_record(
        actor=fresh(actor), organisation=org(org_code), answers=answers, is_child=is_child, **kwargs
    )


# --- Screening -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "is_child", "result"),
    [
        (PRESUMED_ADULT, False, ScreeningResult.PRESUMED_VICTIM),
        (NO_COERCION, False, ScreeningResult.REFER_FOR_ASSESSMENT),
        (NO_COERCION, True, ScreeningResult.PRESUMED_VICTIM),
        ([a for a in PRESUMED_ADULT if not a.startswith("exploitative")], True, ScreeningResult.NOT_INDICATED),
    ],
    ids=["adult-presumed", "adult-no-coercion", "child-no-coercion", "child-no-exploitation"],
)
def test_screening_record_stores_result_and_reasons(world, answers, is_child, result):
    screening = screen(world["police"], answers, is_child=is_child)

    stored = Screening.objects.get(pk=screening.pk)
    assert stored.result == result
    assert stored.answers == sorted(answers)
    assert stored.is_child is is_child
    assert stored.reasons["presumed_victim"] is (result == ScreeningResult.PRESUMED_VICTIM)
    required = ["recruitment", "exploitation"] if is_child else ["recruitment", "exploitation", "coercion"]
    assert stored.reasons["required_groups"] == required
    observed = {code for d in stored.reasons["dimensions"] for code in d["observed"]}
    assert observed == set(answers)
    # The reasons name every required group, positive or not.
    for group in required:
        assert any(line.lower().startswith(f"{group}:") for line in stored.reasons["explanation"])
    assert stored.reasons["outcome"] == result
    if result != ScreeningResult.PRESUMED_VICTIM:
        assert any("not positive" in line for line in stored.reasons["explanation"])
    if is_child:
        assert any("Child" in line for line in stored.reasons["explanation"])
    assert AuditEntry.objects.filter(action="screening.create", object_id=str(screening.pk)).count() == 1


def test_screening_with_unknown_indicator_names_answers_and_stores_nothing(world):
    with pytest.raises(ValidationError) as exc:
        screen(world["police"], [*PRESUMED_ADULT, "no_such_indicator"])
    assert "answers" in exc.value.message_dict
    assert "no_such_indicator" in exc.value.message_dict["answers"][0]
    assert Screening.objects.count() == 0


def test_screening_for_another_organisation_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        screen(world["ngo2"], PRESUMED_ADULT, org_code="pu-bg")
    assert "organisation" in exc.value.message_dict
    assert Screening.objects.count() == 0


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST, Role.COORDINATOR, Role.ADMIN])
def test_screening_needs_a_screening_role(world, role):
    outsider = member("wrongrole", "pu-bg", role)
    with pytest.raises(ValidationError) as exc:
        screen(outsider, PRESUMED_ADULT)
    assert "organisation" in exc.value.message_dict
    assert Screening.objects.count() == 0


# --- Opening a case --------------------------------------------------------------------------


def test_case_open_links_screening_encrypts_identity_and_computes_linkage_key(world):
    screening = screen(world["police"], PRESUMED_ADULT)
    case = open_case(world["police"], screening=screening)

    assert Screening.objects.get(pk=screening.pk).case_id == case.pk
    assert case.owner == org("pu-bg") and case.opened_by == world["police"]
    assert case.reference == f"2024-{case.pk:06d}"
    assert case.identification_status == Decision.PENDING
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_name, family_name, date_of_birth, document_number, contact, address "
            "FROM cases_person WHERE id = %s",
            [case.person_id],
        )
        raw = cursor.fetchone()
    for stored, (field, plain) in zip(raw, IDENTITY.items(), strict=True):
        assert stored != plain and plain not in stored, field
        assert stored.startswith("v2:"), field
    person = Person.objects.get(pk=case.person_id)
    for stored, (field, plain) in zip(raw, IDENTITY.items(), strict=True):
        assert crypto.decrypt(stored, aad=crypto.bound_aad("cases.Person", field, person.binding)) == plain
    person = Person.objects.get(pk=case.person_id)
    assert person.given_name == IDENTITY["given_name"]
    assert person.linkage_key == crypto.linkage_key(
        given_name=IDENTITY["given_name"],
        family_name=IDENTITY["family_name"],
        date_of_birth=IDENTITY["date_of_birth"],
        sex="F",
    )
    assert person.birth_year == 1991 and person.age_band == "25-34"
    assert list(case.forms.values_list("code", flat=True)) == ["sexual"]


def test_linkage_key_finds_the_same_person_in_cyrillic(world):
    first = open_case(world["police"])
    second = open_case(
        world["socialwork"], "csr-bg", identity=dict(IDENTITY, given_name="Зоркана", family_name="КВИСТОВИЦ")
    )
    # Cyrillic has no Q; the Latin spelling "Kvistovic" is what the Cyrillic transliterates to.
    third = open_case(world["socialwork"], "csr-bg", identity=dict(IDENTITY, family_name="Kvistovic"))
    assert first.person.linkage_key != third.person.linkage_key
    assert second.person.linkage_key == third.person.linkage_key


def test_case_open_refuses_a_screening_already_linked(world):
    screening = screen(world["police"], PRESUMED_ADULT)
    open_case(world["police"], screening=screening)
    before = state()
    with pytest.raises(ValidationError) as exc:
        open_case(world["police"], screening=Screening.objects.get(pk=screening.pk))
    assert "screening" in exc.value.message_dict
    assert state() == before


def test_case_open_refuses_a_stale_screening_object(world):
    """Two cases opened from one screening at once: the second finds it taken, nothing is stored."""
    screening = screen(world["police"], PRESUMED_ADULT)
    stale = Screening.objects.get(pk=screening.pk)
    open_case(world["police"], screening=screening)
    before = state()
    with pytest.raises(ValidationError) as exc:
        open_case(world["police"], screening=stale)
    assert "screening" in exc.value.message_dict
    assert state() == before


def test_case_open_refuses_another_organisations_screening(world):
    screening = screen(world["socialwork"], PRESUMED_ADULT, org_code="csr-bg")
    with pytest.raises(ValidationError) as exc:
        open_case(world["police"], screening=screening)
    assert "screening" in exc.value.message_dict
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("citizenship", "Serbia", "citizenship"),
        ("sex", "Q", "sex"),
        ("forms", ["sexual", "no-such-form"], "forms"),
        ("birth_year", 1850, "birth_year"),
        ("birth_year", 1990, "birth_year"),  # the date of birth says 1991
        ("opened_on", dt.date(2999, 1, 1), "opened_on"),
        ("identity", dict(IDENTITY, date_of_birth="17.03.1991"), "date_of_birth"),
        ("identity", dict(IDENTITY, date_of_birth="2999-01-01"), "date_of_birth"),
        ("identity", {"nickname": "Z"}, "nickname"),
    ],
)
def test_case_open_bad_input_names_the_field_and_stores_nothing(world, field, value, named):
    before = state()
    with pytest.raises(ValidationError) as exc:
        open_case(world["police"], **{field: value})
    assert named in exc.value.message_dict
    assert state() == before


@pytest.mark.parametrize(
    ("identity", "birth_year", "flag", "is_child"),
    [
        # Born 1 December 2006: 17 on 10 January 2024, although 2024 - 2006 = 18.
        ({"date_of_birth": "2006-12-01"}, None, False, True),
        # Birth year only, 2024 - 2006 = 18: maybe 17, maybe 18; the worker's child flag stands.
        ({}, 2006, True, True),
        ({}, 2006, False, False),
        # Certainly a child, or certainly an adult: the age decides.
        ({}, 2010, False, True),
        ({}, 2000, True, False),
        ({"date_of_birth": "2006-01-09"}, None, True, False),
    ],
)
def test_child_flag_follows_a_certain_age_and_keeps_an_uncertain_one(world, identity, birth_year, flag, is_child):
    case = open_case(
        world["police"],
        identity=dict(identity, given_name="Z"),
        birth_year=birth_year,
        is_child=flag,
        opened_on=dt.date(2024, 1, 10),
    )
    assert Case.objects.get(pk=case.pk).is_child is is_child


# --- Identification --------------------------------------------------------------------------


def test_identification_is_decided_only_by_the_centre_after_accepting(world):
    case = open_case(world["police"])
    share(world["police"], case, "centre")
    referral = refer(world["police"], case, "centre")
    decide = {"case": case, "decision": Decision.IDENTIFIED, "grounds": "Interview.", "decided_on": dt.date(2024, 4, 9)}

    for who in ("police", "ngo", "ngo2", "socialwork", "analyst", "coordinator", "admin", "centre"):
        with pytest.raises(NotFound):
            services.identification_decide(actor=fresh(world[who]), **decide)
    assert Identification.objects.count() == 0
    assert len(denials(action="case.identify", object_id=str(case.pk))) == 8

    move(world["centre"], referral, ReferralStatus.ACCEPTED)
    ident = services.identification_decide(actor=fresh(world["centre"]), **decide)

    assert ident.organisation == org("centre") and ident.referral == referral
    assert Case.objects.get(pk=case.pk).identification_status == Decision.IDENTIFIED
    entry = AuditEntry.objects.filter(action="case.identify", outcome="allowed").get()
    assert entry.actor == "centre" and entry.detail == {"decision": Decision.IDENTIFIED}


def test_identification_is_recorded_for_the_authority_that_has_the_case(world):
    """An identifier in two identification authorities decides for the one the case went to."""
    from nrm.accounts.models import Membership, Organisation

    other = Organisation.objects.create(code="centre-2", name="A regional centre", type=org("centre").type)
    Membership.objects.create(user=world["centre"], organisation=other, role=Role.IDENTIFIER)
    case = open_case(world["police"])
    share(world["police"], case, "centre")
    move(world["centre"], refer(world["police"], case, "centre"), ReferralStatus.ACCEPTED)
    ident = services.identification_decide(
        actor=fresh(world["centre"]), case=case, decision=Decision.NOT_IDENTIFIED, grounds="Interview."
    )
    assert ident.organisation == org("centre")
    assert AuditEntry.objects.get(action="case.identify").organisation_id == org("centre").pk


def test_identification_needs_grounds_and_a_known_decision(world):
    case = open_case(world["police"])
    share(world["police"], case, "centre")
    move(world["centre"], refer(world["police"], case, "centre"), ReferralStatus.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.identification_decide(actor=fresh(world["centre"]), case=case, decision="maybe", grounds="x")
    assert "decision" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.identification_decide(actor=fresh(world["centre"]), case=case, decision="identified", grounds=" ")
    assert "grounds" in exc.value.message_dict
    assert Case.objects.get(pk=case.pk).identification_status == Decision.PENDING


# --- Assistance ------------------------------------------------------------------------------


@pytest.fixture
def caseworker(world):
    return member("pu-caseworker", "pu-bg", Role.CASEWORKER)


def test_service_record_and_update_with_optimistic_locking(world, caseworker):
    case = open_case(world["police"])
    delivery = services.service_record(
        actor=fresh(caseworker),
        case=case,
        service_type=ServiceType.objects.get(code="legal_aid"),
        organisation=org("pu-bg"),
    )
    assert delivery.version == 1 and delivery.status == ServiceStatus.PLANNED

    updated = services.service_update(
        actor=fresh(caseworker),
        delivery=delivery,
        expected_version=1,
        status=ServiceStatus.IN_PROGRESS,
        started_on=dt.date(2024, 4, 3),
    )
    assert updated.version == 2
    stored = ServiceDelivery.objects.get(pk=delivery.pk)
    assert (stored.status, stored.started_on, stored.version) == ("in_progress", dt.date(2024, 4, 3), 2)

    stale = ServiceDelivery.objects.get(pk=delivery.pk)
    with pytest.raises(Conflict) as exc:
        services.service_update(actor=fresh(caseworker), delivery=stale, expected_version=1, outcome="Lost edit")
    assert exc.value.field == "version"
    assert ServiceDelivery.objects.filter(pk=delivery.pk).values("status", "outcome", "version").get() == {
        "status": "in_progress",
        "outcome": "",
        "version": 2,
    }


def test_service_needs_a_service_role(world, caseworker):
    case = open_case(world["police"])
    before = state(case)
    # Frontline staff screen and refer; the assistance plan is the case workers'.
    with pytest.raises(NotFound):
        services.service_record(
            actor=fresh(world["police"]),
            case=case,
            service_type=ServiceType.objects.get(code="legal_aid"),
            organisation=org("pu-bg"),
        )
    assert state(case) == before
    assert denials(action="case.record_service", actor="police")


def test_service_on_a_referral_must_be_addressed_to_the_delivering_organisation(world):
    """A receiver records services on its own referral only; the owner on any of its case's."""
    case = open_case(world["police"])
    for code in ("ngo-sigurna", "ngo-most"):
        share(world["police"], case, code)
    mine = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], mine, ReferralStatus.ACCEPTED)
    theirs = refer(world["police"], case, "ngo-most")
    move(world["ngo2"], theirs, ReferralStatus.ACCEPTED)
    accommodation = ServiceType.objects.get(code="accommodation")
    before = state(case)
    with pytest.raises(ValidationError) as exc:
        services.service_record(
            actor=fresh(world["ngo"]),
            case=case,
            service_type=accommodation,
            organisation=org("ngo-sigurna"),
            referral=theirs,
        )
    assert list(exc.value.message_dict) == ["referral"]
    assert state(case) == before
    delivery = services.service_record(
        actor=fresh(world["ngo"]), case=case, service_type=accommodation, organisation=org("ngo-sigurna"), referral=mine
    )
    assert delivery.referral == mine
    owner_caseworker = member("pu-caseworker-2", "pu-bg", Role.CASEWORKER)
    planned = services.service_record(
        actor=fresh(owner_caseworker),
        case=case,
        service_type=accommodation,
        organisation=org("ngo-most"),
        referral=theirs,
    )
    assert planned.referral == theirs


def test_service_update_refused_on_a_closed_case(world, caseworker):
    case = open_case(world["police"])
    delivery = services.service_record(
        actor=fresh(caseworker),
        case=case,
        service_type=ServiceType.objects.get(code="legal_aid"),
        organisation=org("pu-bg"),
    )
    services.case_close(actor=fresh(caseworker), case=case, reason="reintegrated", expected_version=case.version)
    with pytest.raises(Conflict) as exc:
        services.service_update(
            actor=fresh(caseworker),
            delivery=ServiceDelivery.objects.get(pk=delivery.pk),
            expected_version=1,
            outcome="x",
        )
    assert exc.value.field == "status"
    assert ServiceDelivery.objects.get(pk=delivery.pk).version == 1


def test_service_dates_are_checked(world, caseworker):
    case = open_case(world["police"])
    with pytest.raises(ValidationError) as exc:
        services.service_record(
            actor=fresh(caseworker),
            case=case,
            service_type=ServiceType.objects.get(code="legal_aid"),
            organisation=org("pu-bg"),
            started_on=dt.date(2024, 5, 1),
            ended_on=dt.date(2024, 4, 1),
        )
    assert "ended_on" in exc.value.message_dict
    assert ServiceDelivery.objects.count() == 0


# --- Update and closure ----------------------------------------------------------------------


def test_case_update_bumps_version_and_refuses_a_stale_one(world, caseworker):
    case = open_case(world["police"])
    before = Case.objects.get(pk=case.pk).updated_at
    services.case_update(
        actor=fresh(caseworker), case=case, expected_version=1, place_of_exploitation="Novi Sad", forms=["labour"]
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.version, stored.place_of_exploitation) == (2, "Novi Sad")
    assert list(stored.forms.values_list("code", flat=True)) == ["labour"]
    assert stored.updated_at > before

    stale = Case.objects.get(pk=case.pk)
    stale.version = 1
    with pytest.raises(Conflict) as exc:
        services.case_update(actor=fresh(caseworker), case=stale, expected_version=1, region="Lost edit")
    assert exc.value.field == "version"
    assert Case.objects.filter(pk=case.pk).values("version", "region").get() == {"version": 2, "region": ""}


def test_case_update_with_unknown_form_changes_nothing(world, caseworker):
    case = open_case(world["police"])
    with pytest.raises(ValidationError) as exc:
        services.case_update(actor=fresh(caseworker), case=case, expected_version=1, region="X", forms=["nope"])
    assert "forms" in exc.value.message_dict
    stored = Case.objects.get(pk=case.pk)
    assert (stored.version, stored.region) == (1, "")
    assert list(stored.forms.values_list("code", flat=True)) == ["sexual"]


def test_case_update_by_frontline_is_refused_and_the_denial_is_kept(world):
    """The frontline worker corrects the facts, but the plan and guardian are the case workers'."""
    case = open_case(world["police"])
    with pytest.raises(NotFound):
        services.case_update(actor=fresh(world["police"]), case=case, expected_version=1, plan_goals="X")
    assert Case.objects.get(pk=case.pk).version == 1
    # The denial's audit row survives the rollback of the refused write.
    [entry] = denials(action="case.manage", object_id=str(case.pk))
    assert entry.actor == "police" and entry.reason == "not permitted"
    corrected = services.case_update(actor=fresh(world["police"]), case=case, expected_version=1, region="Niš")
    assert (corrected.region, corrected.version) == ("Niš", 2)


def test_case_close_settles_open_referrals_and_refuses_a_second_close(world, caseworker):
    case = open_case(world["police"])
    for code in ("centre", "ngo-sigurna", "ngo-most"):
        share(world["police"], case, code)
    to_centre = refer(world["police"], case, "centre")
    to_ngo = refer(world["police"], case, "ngo-sigurna")
    to_ngo2 = refer(world["police"], case, "ngo-most")
    move(world["ngo"], to_ngo, ReferralStatus.ACCEPTED)
    move(world["ngo2"], to_ngo2, ReferralStatus.DECLINED, reason="No capacity.")
    stale_ngo = Referral.objects.get(pk=to_ngo.pk)

    closed = services.case_close(
        actor=fresh(caseworker), case=case, reason="reintegrated", expected_version=1, note="Goals reached."
    )
    assert closed.version == 2
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.closure_reason, stored.closed_on) == (
        CaseStatus.CLOSED,
        "reintegrated",
        timezone.localdate(),
    )
    statuses = dict(Referral.objects.filter(case=case).values_list("pk", "status"))
    assert statuses == {to_centre.pk: "closed", to_ngo.pk: "completed", to_ngo2.pk: "declined"}
    entry = AuditEntry.objects.get(action="case.close")
    assert entry.detail == {
        "reason": "reintegrated",
        "referrals_closed": [to_centre.pk],
        "referrals_completed": [to_ngo.pk],
    }

    # The receiver's copy is stale: its move is refused, not written over the closure.
    with pytest.raises(Conflict):
        services_referral_transition(world["ngo"], stale_ngo, ReferralStatus.IN_PROGRESS)
    assert Referral.objects.get(pk=to_ngo.pk).status == "completed"

    with pytest.raises(Conflict) as exc:
        services.case_close(actor=fresh(caseworker), case=stored, reason="other", expected_version=2)
    assert exc.value.field == "status"
    assert Case.objects.get(pk=case.pk).closure_reason == "reintegrated"
    with pytest.raises(Conflict):
        services.case_update(actor=fresh(caseworker), case=stored, expected_version=2, region="X")


def services_referral_transition(actor, referral, to_status):
    from nrm.referrals.services import referral_transition

    return referral_transition(
        actor=fresh(actor), referral=referral, to_status=to_status, expected_version=referral.version
    )


def test_case_close_with_stale_version_changes_nothing(world, caseworker):
    case = open_case(world["police"])
    share(world["police"], case, "centre")
    refer(world["police"], case, "centre")
    services.case_update(actor=fresh(caseworker), case=case, expected_version=1, region="Beograd")
    before = state(case)
    stale = Case.objects.get(pk=case.pk)
    with pytest.raises(Conflict):
        services.case_close(actor=fresh(caseworker), case=stale, reason="other", expected_version=1)
    assert state(case) == before


def test_case_close_reason_and_date_are_checked(world, caseworker):
    case = open_case(world["police"])
    with pytest.raises(ValidationError) as exc:
        services.case_close(actor=fresh(caseworker), case=case, reason="bored", expected_version=1)
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.case_close(
            actor=fresh(caseworker), case=case, reason="other", expected_version=1, closed_on=dt.date(2024, 1, 1)
        )
    assert "closed_on" in exc.value.message_dict
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN


# --- Notes and consent -----------------------------------------------------------------------


def test_note_is_encrypted_and_owner_only(world, caseworker):
    case = open_case(world["police"])
    note = services.note_add(actor=fresh(caseworker), case=case, text="  Met at the shelter.  ")
    assert note.text == "Met at the shelter."
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote WHERE id = %s", [note.pk])
        assert cursor.fetchone()[0].startswith("v2:")
    with pytest.raises(NotFound):
        services.note_add(actor=fresh(world["ngo2"]), case=case, text="Outsider")
    with pytest.raises(ValidationError) as exc:
        services.note_add(actor=fresh(caseworker), case=case, text=" ")
    assert "text" in exc.value.message_dict


def test_consent_withdrawal_is_recorded_once(world):
    case = open_case(world["police"])
    consent = share(world["police"], case, "centre")
    with pytest.raises(ValidationError) as exc:
        services.consent_withdraw(actor=fresh(world["police"]), consent=consent, withdrawn_on=dt.date(2999, 1, 1))
    assert "withdrawn_on" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.consent_withdraw(actor=fresh(world["police"]), consent=consent, withdrawn_on=dt.date(2024, 1, 1))
    services.consent_withdraw(actor=fresh(world["police"]), consent=consent)
    assert consent.withdrawn_on == timezone.localdate()
    with pytest.raises(Conflict):
        services.consent_withdraw(actor=fresh(world["police"]), consent=consent)
    assert selectors.active_consents(case) == []


def test_the_last_open_service_delivered_completes_its_referral(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], referral, ReferralStatus.ACCEPTED)
    accommodation = ServiceType.objects.get(code="accommodation")

    def record(status: str, **kwargs):
        return services.service_record(
            actor=fresh(world["ngo"]),
            case=case,
            service_type=accommodation,
            organisation=org("ngo-sigurna"),
            referral=referral,
            status=status,
            started_on=case.opened_on if status != "planned" else None,
            **kwargs,
        )

    second = record("planned")
    first = record("delivered")
    referral.refresh_from_db()
    # One delivered, but another service on it is still planned: the referral stays open...
    assert referral.status == ReferralStatus.ACCEPTED
    # ...until that one ends too.
    services.service_update(
        actor=fresh(world["ngo"]), delivery=second, expected_version=second.version, status="cancelled"
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert first.referral_id == referral.pk
    assert AuditEntry.objects.filter(action="referral.transition", detail__by="last service").exists()
