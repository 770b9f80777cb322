"""The administration's services, pages and ``nrm user add``: validation naming the field, audit rows, lockouts."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import fresh
from nrm.accounts import selectors, services
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, OrganisationType, User
from nrm.accounts.tests.test_access_matrix import lock
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import member, org
from nrm.core.errors import NotFound

pytestmark = pytest.mark.django_db


def _field(exc: pytest.ExceptionInfo) -> str:
    return next(iter(exc.value.message_dict))


def test_user_create_generates_a_one_time_password_and_audits(world):
    user, password = services.user_create(
        actor=fresh(world["admin"]), username="new-worker", organisation=org("csr-bg"), role=Role.CASEWORKER
    )
    assert len(password) >= 16 and user.check_password(password)
    assert list(user.memberships.values_list("organisation__code", "role")) == [("csr-bg", "caseworker")]
    entry = AuditEntry.objects.filter(action="user.create").latest("id")
    assert (entry.actor, entry.object_id) == ("admin", str(user.pk))
    assert password not in str(entry.detail)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "coordinator"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"role": "superuser"}, "role"),
        ({"organisation": None}, "organisation"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "123"}, "password"),
    ],
)
def test_user_create_names_the_field(world, kwargs, field):
    values = {"username": "someone", "organisation": org("csr-bg"), "role": Role.CASEWORKER, **kwargs}
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=fresh(world["admin"]), **values)
    assert _field(exc) == field
    assert User.objects.count() == before


def test_only_an_administrator_writes(world):
    with pytest.raises(NotFound):
        services.user_create(
            actor=fresh(world["coordinator"]), username="x1", organisation=org("csr-bg"), role=Role.CASEWORKER
        )
    assert not User.objects.filter(username="x1").exists()
    denial = AuditEntry.objects.filter(action="user.create").latest("id")
    assert (denial.actor, denial.outcome) == ("coordinator", AuditEntry.Outcome.DENIED)


def test_membership_set_changes_the_role_and_remove_ends_it(world):
    admin = fresh(world["admin"])
    account = member("m-user", "ngo-sigurna", Role.FRONTLINE)
    m = services.membership_set(actor=admin, user=account, organisation=org("ngo-sigurna"), role=Role.CASEWORKER)
    assert (m.role, Membership.objects.filter(user=account).count()) == ("caseworker", 1)
    with pytest.raises(ValidationError) as exc:
        services.membership_set(actor=admin, user=account, organisation=org("ngo-sigurna"), role=Role.CASEWORKER)
    assert _field(exc) == "role"
    services.membership_remove(actor=admin, membership=m)
    assert not Membership.objects.get(pk=m.pk).is_active
    assert selectors.administration_overview(admin)["inactive_memberships"] >= 1


def test_an_administrator_cannot_lock_themselves_out(world):
    admin = fresh(world["admin"])
    with pytest.raises(ValidationError) as exc:
        services.user_set_active(actor=admin, user=admin, active=False)
    assert _field(exc) == "is_active"
    with pytest.raises(ValidationError):
        services.membership_remove(actor=admin, membership=admin.memberships.get(role=Role.ADMIN))
    with pytest.raises(ValidationError):
        services.organisation_set_active(actor=admin, organisation=org("coordinator"), active=False)


def test_organisation_create_update_deactivate(world):
    admin = fresh(world["admin"])
    ngo = OrganisationType.objects.get(code="ngo")
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(actor=admin, code="Bad Code", name="X", type=ngo)
    assert _field(exc) == "code"
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(actor=admin, code="ngo-sigurna", name="X", type=ngo)
    assert _field(exc) == "code"
    created = services.organisation_create(actor=admin, code="ngo-new", name="New NGO", type=ngo, city="Niš")
    services.organisation_update(actor=admin, organisation=created, name="Renamed", type=ngo)
    services.organisation_set_active(actor=admin, organisation=created, active=False)
    created.refresh_from_db()
    assert (created.name, created.is_active) == ("Renamed", False)
    actions = list(
        AuditEntry.objects.filter(object_type="organisation", object_id=str(created.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["organisation.create", "organisation.update", "organisation.deactivate"]


def test_a_locked_account_is_listed_and_unlocked_with_an_audit_row(world):
    admin = fresh(world["admin"])
    locked = member("locked-one", "csr-bg", Role.CASEWORKER)
    lock("locked-one", failures=2)
    assert "locked-one" not in selectors.locked_usernames()  # under the limit (5)
    lock("locked-one", failures=3, ip="127.0.0.2")
    assert selectors.locked_usernames()["locked-one"] == 5
    assert ("locked-one", locked.pk) in selectors.administration_overview(admin)["locked"]
    client = Client()
    client.force_login(admin)
    page = client.get(f"/administration/users/{locked.pk}/")
    assert b"Unlock the account" in page.content
    response = client.post(f"/administration/users/{locked.pk}/unlock/")
    assert response.status_code == 302
    assert "locked-one" not in selectors.locked_usernames()
    entry = AuditEntry.objects.filter(action="user.unlock").latest("id")
    assert (entry.actor, entry.object_id, entry.detail["failures"]) == ("admin", str(locked.pk), 5)
    # Unlocking an account that is not locked says so, on the page.
    again = client.post(f"/administration/users/{locked.pk}/unlock/", follow=True)
    assert b"This account is not locked." in again.content


def test_a_lockout_by_failed_sign_ins_is_lifted_from_the_page(world, settings):
    admin = fresh(world["admin"])
    victim = member("tries-too-often", "csr-bg", Role.CASEWORKER)
    victim.set_password("right-password-123")
    victim.save()
    anonymous = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anonymous.post("/accounts/login/", {"username": victim.username, "password": "wrong"})
    assert victim.username in selectors.locked_usernames()
    client = Client()
    client.force_login(admin)
    client.post(f"/administration/users/{victim.pk}/unlock/")
    assert victim.username not in selectors.locked_usernames()
    signed_in = anonymous.post("/accounts/login/", {"username": victim.username, "password": "right-password-123"})
    assert signed_in.status_code == 302


def test_the_new_user_page_shows_the_password_once(world):
    client = Client()
    client.force_login(world["admin"])
    response = client.post(
        "/administration/users/new/", {"username": "shown-once", "organisation": org("pu-bg").pk, "role": "frontline"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    user = User.objects.get(username="shown-once")
    password = response.context["password"]
    assert user.check_password(password) and password.encode() in response.content
    assert password.encode() not in client.get(f"/administration/users/{user.pk}/").content
    taken = client.post(
        "/administration/users/new/", {"username": "shown-once", "organisation": org("pu-bg").pk, "role": "frontline"}
    )
    assert taken.status_code == 200 and taken.context["form"].errors["username"] == ["This username is taken."]


def test_nrm_user_add(world):
    out = io.StringIO()
    call_command("user", "add", "cli-user", "--organisation", "helpline", "--role", "frontline", stdout=out)
    user = User.objects.get(username="cli-user")
    password = out.getvalue().split("shown once): ")[1].strip()
    assert user.check_password(password)
    assert list(user.memberships.values_list("organisation__code", "role")) == [("helpline", "frontline")]
    entry = AuditEntry.objects.filter(action="user.create").latest("id")
    assert (entry.actor, entry.reason) == ("anonymous", "command line")


def test_nrm_user_add_reads_the_password_from_stdin(world, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-secret-77\n"))
    out = io.StringIO()
    call_command(
        "user", "add", "cli-two", "--organisation", "pu-bg", "--role", "caseworker", "--password-stdin", stdout=out
    )
    assert User.objects.get(username="cli-two").check_password("a-long-enough-secret-77")
    assert "a-long-enough-secret-77" not in out.getvalue()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--organisation", "no-such-org", "--role", "frontline"], "--organisation"),
        (["--organisation", "pu-bg", "--role", "wizard"], "--role"),
    ],
)
def test_nrm_user_add_names_the_wrong_option(world, args, option):
    with pytest.raises(CommandError, match=rf"^{option}:"):
        call_command("user", "add", "cli-bad", *args)
    assert not User.objects.filter(username="cli-bad").exists()


def test_nrm_user_add_refuses_a_taken_username(world):
    with pytest.raises(CommandError, match=r"^USERNAME: This username is taken"):
        call_command("user", "add", "police", "--organisation", "pu-bg", "--role", "frontline")


def test_organisation_list_counts_members(world):
    rows = {o.code: o.members for o in selectors.organisation_list(q="sigurna")}
    assert rows["ngo-sigurna"] >= 1
    assert Organisation.objects.filter(code="ngo-sigurna").exists()


@pytest.mark.parametrize(("persona", "shown"), [("admin", True), ("coordinator", False), ("police", False)])
def test_the_main_menu_links_administration_for_administrators_only(world, persona, shown):
    client = Client()
    client.force_login(world[persona])
    home = client.get("/").content.decode()
    nav = home[home.index('<nav class="main-nav"') : home.index("</nav>")]
    assert ('href="/administration/"' in nav) is shown
    if shown:
        page = client.get("/administration/users/").content.decode()
        nav = page[page.index('<nav class="main-nav"') : page.index("</nav>")]
        assert 'href="/administration/" aria-current="page"' in nav
