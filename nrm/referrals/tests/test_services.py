"""Referral services: consent gating, the frozen snapshot, every state transition, due dates."""

from __future__ import annotations

import datetime as dt
import itertools

import holidays
import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import denials, member, move, open_case, open_child_case, org, refer, share, state
from nrm.core.errors import Conflict, NotFound
from nrm.core.workdays import add_working_days
from nrm.referrals import services
from nrm.referrals.choices import TRANSITIONS, LegalGround, ReferralKind, ReferralStatus
from nrm.referrals.models import Referral

S = ReferralStatus

# --- Consent gating --------------------------------------------------------------------------


def test_referral_without_consent_or_legal_ground_is_refused_and_stores_nothing(world):
    case = open_case(world["police"])
    share(world["police"], case, "centre")  # consent to another organisation does not count
    before = state(case)
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        refer(world["police"], case, "ngo-sigurna")
    assert list(exc.value.message_dict) == ["legal_ground"]
    assert "consented" in exc.value.message_dict["legal_ground"][0]
    assert state(case) == before
    assert AuditEntry.objects.count() == audit_rows


def test_referral_with_consent_is_not_flagged(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna", legal_ground="emergency", legal_ground_note="ignored")

    assert referral.without_consent is False
    assert referral.legal_ground == "" and referral.legal_ground_note == ""
    assert referral.shares_identity is True
    assert referral.from_org == org("pu-bg") and referral.status == S.SENT and referral.version == 1
    assert referral.consent_snapshot == [
        {"purpose": "share", "organisation": org("ngo-sigurna").pk, "given_on": case.opened_on.isoformat()}
    ]
    entry = AuditEntry.objects.get(action="referral.send")
    assert entry.reason == "" and entry.detail["without_consent"] is False


def test_child_ground_on_a_child_is_flagged_and_audited(world):
    case = open_child_case(world["police"])
    referral = refer(
        world["police"],
        case,
        "ngo-sigurna",
        legal_ground="child",
        legal_ground_note="Best interests: a shelter place is needed tonight, parents unknown.",
    )
    assert referral.without_consent is True
    assert referral.legal_ground == LegalGround.CHILD
    assert referral.consent_snapshot == []
    entry = AuditEntry.objects.get(action="referral.send")
    assert "without consent" in entry.reason and entry.detail["without_consent"] is True
    assert entry.organisation_id == org("pu-bg").pk


def test_child_ground_on_an_adult_is_refused(world):
    case = open_case(world["police"])
    before = state(case)
    with pytest.raises(ValidationError) as exc:
        refer(world["police"], case, "ngo-sigurna", legal_ground="child", legal_ground_note="Why not.")
    assert "legal_ground" in exc.value.message_dict
    assert state(case) == before


def test_legal_ground_needs_a_note(world):
    case = open_case(world["police"])
    with pytest.raises(ValidationError) as exc:
        refer(world["police"], case, "ngo-sigurna", legal_ground="emergency", legal_ground_note="  ")
    assert "legal_ground_note" in exc.value.message_dict
    assert Referral.objects.count() == 0


def test_emergency_ground_on_an_adult_is_flagged(world):
    case = open_case(world["police"])
    referral = refer(
        world["police"],
        case,
        "ngo-sigurna",
        legal_ground="emergency",
        legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
    )
    assert referral.without_consent is True and referral.legal_ground == "emergency"
    assert AuditEntry.objects.get(action="referral.send").reason == "without consent: emergency"


def test_withdrawn_consent_needs_a_legal_ground_again(world):
    case = open_case(world["police"])
    consent = share(world["police"], case, "ngo-sigurna")
    case_services.consent_withdraw(actor=fresh(world["police"]), consent=consent)
    with pytest.raises(ValidationError) as exc:
        refer(world["police"], case, "ngo-sigurna")
    assert "legal_ground" in exc.value.message_dict
    assert Referral.objects.count() == 0
    referral = refer(
        world["police"],
        case,
        "ngo-sigurna",
        legal_ground="emergency",
        legal_ground_note="Injured and in danger: needs a doctor and a safe place today.",
    )
    assert referral.without_consent is True and referral.consent_snapshot == []


def test_snapshot_is_frozen_when_sent(world):
    case = open_case(world["police"])
    consent = share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    frozen = list(referral.consent_snapshot)

    case_services.consent_withdraw(actor=fresh(world["police"]), consent=consent)
    share(world["police"], case, "centre")

    stored = Referral.objects.get(pk=referral.pk)
    assert stored.consent_snapshot == frozen
    # The withdrawal suspended the referral that relied on it (a new version); its snapshot stays.
    assert stored.without_consent is False and stored.status == "suspended" and stored.version == 2


def test_referral_without_identity(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna", shares_identity=False)
    assert Referral.objects.get(pk=referral.pk).shares_identity is False
    assert AuditEntry.objects.get(action="referral.send").detail["identity"] is False


# --- Who may refer, to whom ------------------------------------------------------------------


def test_outsider_cannot_refer_and_the_denial_is_kept(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    before = state(case)
    for who in ("ngo", "ngo2", "centre", "analyst", "coordinator", "admin"):
        with pytest.raises(NotFound):
            refer(world[who], case, "ngo-sigurna")
    assert state(case) == before
    assert sorted(e.actor for e in denials(action="referral.send")) == sorted(
        ["ngo", "ngo2", "centre", "analyst", "coordinator", "admin"]
    )


def test_cannot_refer_on_behalf_of_an_organisation_without_the_case(world):
    """A caseworker in two organisations refers only from the one that has the case."""
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    dual = member("dual", "pu-bg", Role.CASEWORKER)
    dual.memberships.create(organisation=org("ngo-most"), role=Role.CASEWORKER)
    with pytest.raises(ValidationError) as exc:
        refer(dual, case, "ngo-sigurna", from_org=org("ngo-most"))
    assert "from_org" in exc.value.message_dict
    assert Referral.objects.count() == 0
    assert refer(dual, case, "ngo-sigurna").from_org == org("pu-bg")


def test_receiver_refers_onward_from_its_own_organisation(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    share(world["police"], case, "ngo-most")
    first = refer(world["police"], case, "ngo-sigurna")
    with pytest.raises(NotFound):
        refer(world["ngo"], case, "ngo-most")  # not before accepting
    move(world["ngo"], first, S.ACCEPTED)
    onward = refer(world["ngo"], case, "ngo-most", service_type=first.service_type)
    assert onward.from_org == org("ngo-sigurna")


@pytest.mark.parametrize(
    ("to_code", "kwargs", "field"),
    [
        ("pu-bg", {}, "to_org"),
        ("ngo-sigurna", {"kind": ReferralKind.IDENTIFICATION}, "to_org"),
        ("ngo-sigurna", {"kind": ReferralKind.ASYLUM}, "to_org"),
        ("ngo-sigurna", {"service_type": None}, "service_type"),
        ("ngo-sigurna", {"kind": "telepathy"}, "kind"),
        ("ngo-sigurna", {"legal_ground": "because"}, "legal_ground"),
        ("ngo-sigurna", {"sent_on": dt.date(2999, 1, 1)}, "sent_on"),
        ("ngo-sigurna", {"sent_on": dt.date(2024, 4, 1)}, "sent_on"),  # before the case opened
    ],
)
def test_bad_referral_names_the_field_and_stores_nothing(world, to_code, kwargs, field):
    case = open_case(world["police"])
    for code in ("pu-bg", "ngo-sigurna"):
        share(world["police"], case, code)
    with pytest.raises(ValidationError) as exc:
        refer(world["police"], case, to_code, **kwargs)
    assert field in exc.value.message_dict
    assert Referral.objects.count() == 0


def test_closed_case_cannot_be_referred(world):
    case = open_case(world["socialwork"], "csr-bg")
    share(world["socialwork"], case, "ngo-sigurna")
    case_services.case_close(actor=fresh(world["socialwork"]), case=case, reason="other", expected_version=1)
    case.refresh_from_db()
    with pytest.raises(Conflict):
        refer(world["socialwork"], case, "ngo-sigurna")
    assert Referral.objects.count() == 0


# --- Due dates -------------------------------------------------------------------------------


def test_serbian_holidays_of_spring_2024():
    """The calendar the due dates below rest on, read from the holidays package itself."""
    rs = holidays.country_holidays("RS", years=2024)
    for day in range(1, 7):  # Labour Day 1-2 May; Orthodox Good Friday 3 May to Easter Monday 6 May
        assert dt.date(2024, 5, day) in rs


@pytest.mark.parametrize(
    ("to_code", "kind", "days", "due"),
    [
        # Sent Tuesday 30 April: 1-2 May Labour Day, 3-6 May Orthodox Easter (4-5 a weekend).
        # Working days 7, 8, 9 May (service, 3) and then 10, 13 May (identification, 5).
        ("ngo-sigurna", ReferralKind.SERVICE, 3, dt.date(2024, 5, 9)),
        ("centre", ReferralKind.IDENTIFICATION, 5, dt.date(2024, 5, 13)),
        ("asylum-office", ReferralKind.ASYLUM, 5, dt.date(2024, 5, 13)),
    ],
)
def test_due_date_counts_working_days(world, to_code, kind, days, due):
    case = open_case(world["police"], opened_on=dt.date(2024, 4, 30))
    share(world["police"], case, to_code)
    kwargs = {"kind": kind} if kind != ReferralKind.SERVICE else {}
    referral = refer(world["police"], case, to_code, sent_on=dt.date(2024, 4, 30), **kwargs)
    assert services.response_days(kind) == days
    assert referral.due_on == due == add_working_days(dt.date(2024, 4, 30), days, "RS")


def test_response_days_can_be_configured(world, settings):
    settings.NRM_REFERRAL_RESPONSE_DAYS = {"identification": 1}
    case = open_case(world["police"], opened_on=dt.date(2024, 4, 30))
    share(world["police"], case, "centre")
    assert refer(world["police"], case, "centre", sent_on=dt.date(2024, 4, 30)).due_on == dt.date(2024, 5, 7)


# --- Every transition, both sides ------------------------------------------------------------

# The rule, written out independently of TRANSITIONS: who may move a referral from which state.
RECEIVER_MAY = {
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.DECLINED),
    (S.ACCEPTED, S.IN_PROGRESS),
    (S.ACCEPTED, S.COMPLETED),
    (S.IN_PROGRESS, S.COMPLETED),
}
SENDER_MAY = {
    (S.SENT, S.CLOSED),
    (S.ACCEPTED, S.CLOSED),
    (S.IN_PROGRESS, S.CLOSED),
    (S.COMPLETED, S.CLOSED),
    (S.DECLINED, S.CLOSED),
    # A referral suspended by a withdrawal of consent: sent again (consent in force again) or closed.
    (S.SUSPENDED, S.SENT),
    (S.SUSPENDED, S.CLOSED),
}
PAIRS = list(itertools.product(S.values, S.values))


def test_transition_table_is_the_rule():
    assert {pair for pair, side in TRANSITIONS.items() if side == "receiver"} == RECEIVER_MAY
    assert {pair for pair, side in TRANSITIONS.items() if side == "sender"} == SENDER_MAY


@pytest.fixture
def referral_at(world):
    """Return a function making a referral from police (pu-bg) to ngo (ngo-sigurna) in a state."""
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")

    def make(status: str) -> Referral:
        referral = refer(world["police"], case, "ngo-sigurna")
        Referral.objects.filter(pk=referral.pk).update(status=status, version=7)
        return Referral.objects.get(pk=referral.pk)

    return make


@pytest.mark.parametrize("side", ["sender", "receiver"])
@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition(world, referral_at, side, old, new):
    referral = referral_at(old)
    actor = fresh(world["police"] if side == "sender" else world["ngo"])
    allowed = (old, new) in (SENDER_MAY if side == "sender" else RECEIVER_MAY)
    call = {"actor": actor, "referral": referral, "to_status": new, "expected_version": 7, "reason": "No capacity."}
    if allowed:
        moved = services.referral_transition(**call, on=dt.date(2024, 4, 5))
        stored = Referral.objects.get(pk=referral.pk)
        assert (moved.status, stored.status, stored.version) == (new, new, 8)
        if old == S.SENT and new in (S.ACCEPTED, S.DECLINED):
            assert stored.responded_on == dt.date(2024, 4, 5)
        if new == S.DECLINED:
            assert stored.decline_reason == "No capacity."
        entry = AuditEntry.objects.get(action="referral.transition")
        assert entry.detail == {"referral": referral.pk, "from": old, "to": new}
        assert entry.organisation_id == (referral.from_org_id if side == "sender" else referral.to_org_id)
    else:
        with pytest.raises(Conflict) as exc:
            services.referral_transition(**call)
        assert exc.value.field == "status"
        stored = Referral.objects.get(pk=referral.pk)
        assert (stored.status, stored.version, stored.responded_on) == (old, 7, None)
        assert not AuditEntry.objects.filter(action="referral.transition").exists()


@pytest.mark.parametrize("who", ["ngo2", "centre", "socialwork", "analyst", "coordinator", "admin"])
def test_outsider_cannot_move_a_referral(world, referral_at, who):
    referral = referral_at(S.SENT)
    with pytest.raises(NotFound):
        services.referral_transition(
            actor=fresh(world[who]), referral=referral, to_status=S.ACCEPTED, expected_version=7
        )
    assert Referral.objects.filter(pk=referral.pk).values_list("status", "version").get() == (S.SENT, 7)
    assert [e.actor for e in denials(action="referral.transition")] == [who]


def test_reporter_in_the_receiving_organisation_cannot_accept(world, referral_at):
    referral = referral_at(S.SENT)
    reporter = member("ngo-reporter", "ngo-sigurna", Role.REPORTER)
    with pytest.raises(NotFound):
        services.referral_transition(actor=fresh(reporter), referral=referral, to_status=S.ACCEPTED, expected_version=7)
    assert Referral.objects.get(pk=referral.pk).status == S.SENT


def test_decline_needs_a_reason(world, referral_at):
    referral = referral_at(S.SENT)
    with pytest.raises(ValidationError) as exc:
        services.referral_transition(
            actor=fresh(world["ngo"]), referral=referral, to_status=S.DECLINED, expected_version=7, reason="  "
        )
    assert "decline_reason" in exc.value.message_dict
    assert Referral.objects.filter(pk=referral.pk).values_list("status", "version").get() == (S.SENT, 7)


def test_unknown_status_is_refused(world, referral_at):
    referral = referral_at(S.SENT)
    with pytest.raises(ValidationError) as exc:
        services.referral_transition(actor=fresh(world["ngo"]), referral=referral, to_status="lost", expected_version=7)
    assert "status" in exc.value.message_dict


def test_stale_version_is_refused(world, referral_at):
    referral = referral_at(S.SENT)
    with pytest.raises(Conflict) as exc:
        services.referral_transition(
            actor=fresh(world["ngo"]), referral=referral, to_status=S.ACCEPTED, expected_version=6
        )
    assert exc.value.field == "version"
    assert Referral.objects.filter(pk=referral.pk).values_list("status", "version", "responded_on").get() == (
        S.SENT,
        7,
        None,
    )


def test_referral_for_update_hides_and_audits_other_organisations_referrals(world, referral_at):
    referral = referral_at(S.SENT)
    assert services.referral_for_update(fresh(world["ngo"]), referral.pk) == referral
    assert services.referral_for_update(fresh(world["police"]), referral.pk) == referral
    with pytest.raises(NotFound):
        services.referral_for_update(fresh(world["ngo2"]), referral.pk)
    with pytest.raises(NotFound):
        services.referral_for_update(fresh(world["ngo"]), referral.pk + 1000)
    assert [(e.actor, e.object_id) for e in denials()] == [("ngo2", str(referral.pk)), ("ngo", str(referral.pk + 1000))]


def test_the_whole_journey(world):
    """Sent, accepted, in progress, completed, closed: each move by the side that owns it."""
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    for actor, status in (
        ("ngo", S.ACCEPTED),
        ("ngo", S.IN_PROGRESS),
        ("ngo", S.COMPLETED),
        ("police", S.CLOSED),
    ):
        referral = move(world[actor], referral, status)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.version) == (S.CLOSED, 5)
    assert list(AuditEntry.objects.filter(action="referral.transition").values_list("detail__to", flat=True)) == [
        "accepted",
        "in_progress",
        "completed",
        "closed",
    ]
