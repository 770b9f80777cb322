"""The access rule: the owner's staff, receivers while a referral is active, and every outsider.

Outsiders are named: another organisation, the same organisation with the wrong role, an
inactive membership. For each, the case does not exist (NotFound, audited as a denial).
"""

from __future__ import annotations

import pytest

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.access import Action, restrict
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership
from nrm.audit.models import AuditEntry
from nrm.cases import selectors, services
from nrm.cases.access import can, can_see_identity
from nrm.cases.models import Case, Screening
from nrm.cases.tests.helpers import (
    GUARDIAN,
    IDENTITY,
    api,
    denials,
    member,
    move,
    open_case,
    open_child_case,
    org,
    refer,
    share,
    state,
)
from nrm.core.errors import NotFound
from nrm.referrals import selectors as referral_selectors
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import Referral

S = ReferralStatus
ALL_ACTIONS = list(Action)


def allowed_actions(user, case) -> set[Action]:
    return {action for action in ALL_ACTIONS if can(fresh(user), action, case)}


@pytest.fixture
def case(world):
    return open_case(world["police"])


# --- The owner's staff -----------------------------------------------------------------------


def test_frontline_owner_views_screens_and_refers(world, case):
    # The owner's frontline worker also corrects the non-identifying facts (issue I) and flags a
    # danger (issue J); naming the responsible case worker is the case workers'.
    assert allowed_actions(world["police"], case) == {
        Action.VIEW,
        Action.SCREEN,
        Action.REFER,
        Action.CORRECT,
        Action.FLAG,
    }
    assert list(restrict(Case.objects.all(), fresh(world["police"]))) == [case]
    assert can_see_identity(fresh(world["police"]), case)


def test_caseworker_owner_manages(world):
    case = open_case(world["socialwork"], "csr-bg")
    assert allowed_actions(world["socialwork"], case) == set(ALL_ACTIONS) - {Action.RESPOND, Action.IDENTIFY}


def test_centre_owner_identifies_its_own_case(world):
    case = open_case(world["centre"], "centre")
    assert Action.IDENTIFY in allowed_actions(world["centre"], case)


# --- Outsiders -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ngo", "ngo2", "centre", "socialwork", "analyst", "coordinator", "admin"])
def test_another_organisation_sees_nothing(world, case, who):
    user = fresh(world[who])
    assert allowed_actions(user, case) == set()
    assert not restrict(Case.objects.all(), user).exists()
    assert not can_see_identity(user, case)
    with pytest.raises(NotFound):
        selectors.case_get(user, case.pk)
    [entry] = denials(action="case.view")
    assert (entry.actor, entry.object_id) == (who, str(case.pk))


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST, Role.COORDINATOR, Role.ADMIN])
def test_same_organisation_with_the_wrong_role_sees_nothing(world, case, role):
    user = member("wrong-role", "pu-bg", role)
    assert allowed_actions(user, case) == set()
    assert not restrict(Case.objects.all(), user).exists()
    assert not restrict(Screening.objects.all(), user).exists()
    assert not restrict(Referral.objects.all(), user).exists()
    assert not can_see_identity(user, case)
    with pytest.raises(NotFound):
        selectors.case_get(user, case.pk)
    assert denials(action="case.view", actor="wrong-role")


def test_inactive_membership_or_user_sees_nothing(world, case):
    Membership.objects.filter(user=world["police"]).update(is_active=False)
    assert allowed_actions(world["police"], case) == set()
    Membership.objects.filter(user=world["police"]).update(is_active=True)
    world["police"].is_active = False
    world["police"].save()
    assert allowed_actions(world["police"], case) == set()


def test_missing_and_forbidden_are_the_same_answer(world, case):
    with pytest.raises(NotFound) as missing:
        selectors.case_get(fresh(world["police"]), case.pk + 1000)
    with pytest.raises(NotFound) as forbidden:
        selectors.case_get(fresh(world["ngo2"]), case.pk)
    assert str(missing.value) == str(forbidden.value) == ""
    assert len(denials(action="case.view")) == 2


# --- Receivers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "sees"),
    [(S.SENT, False), (S.ACCEPTED, True), (S.IN_PROGRESS, True), (S.COMPLETED, True), (S.DECLINED, False)],
)
def test_receiver_sees_the_case_only_while_the_referral_is_active(world, case, status, sees):
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    path = {
        S.ACCEPTED: [S.ACCEPTED],
        S.IN_PROGRESS: [S.ACCEPTED, S.IN_PROGRESS],
        S.COMPLETED: [S.ACCEPTED, S.COMPLETED],
        S.DECLINED: [S.DECLINED],
    }.get(status, [])
    for step in path:
        move(world["ngo"], referral, step, reason="No capacity.")
    ngo = fresh(world["ngo"])
    assert can(ngo, Action.VIEW, case) is sees
    assert restrict(Case.objects.all(), ngo).exists() is sees
    if sees:
        assert selectors.case_get(ngo, case.pk).case == case
        assert allowed_actions(ngo, case) == {
            Action.VIEW,
            Action.REFER,
            Action.RESPOND,
            Action.RECORD_SERVICE,
            Action.FLAG,  # a shelter warns everyone on the case of a danger it sees
        }
    else:
        with pytest.raises(NotFound):
            selectors.case_get(ngo, case.pk)
    # The referral itself is always visible to both ends, and to nobody else.
    assert referral_selectors.referral_get(ngo, referral.pk) == referral
    assert referral_selectors.referral_get(fresh(world["police"]), referral.pk) == referral
    with pytest.raises(NotFound):
        referral_selectors.referral_get(fresh(world["ngo2"]), referral.pk)


def test_closing_the_referral_ends_the_receivers_access(world, case):
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], referral, S.ACCEPTED)
    assert can(fresh(world["ngo"]), Action.VIEW, case)
    move(world["police"], referral, S.CLOSED)
    assert not can(fresh(world["ngo"]), Action.VIEW, case)


@pytest.mark.parametrize("shares_identity", [True, False])
def test_receiver_sees_identity_only_if_the_referral_shares_it(world, case, shares_identity):
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna", shares_identity=shares_identity)
    assert not can_see_identity(fresh(world["ngo"]), case)  # nothing before accepting
    move(world["ngo"], referral, S.ACCEPTED)
    view = selectors.case_get(fresh(world["ngo"]), case.pk)
    assert view.show_identity is shares_identity
    assert view.is_owner is False
    assert AuditEntry.objects.filter(action="case.view", outcome="allowed").get().detail == {
        "identity": shares_identity
    }


def test_reporter_membership_in_the_owner_does_not_make_a_receiver_the_owner(world, case):
    """Notes and consents are the owner's staff's: another role there does not open them."""
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), S.ACCEPTED)
    Membership.objects.create(user=world["ngo"], organisation=org("pu-bg"), role=Role.REPORTER)
    view = selectors.case_get(fresh(world["ngo"]), case.pk)
    assert view.is_owner is False
    assert AuditEntry.objects.filter(action="case.view", outcome="allowed").get().organisation_id is None


def test_centre_sees_a_case_referred_to_it_only_after_accepting(world, case):
    share(world["police"], case, "centre")
    referral = refer(world["police"], case, "centre")
    centre = fresh(world["centre"])
    assert allowed_actions(centre, case) == set()
    with pytest.raises(NotFound):
        selectors.case_get(centre, case.pk)
    move(world["centre"], referral, S.ACCEPTED)
    centre = fresh(world["centre"])
    assert allowed_actions(centre, case) == {
        Action.VIEW,
        Action.MANAGE,  # the identification authority manages the protection of those referred to it
        Action.CORRECT,
        Action.REFER,
        Action.RESPOND,
        Action.RECORD_SERVICE,
        Action.IDENTIFY,
        Action.FLAG,
    }
    assert selectors.case_get(centre, case.pk).show_identity is True


def test_ngo_receiver_cannot_identify(world, case):
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), S.ACCEPTED)
    assert not can(fresh(world["ngo"]), Action.IDENTIFY, case)


# --- A receiver sees its own referrals, not the others --------------------------------------


@pytest.fixture
def referred_thrice(world, case):
    """A case referred to both NGOs and the Centre; each NGO accepted, ngo-most planned its service."""
    for code in ("ngo-sigurna", "ngo-most", "centre"):
        share(world["police"], case, code)
    mine = refer(world["police"], case, "ngo-sigurna")
    move(world["ngo"], mine, S.ACCEPTED)
    theirs = refer(world["police"], case, "ngo-most")
    move(world["ngo2"], theirs, S.ACCEPTED)
    refer(world["police"], case, "centre")
    services.service_record(
        actor=fresh(world["ngo2"]),
        case=case,
        service_type=theirs.service_type,
        organisation=org("ngo-most"),
        referral=theirs,
    )
    return {"mine": mine, "theirs": theirs}


def _case_pages(user, case) -> dict[str, str]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    web = client.get(f"/cases/{case.pk}/")
    body = api(user).get(f"/api/v1/cases/{case.pk}/")
    assert (web.status_code, body.status_code) == (200, 200)
    return {"web": web.content.decode(), "api": body.content.decode()}


def test_receiver_sees_no_other_recipient_of_the_case(world, case, referred_thrice):
    """The timeline, the referrals and the services show a receiver only its own organisation's part."""
    others = [org("ngo-most").name, org("centre").name]
    for where, text in _case_pages(world["ngo"], case).items():
        assert org("ngo-sigurna").name in text, where
        for name in others:
            assert name not in text, (where, name)
    view = selectors.case_get(fresh(world["ngo"]), case.pk)
    assert list(view.case.referrals.all()) == [referred_thrice["mine"]]
    assert list(view.case.services.all()) == []


def test_owner_still_sees_every_recipient(world, case, referred_thrice):
    names = [org(code).name for code in ("ngo-sigurna", "ngo-most", "centre")]
    for where, text in _case_pages(world["police"], case).items():
        for name in names:
            assert name in text, (where, name)
    view = selectors.case_get(fresh(world["police"]), case.pk)
    assert len(view.case.referrals.all()) == 3 and len(view.case.services.all()) == 1


def test_receiver_cannot_record_a_service_on_another_receivers_referral(world, case, referred_thrice):
    """Through the API too: the rule is the service's, not the web form's."""
    before = state(case)
    response = api(world["ngo"]).post(
        f"/api/v1/cases/{case.pk}/services/",
        {"service_type": "accommodation", "referral": referred_thrice["theirs"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "referral" in response.json()["errors"]
    assert state(case) == before


# --- Lists -----------------------------------------------------------------------------------


def test_case_list_is_the_access_rule(world, case):
    other = open_case(world["socialwork"], "csr-bg")
    share(world["socialwork"], other, "ngo-sigurna")
    move(world["ngo"], refer(world["socialwork"], other, "ngo-sigurna"), S.ACCEPTED)
    assert list(selectors.case_list(fresh(world["police"]))) == [case]
    assert list(selectors.case_list(fresh(world["socialwork"]))) == [other]
    assert list(selectors.case_list(fresh(world["ngo"]))) == [other]
    for who in ("ngo2", "centre", "analyst", "coordinator", "admin"):
        assert list(selectors.case_list(fresh(world[who]))) == [], who


def test_identity_search_finds_own_cases_only(world, case):
    found = selectors.case_list(fresh(world["police"]), identity={"given_name": "zorkana", "family_name": "QVISTOVIC"})
    assert list(found) == []  # the key covers date of birth and sex too
    found = selectors.case_list(
        fresh(world["police"]),
        identity={"given_name": "zorkana", "family_name": "QVISTOVIC", "date_of_birth": "1991-03-17", "sex": "F"},
    )
    assert list(found) == [case]
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), S.ACCEPTED)
    found = selectors.case_list(
        fresh(world["ngo"]),
        identity={"given_name": "Zorkana", "family_name": "Qvistovic", "date_of_birth": "1991-03-17", "sex": "F"},
    )
    assert list(found) == []


def test_screening_list_is_the_screening_organisation(world):
    screening = services.screening_record(
        actor=fresh(world["police"]), organisation=org("pu-bg"), answers=PRESUMED_ADULT, is_child=False
    )
    assert list(selectors.screening_list(fresh(world["police"]))) == [screening]
    for who in ("ngo", "ngo2", "centre", "socialwork", "analyst", "coordinator", "admin"):
        assert list(selectors.screening_list(fresh(world[who]))) == [], who
        with pytest.raises(NotFound):
            selectors.screening_get(fresh(world[who]), screening.pk)


def _names_in(response) -> list[str]:
    return [secret for secret in IDENTITY.values() if secret.encode() in response.content]


@pytest.mark.parametrize("shares_identity", [True, False])
def test_receiver_sees_the_case_after_accepting_and_identity_only_if_shared(world, shares_identity):
    police, ngo = world["police"], world["ngo"]
    case = open_case(police)
    share(police, case, "ngo-sigurna")
    response = api(police).post(
        "/api/v1/referrals/",
        {
            "case": case.pk,
            "to_org": org("ngo-sigurna").pk,
            "service_type": "accommodation",
            "shares_identity": shares_identity,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    referral = response.json()
    assert referral["shares_identity"] is shares_identity

    assert api(ngo).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    inbox = api(ngo).get("/api/v1/referrals/?box=in").json()
    assert [r["id"] for r in inbox["results"]] == [referral["id"]]
    assert _names_in(api(ngo).get("/api/v1/referrals/?box=in")) == []

    accepted = api(ngo).post(
        f"/api/v1/referrals/{referral['id']}/transition/", {"status": "accepted", "version": 1}, format="json"
    )
    assert accepted.status_code == 200, accepted.content

    response = api(ngo).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.json()
    if shares_identity:
        assert body["identity"]["given_name"] == IDENTITY["given_name"]
        assert _names_in(response) == list(IDENTITY.values())
    else:
        assert body["identity"] is None
        assert _names_in(response) == []
    assert "consents" not in body and body["plan_goals"] == ""
    # The owner sees everything.
    owner_view = api(police).get(f"/api/v1/cases/{case.pk}/")
    assert _names_in(owner_view) == list(IDENTITY.values())
    assert len(owner_view.json()["consents"]) == 1


def test_centre_sees_a_referred_case_only_after_accepting(world):
    police, centre = world["police"], world["centre"]
    case = open_child_case(police)
    referral = refer(
        police,
        case,
        "centre",
        legal_ground="child",
        legal_ground_note="Best interests: the child is alone and needs shelter today.",
    )
    assert api(centre).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    response = api(centre).post(
        f"/api/v1/cases/{case.pk}/identify/", {"decision": "identified", "grounds": "x"}, format="json"
    )
    assert response.status_code == 404
    move(centre, referral, ReferralStatus.ACCEPTED)
    response = api(centre).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["guardian"] == GUARDIAN
    assert response.json()["identity"]["family_name"] == IDENTITY["family_name"]
