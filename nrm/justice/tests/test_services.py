"""Justice services: proceedings, stages, defendants, charges, verdicts, victims and compensation.

Bad input names the field and stores nothing; refusals are NotFound, audited, and survive the
rollback; a defendant's identity is encrypted at rest and never written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import denials, member, open_case, org
from nrm.core.errors import Conflict, NotFound
from nrm.justice import services
from nrm.justice.models import Defendant, Proceeding, ProceedingShare, ProceedingVictim
from nrm.justice.tests.helpers import DEFENDANT, state

FUTURE = dt.date.today() + dt.timedelta(days=30)


def open_proceeding(actor, org_code="pu-bg", **kwargs) -> Proceeding:
    values = {"reference": "KTO 1/24", "investigation_on": dt.date(2024, 5, 1)}
    values.update(kwargs)
    return services.proceeding_open(actor=fresh(actor), organisation=org(org_code), **values)


def field_of(exc) -> list[str]:
    return list(exc.value.message_dict)


# --- Opening ---------------------------------------------------------------------------------


def test_open_links_the_cases_and_takes_their_forms(justice):
    police = justice["police"]
    a, b = open_case(police, forms=["sexual"]), open_case(police, forms=["labour", "begging"])
    proceeding = open_proceeding(police, cases=[a, b])
    assert proceeding.stage == "investigation"
    assert proceeding.owner == org("pu-bg")
    assert sorted(proceeding.forms.values_list("code", flat=True)) == ["begging", "labour", "sexual"]
    assert set(proceeding.cases.all()) == {a, b}
    assert set(a.proceedings.all()) == {proceeding}
    entry = AuditEntry.objects.get(action="proceeding.open")
    assert entry.detail == {"cases": sorted([a.pk, b.pk])}


def _bad_open(justice):
    police, ngo2 = justice["police"], justice["ngo2"]
    other = open_case(justice["socialwork"], "csr-bg")
    return {
        "not-a-justice-org": (ngo2, {"org_code": "ngo-most"}, "organisation"),
        "another-police": (police, {"org_code": "pu-ns"}, "organisation"),
        "no-reference": (police, {"reference": "  "}, "reference"),
        "future": (police, {"investigation_on": FUTURE}, "investigation_on"),
        "unknown-form": (police, {"forms": ["sexual", "juggling"]}, "forms"),
        "unseen-case": (police, {"cases": [other]}, "cases"),
    }


@pytest.mark.parametrize(
    "bad", ["not-a-justice-org", "another-police", "no-reference", "future", "unknown-form", "unseen-case"]
)
def test_open_with_bad_input_names_the_field_and_stores_nothing(justice, bad):
    actor, kwargs, field = _bad_open(justice)[bad]
    before, audit_before = state(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        open_proceeding(actor, **kwargs)
    assert field_of(exc) == [field]
    assert state() == before
    assert AuditEntry.objects.count() == audit_before


def test_the_file_number_is_unique_per_owner(justice):
    open_proceeding(justice["police"])
    with pytest.raises(ValidationError) as exc:
        open_proceeding(justice["police"])
    assert field_of(exc) == ["reference"]
    assert Proceeding.objects.count() == 1


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST, Role.COORDINATOR, Role.ADMIN, Role.IDENTIFIER])
def test_opening_needs_an_editing_role_in_the_justice_organisation(justice, role):
    user = member("wrong-role", "pu-bg", role)
    with pytest.raises(ValidationError) as exc:
        open_proceeding(user)
    assert field_of(exc) == ["organisation"]
    assert Proceeding.objects.count() == 0


# --- Stages ----------------------------------------------------------------------------------


def test_stages_move_forward_with_their_dates(justice):
    police = justice["police"]
    p = open_proceeding(police)
    p = services.proceeding_advance(
        actor=fresh(police), proceeding=p, stage="charges", on=dt.date(2024, 6, 1), expected_version=1
    )
    p = services.proceeding_advance(
        actor=fresh(police), proceeding=p, stage="indictment", on=dt.date(2024, 6, 1), expected_version=2
    )
    stored = Proceeding.objects.get(pk=p.pk)
    assert (stored.stage, stored.charged_on, stored.indicted_on, stored.version) == (
        "indictment",
        dt.date(2024, 6, 1),
        dt.date(2024, 6, 1),
        3,
    )


@pytest.mark.parametrize(
    ("stage", "on", "version", "error", "field"),
    [
        ("investigation", dt.date(2024, 6, 1), 2, Conflict, "stage"),
        ("charges", dt.date(2024, 7, 1), 2, Conflict, "stage"),
        ("verdict", dt.date(2024, 7, 1), 2, ValidationError, "stage"),
        ("indictment", dt.date(2024, 5, 31), 2, ValidationError, "on"),
        ("indictment", FUTURE, 2, ValidationError, "on"),
        ("indictment", dt.date(2024, 7, 1), 1, Conflict, "version"),
    ],
    ids=["backwards", "same-stage", "no-such-stage", "before-charges", "future", "stale"],
)
def test_bad_advances_are_refused(justice, stage, on, version, error, field):
    police = justice["police"]
    p = open_proceeding(police)
    services.proceeding_advance(
        actor=fresh(police), proceeding=p, stage="charges", on=dt.date(2024, 6, 1), expected_version=1
    )
    before = state()
    with pytest.raises(error) as exc:
        services.proceeding_advance(actor=fresh(police), proceeding=p, stage=stage, on=on, expected_version=version)
    if error is Conflict:
        assert exc.value.field == field
    else:
        assert field_of(exc) == [field]
    assert state() == before


@pytest.mark.parametrize("who", ["ngo", "ngo2", "centre", "socialwork", "analyst", "coordinator", "admin"])
def test_outsiders_cannot_advance_and_the_refusal_is_audited(justice, who):
    p = open_proceeding(justice["police"])
    before = state()
    with pytest.raises(NotFound):
        services.proceeding_advance(
            actor=fresh(justice[who]), proceeding=p, stage="charges", on=dt.date(2024, 6, 1), expected_version=1
        )
    assert state() == before
    [entry] = denials(action="proceeding.edit")
    assert (entry.actor, entry.object_type, entry.object_id) == (who, "proceeding", str(p.pk))


# --- Sharing ---------------------------------------------------------------------------------


def test_sharing_lets_the_prosecutor_edit_but_not_share_again(justice):
    police = justice["police"]
    prosecutor = member("prosecutor", "rjt-bg", Role.CASEWORKER)
    p = open_proceeding(police)
    with pytest.raises(NotFound):
        services.proceeding_advance(
            actor=fresh(prosecutor), proceeding=p, stage="indictment", on=dt.date(2024, 6, 1), expected_version=1
        )
    services.proceeding_share(actor=fresh(police), proceeding=p, organisation=org("rjt-bg"))
    services.proceeding_advance(
        actor=fresh(prosecutor), proceeding=p, stage="indictment", on=dt.date(2024, 6, 1), expected_version=1
    )
    with pytest.raises(NotFound):
        services.proceeding_share(actor=fresh(prosecutor), proceeding=p, organisation=org("rjt-ns"))
    assert list(ProceedingShare.objects.values_list("organisation__code", flat=True)) == ["rjt-bg"]


@pytest.mark.parametrize(("target", "why"), [("ngo-sigurna", "ngo"), ("pu-bg", "owner"), ("rjt-bg", "twice")])
def test_sharing_only_with_another_justice_organisation_once(justice, target, why):
    police = justice["police"]
    p = open_proceeding(police)
    services.proceeding_share(actor=fresh(police), proceeding=p, organisation=org("rjt-bg"))
    with pytest.raises(ValidationError) as exc:
        services.proceeding_share(actor=fresh(police), proceeding=p, organisation=org(target))
    assert field_of(exc) == ["organisation"]
    assert ProceedingShare.objects.count() == 1


# --- Defendants and charges ------------------------------------------------------------------


def test_defendants_are_numbered_and_their_identity_is_encrypted_and_never_audited(justice):
    police = justice["police"]
    p = open_proceeding(police)
    first = services.defendant_add(actor=fresh(police), proceeding=p, offences=["388", "350"], **DEFENDANT)
    second = services.defendant_add(actor=fresh(police), proceeding=p, name="Second Person", sex="F")
    assert (first.number, second.number) == (1, 2)
    assert sorted(first.charges.values_list("offence__code", flat=True)) == ["350", "388"]
    assert Defendant.objects.get(pk=first.pk).name == DEFENDANT["name"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, identity_details FROM justice_defendant")
        stored = " ".join(" ".join(row) for row in cursor.fetchall())
    for secret in [*DEFENDANT.values(), "Second Person"]:
        assert secret not in stored
    audit_text = " ".join(str(e.detail) + e.reason for e in AuditEntry.objects.all())
    for secret in [*DEFENDANT.values(), "Second Person"]:
        assert secret not in audit_text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"sex": "Q"}, "sex"),
        ({"birth_year": 1850}, "birth_year"),
        ({"citizenship": "Serbia"}, "citizenship"),
        ({"offences": ["388", "999"]}, "offences"),
    ],
    ids=["no-name", "sex", "birth-year", "citizenship", "offence"],
)
def test_defendant_with_bad_input_names_the_field_and_stores_nothing(justice, kwargs, field):
    p = open_proceeding(justice["police"])
    before = state()
    with pytest.raises(ValidationError) as exc:
        services.defendant_add(actor=fresh(justice["police"]), proceeding=p, **{"name": "A Person", **kwargs})
    assert field_of(exc) == [field]
    assert state() == before


def test_a_charge_is_added_once_per_offence(justice):
    police = justice["police"]
    defendant = services.defendant_add(
        actor=fresh(police), proceeding=open_proceeding(police), name="A Person", offences=["388"]
    )
    services.charge_add(actor=fresh(police), defendant=defendant, offence="184")
    for code, field in (("388", "offence"), ("nope", "offence")):
        with pytest.raises(ValidationError) as exc:
            services.charge_add(actor=fresh(police), defendant=defendant, offence=code)
        assert field_of(exc) == [field]
    assert sorted(defendant.charges.values_list("offence__code", flat=True)) == ["184", "388"]


# --- Verdicts --------------------------------------------------------------------------------


@pytest.fixture
def charged(justice):
    police = justice["police"]
    p = open_proceeding(police)
    p = services.proceeding_advance(
        actor=fresh(police), proceeding=p, stage="indictment", on=dt.date(2024, 9, 1), expected_version=1
    )
    defendant = services.defendant_add(actor=fresh(police), proceeding=p, name="A Person", offences=["388"])
    return police, p, defendant.charges.get()


def test_a_verdict_moves_the_proceeding_to_its_stage(charged):
    police, p, charge = charged
    services.verdict_record(
        actor=fresh(police),
        charge=charge,
        instance="first",
        outcome="convicted",
        decided_on=dt.date(2025, 2, 3),
        prison_months=36,
        suspended=True,
        fine_amount="120000",
        fine_currency="rsd",
    )
    p.refresh_from_db()
    assert (p.stage, p.first_verdict_on, p.version) == ("first_instance_verdict", dt.date(2025, 2, 3), 3)
    verdict = charge.verdicts.get()
    assert (verdict.prison_months, verdict.suspended, verdict.fine_amount, verdict.fine_currency) == (
        36,
        True,
        Decimal("120000.00"),
        "RSD",
    )
    services.verdict_record(
        actor=fresh(police), charge=charge, instance="final", outcome="convicted", decided_on=dt.date(2025, 9, 1)
    )
    p.refresh_from_db()
    assert (p.stage, p.final_verdict_on) == ("final_verdict", dt.date(2025, 9, 1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "acquitted", "prison_months": 12}, "prison_months"),
        ({"outcome": "dismissed", "fine_amount": "100"}, "fine_amount"),
        ({"prison_months": 0}, "prison_months"),
        ({"prison_months": 601}, "prison_months"),
        ({"suspended": True}, "suspended"),
        ({"fine_amount": "100"}, "fine_currency"),
        ({"fine_amount": "100", "fine_currency": "DINARS"}, "fine_currency"),
        ({"fine_currency": "EUR"}, "fine_amount"),
        ({"fine_amount": "-5", "fine_currency": "EUR"}, "fine_amount"),
        ({"fine_amount": "lots", "fine_currency": "EUR"}, "fine_amount"),
        ({"decided_on": dt.date(2024, 8, 1)}, "decided_on"),
        ({"decided_on": FUTURE}, "decided_on"),
        ({"outcome": "guilty"}, "outcome"),
        ({"instance": "appeal"}, "instance"),
    ],
)
def test_verdict_with_bad_input_names_the_field_and_stores_nothing(charged, kwargs, field):
    police, _p, charge = charged
    values = {"instance": "first", "outcome": "convicted", "decided_on": dt.date(2025, 2, 3)}
    values.update(kwargs)
    before = state()
    with pytest.raises(ValidationError) as exc:
        services.verdict_record(actor=fresh(police), charge=charge, **values)
    assert field_of(exc) == [field]
    assert state() == before


def test_one_verdict_per_instance_and_none_after_the_final_one(charged):
    police, _p, charge = charged
    services.verdict_record(
        actor=fresh(police), charge=charge, instance="first", outcome="acquitted", decided_on=dt.date(2025, 2, 3)
    )
    before = state()
    with pytest.raises(Conflict) as exc:
        services.verdict_record(
            actor=fresh(police), charge=charge, instance="first", outcome="convicted", decided_on=dt.date(2025, 2, 4)
        )
    assert exc.value.field == "instance"
    with pytest.raises(ValidationError) as bad:
        services.verdict_record(
            actor=fresh(police), charge=charge, instance="final", outcome="convicted", decided_on=dt.date(2025, 2, 1)
        )
    assert field_of(bad) == ["decided_on"]
    assert state() == before


# --- Victims and compensation ----------------------------------------------------------------


def test_linking_a_victim_needs_a_case_the_actor_can_see(justice):
    police = justice["police"]
    p = open_proceeding(police)
    mine, theirs = open_case(police), open_case(justice["socialwork"], "csr-bg")
    part = services.victim_link(
        actor=fresh(police), proceeding=p, case=mine, role="witness", protection_measures=["closed_hearing"]
    )
    assert (part.role, [m.code for m in part.protection_measures.all()]) == ("witness", ["closed_hearing"])
    for case, kwargs, field in (
        (theirs, {}, "case"),
        (mine, {}, "case"),  # already linked
        (open_case(police), {"role": "judge"}, "role"),
        (open_case(police), {"protection_measures": ["invisibility"]}, "protection_measures"),
    ):
        before = state()
        with pytest.raises(ValidationError) as exc:
            services.victim_link(actor=fresh(police), proceeding=p, case=case, **kwargs)
        assert field_of(exc) == [field]
        assert state() == before
    entry = AuditEntry.objects.get(action="proceeding.victim.link")
    assert (entry.object_type, entry.object_id, entry.detail["proceeding"]) == ("case", str(mine.pk), p.pk)


def test_compensation_claimed_awarded_and_paid(proceeding_scene):
    part = services.victim_update(
        actor=fresh(proceeding_scene.users["police"]),
        part=proceeding_scene.part_a,
        expected_version=proceeding_scene.part_a.version,
        compensation_awarded="300000",
        awarded_on=dt.date(2025, 3, 14),
        compensation_paid=Decimal("100000.5"),
        paid_on=dt.date(2025, 6, 1),
    )
    stored = ProceedingVictim.objects.get(pk=part.pk)
    assert (stored.compensation_claimed, stored.compensation_awarded, stored.compensation_paid) == (
        Decimal("450000.00"),
        Decimal("300000.00"),
        Decimal("100000.50"),
    )
    assert (stored.compensation_currency, stored.version) == ("RSD", proceeding_scene.part_a.version + 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"compensation_awarded": "1000"}, "awarded_on"),
        ({"awarded_on": dt.date(2025, 3, 14)}, "compensation_awarded"),
        ({"compensation_paid": "10", "paid_on": dt.date(2025, 4, 1)}, "compensation_paid"),
        (
            {
                "compensation_awarded": "100",
                "awarded_on": dt.date(2025, 3, 1),
                "compensation_paid": "101",
                "paid_on": dt.date(2025, 4, 1),
            },
            "compensation_paid",
        ),
        (
            {
                "compensation_awarded": "100",
                "awarded_on": dt.date(2025, 3, 1),
                "compensation_paid": "50",
                "paid_on": dt.date(2025, 2, 1),
            },
            "paid_on",
        ),
        ({"compensation_awarded": "100", "awarded_on": dt.date(2024, 9, 1)}, "awarded_on"),
        ({"compensation_currency": "€"}, "compensation_currency"),
        ({"compensation_currency": ""}, "compensation_currency"),
        ({"compensation_claimed": "-1"}, "compensation_claimed"),
        ({"claimed_on": FUTURE}, "claimed_on"),
        ({"role": "judge"}, "role"),
        ({"case": 1}, "case"),
    ],
    ids=[
        "amount-without-date",
        "date-without-amount",
        "paid-not-awarded",
        "paid-above-award",
        "paid-before-award",
        "award-before-claim",
        "currency-symbol",
        "no-currency",
        "negative",
        "future",
        "role",
        "not-updatable",
    ],
)
def test_bad_compensation_names_the_field_and_stores_nothing(proceeding_scene, changes, field):
    before = state()
    with pytest.raises(ValidationError) as exc:
        services.victim_update(
            actor=fresh(proceeding_scene.users["police"]),
            part=proceeding_scene.part_a,
            expected_version=proceeding_scene.part_a.version,
            **changes,
        )
    assert field_of(exc) == [field]
    assert state() == before


def test_a_stale_victim_update_is_a_conflict(proceeding_scene):
    before = state()
    with pytest.raises(Conflict):
        services.victim_update(
            actor=fresh(proceeding_scene.users["police"]),
            part=proceeding_scene.part_a,
            expected_version=1,
            role="witness",
        )
    assert state() == before


def test_the_ngo_holding_the_case_cannot_change_its_part(proceeding_scene):
    before = state()
    with pytest.raises(NotFound):
        services.victim_update(
            actor=fresh(proceeding_scene.users["ngo"]),
            part=proceeding_scene.part_a,
            expected_version=proceeding_scene.part_a.version,
            role="witness",
        )
    assert state() == before
    assert denials(action="proceeding.edit", actor="ngo")
