"""The case-work pages and the sign-in routes against the outsiders, with the shared harness.

The case is owned by the NGO shelter in Belgrade (ngo-sigurna, the ``ngo`` persona). It was
opened from a screening, the person consented to sharing with the Centre and the Centre for
Social Work; the Centre accepted an identification referral, the Centre for Social Work has not
answered its referral yet; a service is planned and the owner wrote a note.

The harness (``tests/matrix.py``) asserts, for anonymous users, another organisation, a member of
the owner with a role without case access, the roles that never see case content (coordinator,
analyst, administrator) and a receiver that has not accepted, that a record is a 404 like a
missing one (and an audited denial), a list shows none of the case, and nothing changes. The
tests below add who may see a case but not act on it, and the sign-in page.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

import tests.matrix as matrix
from conftest import PASSWORD, PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import IDENTITY, member, move, open_case, org, refer, share
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import ServiceType
from tests.matrix import AREA, LIST, OPEN, PUBLIC, Route, Scene, matrix_tests

NOTE = "Owner's note: meets the family on Friday"
MESSAGE = "Referral message: needs a room away from the city"
PLAN = "Plan goal only the owner and receivers read"

# The roles that never reach case content, wherever they belong.
NO_CASE_ROLES = ("coordinator", "analyst", "admin")
# Refused everywhere in case work: another organisation, the owner's reporter, those roles.
OUTSIDERS = ("other_org", "wrong_role", *NO_CASE_ROLES)
# On the case itself also the receiver whose referral is not accepted yet, and the former
# receivers: the person withdrew the consent one referral relied on (suspended), and the owner
# closed the other once its work was done.
CASE_OUTSIDERS = (*OUTSIDERS, "socialwork", "withdrawn_receiver", "closed_receiver")
# A list or a form of one's own: another organisation gets its own (empty) page, the others none.
AREA_REFUSED = {"other_org": 200}
LIST_REFUSED = {"other_org": 200, "wrong_role": 404, **dict.fromkeys(NO_CASE_ROLES, 404)}


def build_scene(world) -> Scene:
    """Return one case of ngo-sigurna with its screening, consents, referrals, a service and a note."""
    ngo = world["ngo"]
    screening = case_services.screening_record(
        actor=fresh(ngo), organisation=org("ngo-sigurna"), answers=PRESUMED_ADULT, is_child=False
    )
    case = open_case(ngo, "ngo-sigurna", screening=screening)
    share(ngo, case, "centre")
    consent = share(ngo, case, "csr-bg")
    to_centre = refer(ngo, case, "centre")
    move(world["centre"], to_centre, ReferralStatus.ACCEPTED)
    to_csr = refer(ngo, case, "csr-bg", message=MESSAGE)
    delivery = case_services.service_record(
        actor=fresh(ngo),
        case=case,
        service_type=ServiceType.objects.get(code="legal_aid"),
        organisation=org("ngo-sigurna"),
    )
    case_services.note_add(actor=fresh(ngo), case=case, text=NOTE)
    withdrawn = share(ngo, case, "pu-bg")
    police_caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    move(police_caseworker, refer(ngo, case, "pu-bg"), ReferralStatus.ACCEPTED)
    case_services.consent_withdraw(actor=fresh(ngo), consent=withdrawn)
    svetlo = member("svetlo-caseworker", "ngo-svetlo", Role.CASEWORKER)
    share(ngo, case, "ngo-svetlo")
    to_svetlo = refer(ngo, case, "ngo-svetlo")
    for actor, status in [(svetlo, "accepted"), (svetlo, "completed"), (ngo, "closed")]:
        move(actor, to_svetlo, ReferralStatus(status))
    on_ground = refer(ngo, case, "csr-ns", legal_ground="emergency", legal_ground_note=REFER_FORM["legal_ground_note"])
    case.refresh_from_db()
    case = case_services.case_update(actor=fresh(ngo), case=case, expected_version=case.version, plan_goals=PLAN)
    flag = case_services.flag_raise(actor=fresh(ngo), case=case, reason="trafficker_contact")
    episode = case_services.episode_add(actor=fresh(ngo), case=case, form="sexual", country="HU", notes=EPISODE_NOTE)
    case.refresh_from_db()
    to_csr.refresh_from_db()
    # The owner's authenticator app, being set up: its secret is the owner's alone.
    device = TOTPDevice.objects.create(user=ngo, confirmed=False, name="authenticator")
    secret = matrix_secret(device)
    return Scene(
        users={
            **world,
            "other_org": world["ngo2"],
            "wrong_role": member("sigurna-reporter", "ngo-sigurna", Role.REPORTER),
            "centre_wrong_role": member("centre-reporter", "centre", Role.REPORTER),
            "frontline": member("sigurna-frontline", "ngo-sigurna", Role.FRONTLINE),
            "withdrawn_receiver": police_caseworker,
            "closed_receiver": svetlo,
        },
        ids={
            "screening": screening,
            "case": case,
            "case_version": case.version,
            "consent": consent,
            "to_csr": to_csr,
            "on_ground": on_ground,
            "to_csr_version": to_csr.version,
            "delivery": delivery,
            "flag": flag,
            "episode": episode,
            "sigurna_caseworker": member("sigurna-caseworker", "ngo-sigurna", Role.CASEWORKER),
            "ngo_sigurna": org("ngo-sigurna"),
            "ngo_most": org("ngo-most"),
            "accommodation": ServiceType.objects.get(code="accommodation"),
            "psychological": ServiceType.objects.get(code="psychological"),
            "totp_token": CurrentToken(device),
        },
        secrets=[*IDENTITY.values(), case.reference, NOTE, EPISODE_NOTE, MESSAGE, PLAN, secret],
        # The authenticator apps are django-otp's rows, which the generic snapshot leaves out.
        state=lambda: sorted(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True)),
    )


class CurrentToken:
    """The authenticator's token when the request is sent: a token lives 30 s, a scene much longer.

    The harness puts a record's ``pk`` into a body, so the token is computed there.
    """

    def __init__(self, device: TOTPDevice) -> None:
        self.device = device

    @property
    def pk(self) -> int:
        d = self.device
        return TOTP(d.bin_key, d.step, d.t0, d.digits, d.drift).token()


def matrix_secret(device: TOTPDevice) -> str:
    """Return the secret the set-up page shows, as the page writes it."""
    from base64 import b32encode

    return b32encode(device.bin_key).decode().rstrip("=")


CASE = "/cases/{case}/"
SCREENING_FORM = {
    "organisation": "{ngo_sigurna}",
    "sex": "F",
    "age_band": "18-24",
    "citizenship": "RS",
    "region": "Belgrade",
    "channel": "outreach",
    "answers": PRESUMED_ADULT,
}
CASE_FORM = {
    "organisation": "{ngo_sigurna}",
    "given_name": "Nova",
    "sex": "M",
    "birth_year": 1990,
    "citizenship": "RS",
    "migration_status": "national",
    "forms": ["labour"],
}
EDIT_FORM = {"version": "{case_version}", "region": "Belgrade", "forms": ["sexual"], "plan_goals": "Safe housing"}
CLOSE_FORM = {"version": "{case_version}", "reason": "declined", "note": "Moved away"}
CONSENT_FORM = {"purposes": ["share", "services"], "organisations": ["{ngo_most}"]}
REFER_FORM = {
    "to_org": "{ngo_most}",
    "kind": "service",
    "service_type": "{accommodation}",
    "message": "Needs a lawyer.",
    "legal_ground": "emergency",
    "legal_ground_note": "Injured and in danger: needs a doctor and a safe place today.",
}
IDENTIFY_FORM = {"decision": "identified", "grounds": "Interview and documents."}
SERVICE_FORM = {"service_type": "{psychological}", "organisation": "{ngo_sigurna}", "status": "planned"}
EPISODE_NOTE = "Episode note only the owner reads"
EPISODE_FORM = {"form": "labour", "country": "DE", "started_on": "2023-02-01", "recruiter_relationship": "employer"}
SERVICE_UPDATE_FORM = {"version": 1, "status": "in_progress", "started_on": "2024-04-03"}
TRANSITION_FORM = {"status": "accepted", "version": "{to_csr_version}"}

ROUTES = [
    # Home: every signed-in user has one, with only their own tasks on it.
    Route("get", "/", "centre", kind=LIST, outsiders=OUTSIDERS),
    # Screening.
    Route("get", "/screenings/", "ngo", kind=LIST, outsiders=OUTSIDERS, refused=LIST_REFUSED),
    Route("get", "/screenings/new/", "ngo", kind=AREA, outsiders=OUTSIDERS, refused=AREA_REFUSED),
    Route(
        "post",
        "/screenings/new/",
        "ngo",
        302,
        kind=AREA,
        data=SCREENING_FORM,
        outsiders=OUTSIDERS,
        refused=AREA_REFUSED,  # another organisation may not screen for the owner: the form says so
    ),
    Route(
        "post",
        "/screenings/evaluate/",
        "ngo",
        kind=AREA,
        data={"answers": PRESUMED_ADULT},
        outsiders=OUTSIDERS,
        refused=AREA_REFUSED,  # a computation on the ticks sent, nothing stored
        changes=False,
    ),
    Route("get", "/screenings/{screening}/", "ngo", outsiders=OUTSIDERS),
    # Cases.
    Route("get", "/cases/", "ngo", kind=LIST, outsiders=OUTSIDERS, refused=LIST_REFUSED),
    Route("get", "/cases/export.csv", "ngo", kind=LIST, outsiders=OUTSIDERS, refused=LIST_REFUSED),
    Route("get", "/cases/new/", "ngo", kind=AREA, outsiders=OUTSIDERS, refused=AREA_REFUSED),
    Route(
        "post",
        "/cases/new/",
        "ngo",
        302,
        kind=AREA,
        data=CASE_FORM,
        outsiders=OUTSIDERS,
        refused=AREA_REFUSED,  # another organisation may not open a case for the owner: the form says so
    ),
    Route("get", CASE, "ngo", outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "edit/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "edit/", "ngo", 302, data=EDIT_FORM, outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "close/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "close/", "ngo", 302, data=CLOSE_FORM, outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "consents/new/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "consents/new/", "ngo", 302, data=CONSENT_FORM, outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "consents/{consent}/withdraw/", "ngo", 302, outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "refer/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "refer/", "ngo", 302, data=REFER_FORM, outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "identify/", "centre", outsiders=(*CASE_OUTSIDERS, "centre_wrong_role")),
    Route(
        "post", CASE + "identify/", "centre", 302, data=IDENTIFY_FORM, outsiders=(*CASE_OUTSIDERS, "centre_wrong_role")
    ),
    Route("get", CASE + "services/new/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "services/new/", "ngo", 302, data=SERVICE_FORM, outsiders=CASE_OUTSIDERS),
    Route("get", CASE + "services/{delivery}/", "ngo", outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "services/{delivery}/", "ngo", 302, data=SERVICE_UPDATE_FORM, outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "notes/", "ngo", 302, data={"text": "Seen today."}, outsiders=CASE_OUTSIDERS),
    # Issue J: the search box on the case list, the responsible case worker, flags.
    Route(
        "get",
        # In Cyrillic and another case: the page gives the searcher's own words back, never the stored name.
        "/cases/?name=%D0%97%D0%BE%D1%80%D0%BA%D0%B0%D0%BD%D0%B0+qvistovi%C4%87&birth_year=1991",
        "ngo",
        kind=LIST,
        outsiders=OUTSIDERS,
        refused=LIST_REFUSED,
        name="search cases by name (page)",
    ),
    Route("get", CASE + "assign/", "ngo", outsiders=(*CASE_OUTSIDERS, "frontline")),
    Route(
        "post",
        CASE + "assign/",
        "ngo",
        302,
        data={"responsible": "{sigurna_caseworker}"},
        outsiders=(*CASE_OUTSIDERS, "frontline"),
    ),
    Route("post", CASE + "flags/", "ngo", 302, data={"reason": "security_risk"}, outsiders=CASE_OUTSIDERS),
    Route("post", CASE + "flags/{flag}/lift/", "ngo", 302, outsiders=CASE_OUTSIDERS),
    # Episodes of exploitation: the owner's case roles only; the accepted receiver (the Centre) reads, never writes.
    Route("get", CASE + "episodes/new/", "ngo", outsiders=(*CASE_OUTSIDERS, "centre")),
    Route("post", CASE + "episodes/new/", "ngo", 302, data=EPISODE_FORM, outsiders=(*CASE_OUTSIDERS, "centre")),
    Route("get", CASE + "episodes/{episode}/", "ngo", outsiders=(*CASE_OUTSIDERS, "centre")),
    Route(
        "post",
        CASE + "episodes/{episode}/",
        "ngo",
        302,
        data={**EPISODE_FORM, "version": 1},
        outsiders=(*CASE_OUTSIDERS, "centre"),
    ),
    Route("post", CASE + "episodes/{episode}/remove/", "ngo", 302, outsiders=(*CASE_OUTSIDERS, "centre")),
    # Referrals: the inbox of the receiver, the outbox of the sender, the referral for both.
    Route("get", "/referrals/in/", "socialwork", kind=LIST, outsiders=OUTSIDERS, refused=LIST_REFUSED),
    Route("get", "/referrals/out/", "ngo", kind=LIST, outsiders=OUTSIDERS, refused=LIST_REFUSED),
    Route("get", "/referrals/{to_csr}/", "socialwork", outsiders=OUTSIDERS),
    Route("post", "/referrals/{to_csr}/transition/", "socialwork", 302, data=TRANSITION_FORM, outsiders=OUTSIDERS),
    # The owner's review of referrals sent without consent: its case workers only.
    Route(
        "get",
        "/referrals/legal-grounds/",
        "ngo",
        kind=LIST,
        outsiders=(*OUTSIDERS, "frontline"),
        refused={**LIST_REFUSED, "frontline": 200},
    ),
    Route(
        "post",
        "/referrals/{on_ground}/ground-review/",
        "ngo",
        302,
        data={"version": 1, "ground_review": "upheld"},
        outsiders=(*OUTSIDERS, "frontline", "centre"),
    ),
    # The service directory: every signed-in user.
    Route("get", "/directory/", "analyst", kind=OPEN, outsiders=("other_org", "wrong_role", "coordinator", "admin")),
    # Accounts and core.
    Route("get", "/healthz", "analyst", kind=PUBLIC),
    # Signed in already, the sign-in page sends home; signed out, the right password signs in.
    Route(
        "post",
        "/accounts/login/",
        "ngo",
        302,
        kind=PUBLIC,
        data={"username": "ngo", "password": PASSWORD},
        changes=False,
    ),
    Route("post", "/accounts/logout/", "ngo", 302, kind=PUBLIC, changes=False),
    Route("get", "/accounts/totp/", "ngo", kind=OPEN, outsiders=("other_org",)),
    # Everyone changes their own password only; the change (a column the generic state does not
    # count) and its refusals are tested in nrm/api/tests/test_tokens.py.
    Route("get", "/accounts/password/", "ngo", kind=OPEN, outsiders=()),
    Route(
        "post",
        "/accounts/password/",
        "ngo",
        302,
        kind=OPEN,
        outsiders=(),
        data={
            "old_password": PASSWORD,
            "new_password": "matrix-new-pass-81",
            "new_password_again": "matrix-new-pass-81",
        },
        changes=False,
    ),
    Route("post", "/accounts/totp/", "ngo", 302, kind=OPEN, data={"token": "{totp_token}"}, outsiders=("other_org",)),
    # Removing one's own authenticator app needs a code from it (nrm/accounts/tests/test_twofactor.py):
    # here, without one, nothing changes.
    Route(
        "post",
        "/accounts/totp/remove/",
        "ngo",
        302,
        kind=OPEN,
        outsiders=(),
        data={"current_token": "000000"},
        changes=False,
    ),
    Route(
        "post",
        "/i18n/setlang/",
        "ngo",
        302,
        kind=PUBLIC,
        data={"language": "sr-latn", "next": "/directory/"},
        changes=False,
    ),
]
BY_ID = {r.id: r for r in ROUTES}

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


# --- Who sees the case but may not act on it --------------------------------------------------

# The harness wants a refusal's audit rows to be denials only; these personas may read the case,
# so the read is audited as allowed before the action is denied.
SEES_BUT_MAY_NOT = [
    # The owner's frontline worker screens, refers, records consent and corrects the facts
    # (test_the_frontline_corrects_the_facts_only); managing is the case workers'.
    ("frontline", "GET " + CASE + "close/"),
    ("frontline", "POST " + CASE + "close/"),
    ("frontline", "GET " + CASE + "identify/"),
    ("frontline", "POST " + CASE + "identify/"),
    ("frontline", "GET " + CASE + "services/new/"),
    ("frontline", "POST " + CASE + "services/new/"),
    ("frontline", "GET " + CASE + "services/{delivery}/"),
    ("frontline", "POST " + CASE + "services/{delivery}/"),
    ("frontline", "POST " + CASE + "notes/"),
    # The owner's case worker does not decide identification: the Centre does.
    ("ngo", "GET " + CASE + "identify/"),
    ("ngo", "POST " + CASE + "identify/"),
    # A receiver that accepted works on the case and records consents it obtains itself (to refer
    # on), but withdrawals and notes stay the owner's.
    ("centre", "POST " + CASE + "consents/{consent}/withdraw/"),
    ("centre", "POST " + CASE + "notes/"),
]


@pytest.mark.parametrize(("persona", "name"), SEES_BUT_MAY_NOT, ids=[f"{n} as {p}" for p, n in SEES_BUT_MAY_NOT])
def test_who_sees_the_case_may_not_act_beyond_the_role(scene, persona, name):
    route = BY_ID[name]
    user = scene.users[persona]
    before = scene.snapshot()
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = matrix.request(scene, route, user)
    assert response.status_code == 404, (persona, name, response.status_code)
    assert scene.snapshot() == before
    denied = AuditEntry.objects.filter(id__gt=start, actor=user.username, outcome=AuditEntry.Outcome.DENIED)
    assert denied.exists(), f"{persona}'s refusal of {name} was not audited"


def test_the_sender_may_not_answer_its_own_referral(scene):
    route = BY_ID["POST /referrals/{to_csr}/transition/"]
    before = scene.snapshot()
    response = matrix.request(scene, route, scene.users["ngo"])
    assert response.status_code == 409, response.status_code  # a step its side may not take
    assert scene.snapshot() == before
    scene.ids["to_csr"].refresh_from_db()
    assert scene.ids["to_csr"].status == ReferralStatus.SENT


# --- Sign-in ---------------------------------------------------------------------------------


def test_sign_in_page_is_public_and_sends_the_signed_in_home(scene, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    client.force_login(scene.users["ngo"])
    response = client.get("/accounts/login/")
    assert (response.status_code, response["Location"]) == (302, "/")


def test_wrong_password_does_not_sign_in(scene, client):
    route = replace(BY_ID["POST /accounts/login/"], data={"username": "ngo", "password": "wrong"})
    response = matrix.request(scene, route, None)
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_right_role_writes_land(scene):
    """The right role's form posts did what they say (the harness only sees that something changed)."""
    users, ids = scene.users, scene.ids
    case = ids["case"]
    matrix.request(scene, BY_ID["POST " + CASE + "edit/"], users["ngo"])
    case.refresh_from_db()
    assert case.plan_goals == "Safe housing"
    matrix.request(scene, BY_ID["POST " + CASE + "identify/"], users["centre"])
    case.refresh_from_db()
    assert case.identification_status == "identified"
    matrix.request(scene, BY_ID["POST /referrals/{to_csr}/transition/"], users["socialwork"])
    ids["to_csr"].refresh_from_db()
    assert ids["to_csr"].status == ReferralStatus.ACCEPTED
    matrix.request(scene, BY_ID["POST /accounts/totp/"], users["ngo"])
    assert TOTPDevice.objects.filter(user=users["ngo"], confirmed=True).exists()


def test_the_frontline_corrects_the_facts_only(scene):
    """The owner's frontline worker corrects a case's non-identifying facts, and nothing else."""
    from nrm.cases.models import Case

    user = scene.users["frontline"]
    page = matrix.request(scene, BY_ID["GET " + CASE + "edit/"], user)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="region"' in html and 'name="plan_goals"' not in html and 'name="guardian"' not in html
    response = matrix.request(scene, BY_ID["POST " + CASE + "edit/"], user)
    assert response.status_code == 302
    case = Case.objects.get(pk=scene.ids["case"].pk)
    assert case.region == "Belgrade" and case.plan_goals == PLAN  # the plan is untouched
