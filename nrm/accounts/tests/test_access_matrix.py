"""The administration pages (``/administration/``) against the outsiders, with the shared harness.

Only the ``admin`` persona (the admin role in the Coordinator's office) enters. The outsiders:
the Belgrade police (another organisation), a reporter of the Coordinator's office (the admin's
own organisation, another role), and the Coordinator, the analyst and the Centre, who
administer nothing. Each finds no page (404), a refusal at a particular record is an audited
denial, and nothing changes. The scene: an account of the NGO shelter with one membership, a
deactivated account, an account locked out by django-axes, and an inactive organisation.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import api_token
from nrm.accounts.choices import Role
from nrm.accounts.models import ApiToken, Membership, Organisation, OrganisationType, User
from nrm.cases.tests.helpers import member, org
from tests.matrix import AREA, Route, Scene, matrix_tests

EMAIL = "matrix-account-9931@example.org"


def lock(username: str, failures: int = 5, ip: str = "127.0.0.1") -> None:
    """Record ``failures`` failed sign-ins of ``username`` from ``ip`` as django-axes does (5 lock it out)."""
    AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )


def state() -> dict:
    return {
        "attempts": sorted(AccessAttempt.objects.values_list("username", "failures_since_start")),
        "users": sorted(User.objects.values_list("username", "is_active", "must_change_password", "password")),
        "tokens": sorted(ApiToken.objects.filter(label="matrix-account").values_list("pk", "revoked_at")),
        "memberships": sorted(Membership.objects.values_list("pk", "role", "is_active")),
        "organisations": sorted(Organisation.objects.values_list("code", "name", "is_active")),
        "devices": sorted(TOTPDevice.objects.values_list("pk", "user_id")),
    }


def build_scene(world) -> Scene:
    account = member("matrix-account", "ngo-sigurna", Role.CASEWORKER)
    account.email = EMAIL
    account.save()
    api_token(account, label="matrix-account")
    TOTPDevice.objects.create(user=account, name="phone", confirmed=True)
    inactive = member("matrix-inactive", "ngo-sigurna", Role.FRONTLINE)
    inactive.is_active = False
    inactive.save()
    locked = member("matrix-locked", "csr-bg", Role.CASEWORKER)
    lock(locked.username)
    closed = Organisation.objects.create(
        code="matrix-closed", name="Closed Shelter", type=OrganisationType.objects.get(code="ngo"), is_active=False
    )
    return Scene(
        users={
            **world,
            "other_org": world["police"],
            "wrong_role": member("coordinator-reporter", "coordinator", Role.REPORTER),
        },
        ids={
            "account": account,
            "inactive_account": inactive,
            "locked_account": locked,
            "membership": account.memberships.get(),
            "account_token": ApiToken.objects.get(user=account),
            "org": org("ngo-sigurna"),
            "org2": org("csr-bg"),
            "closed_org": closed,
            "ngo_type": OrganisationType.objects.get(code="ngo"),
        },
        secrets=[EMAIL],
        state=state,
    )


OUTSIDERS = ("other_org", "wrong_role", "coordinator", "analyst", "centre")
NEW_ORG = {"code": "matrix-new", "name": "New Shelter", "type": "{ngo_type}", "city": "Niš"}
ORG_EDIT = {"name": "Safe House Renamed", "type": "{ngo_type}", "city": "Beograd"}
NEW_USER = {"username": "matrix-new-user", "organisation": "{org}", "role": Role.CASEWORKER}
ROLE = {"organisation": "{org2}", "role": Role.FRONTLINE}
A = "/administration/"

ROUTES = [
    Route("get", A, "admin", kind=AREA, outsiders=OUTSIDERS),
    Route("get", A + "organisations/", "admin", kind=AREA, outsiders=OUTSIDERS),
    Route("get", A + "organisations/new/", "admin", kind=AREA, outsiders=OUTSIDERS),
    Route("post", A + "organisations/new/", "admin", 302, kind=AREA, data=NEW_ORG, outsiders=OUTSIDERS),
    Route("get", A + "organisations/{org}/", "admin", outsiders=OUTSIDERS),
    Route("post", A + "organisations/{org}/", "admin", 302, data=ORG_EDIT, outsiders=OUTSIDERS),
    Route("post", A + "organisations/{org}/deactivate/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "organisations/{closed_org}/reactivate/", "admin", 302, outsiders=OUTSIDERS),
    Route("get", A + "users/", "admin", kind=AREA, outsiders=OUTSIDERS),
    Route("get", A + "users/new/", "admin", kind=AREA, outsiders=OUTSIDERS),
    Route("post", A + "users/new/", "admin", 200, kind=AREA, data=NEW_USER, outsiders=OUTSIDERS),
    Route("get", A + "users/{account}/", "admin", outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/deactivate/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "users/{inactive_account}/reactivate/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "users/{locked_account}/unlock/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/password/", "admin", 200, outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/second-factor/reset/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/tokens/{account_token}/revoke/", "admin", 302, outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/memberships/", "admin", 302, data=ROLE, outsiders=OUTSIDERS),
    Route("post", A + "users/{account}/memberships/{membership}/remove/", "admin", 302, outsiders=OUTSIDERS),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
