"""Writes of the administration (organisations, users, memberships, unlocking an account), of
passwords, of the second factor, and of API tokens.

Keyword-only, one transaction, the actor checked inside it (the admin role; ``actor=None`` is the
server's own command line, trusted like ``nrm stats --raw``), an explicit audit row for each
write. Bad input raises ``ValidationError`` naming the field; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import django_otp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.access import administers, get_or_deny, needs_second_factor
from nrm.accounts.choices import Role
from nrm.accounts.models import ApiToken, Membership, Organisation, OrganisationType, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import invalid
from nrm.core.validation import CONTROL

COMMAND_LINE = "command line"


def _check(actor: User | None, action: str, object_type: str, object_id: object = "") -> None:
    """Refuse anyone but an administrator (the command line, ``actor`` None, is trusted)."""
    if actor is not None and not administers(actor):
        raise denied(
            actor=actor, action=action, object_type=object_type, object_id=object_id, reason="not an administrator"
        )


def _reason(actor: User | None) -> str:
    return COMMAND_LINE if actor is None else ""


def generate_password() -> str:
    """Return a one-time password: 16 URL-safe characters, shown once to whoever creates the account."""
    return secrets.token_urlsafe(12)


# --- Organisations -------------------------------------------------------------------------------


def _organisation_fields(
    *, name: str, type: OrganisationType | None, region: str, city: str, email: str, phone: str
) -> dict:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("Give the organisation's name."))
    if len(name) > 200:
        raise invalid("name", _("The name is too long (200 characters at most)."))
    if type is None:
        raise invalid("type", _("Choose the type of organisation."))
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid("email", _("Enter a valid e-mail address.")) from None
    return {
        "name": name,
        "type": type,
        "region": (region or "").strip()[:80],
        "city": (city or "").strip()[:80],
        "email": email,
        "phone": (phone or "").strip()[:40],
    }


@atomic_audited
def organisation_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    type: OrganisationType | None,
    region: str = "",
    city: str = "",
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Create an organisation; its ``code`` is a unique slug (lower-case letters, digits, hyphens)."""
    _check(actor, "organisation.create", "organisation")
    code = (code or "").strip().lower()
    try:
        validate_slug(code)
    except ValidationError:
        raise invalid("code", _("Use lower-case letters, digits and hyphens only.")) from None
    if len(code) > 60:
        raise invalid("code", _("The code is too long (60 characters at most)."))
    if Organisation.objects.filter(code=code).exists():
        raise invalid("code", _("An organisation with this code already exists."))
    fields = _organisation_fields(name=name, type=type, region=region, city=city, email=email, phone=phone)
    organisation = Organisation.objects.create(code=code, **fields)
    audit_record(
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=organisation.pk,
        organisation_id=organisation.pk,
        reason=_reason(actor),
        detail={"code": code, "type": fields["type"].code},
    )
    return organisation


@atomic_audited
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    type: OrganisationType | None,
    region: str = "",
    city: str = "",
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Change an organisation's name, type and contacts (its code stays: other records name it)."""
    _check(actor, "organisation.update", "organisation", organisation.pk)
    fields = _organisation_fields(name=name, type=type, region=region, city=city, email=email, phone=phone)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = sorted(k for k, v in fields.items() if getattr(organisation, k) != v)
    for key, value in fields.items():
        setattr(organisation, key, value)
    organisation.save()
    audit_record(
        actor=actor,
        action="organisation.update",
        object_type="organisation",
        object_id=organisation.pk,
        organisation_id=organisation.pk,
        reason=_reason(actor),
        detail={"changed": changed},
    )
    return organisation


@atomic_audited
def organisation_set_active(*, actor: User | None, organisation: Organisation, active: bool) -> Organisation:
    """Deactivate an organisation (its members act for it no more, its records stay) or reactivate it."""
    action = "organisation.activate" if active else "organisation.deactivate"
    _check(actor, action, "organisation", organisation.pk)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_active == active:
        raise invalid(
            "is_active",
            _("The organisation is already active.") if active else _("The organisation is already inactive."),
        )
    if (
        not active
        and actor is not None
        and organisation.memberships.filter(user=actor, role=Role.ADMIN).exists()
        and not Membership.objects.filter(user=actor, role=Role.ADMIN, is_active=True, organisation__is_active=True)
        .exclude(organisation=organisation)
        .exists()
    ):
        raise invalid("is_active", _("You would lock yourself out: you administer through this organisation."))
    organisation.is_active = active
    organisation.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=action,
        object_type="organisation",
        object_id=organisation.pk,
        organisation_id=organisation.pk,
        reason=_reason(actor),
    )
    return organisation


# --- Users and memberships -----------------------------------------------------------------------


def _organisation(organisation: Organisation | None, field: str = "organisation") -> Organisation:
    if organisation is None:
        raise invalid(field, _("Choose an organisation."))
    if not organisation.is_active:
        raise invalid(field, _("This organisation is inactive."))
    return organisation


def _role(role: str, field: str = "role") -> str:
    if role not in Role.values:
        raise invalid(
            field,
            _("Unknown role “%(role)s”; one of: %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)},
        )
    return role


@atomic_audited
def user_create(
    *,
    actor: User | None,
    username: str,
    organisation: Organisation | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str | None = None,
) -> tuple[User, str]:
    """Create an account with one membership; return it and its password.

    Without ``password`` a one-time password is generated: the caller shows it once and nothing
    keeps it but its hash.
    """
    _check(actor, "user.create", "user")
    username = (username or "").strip()
    if not username:
        raise invalid("username", _("Give a username."))
    try:
        User.username_validator(username)
    except ValidationError:
        raise invalid("username", _("Use letters, digits and @ . + - _ only.")) from None
    if len(username) > 150:
        raise invalid("username", _("The username is too long (150 characters at most)."))
    if User.objects.filter(username__iexact=username).exists():
        raise invalid("username", _("This username is taken."))
    organisation = _organisation(organisation)
    role = _role(role)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid("email", _("Enter a valid e-mail address.")) from None
    user = User(
        username=username, first_name=(first_name or "").strip()[:150], last_name=(last_name or "").strip()[:150]
    )
    user.email = email
    generated = password is None
    password = generate_password() if generated else password
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.is_staff = False
    # Someone else chose this password: its owner sets their own at the first sign-in.
    user.must_change_password = True
    user.save()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        organisation_id=organisation.pk,
        reason=_reason(actor),
        detail={"username": username, "organisation": organisation.code, "role": role, "generated": generated},
    )
    return user, password


@atomic_audited
def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate an account (it can sign in no more; what it did stays) or reactivate it."""
    action = "user.activate" if active else "user.deactivate"
    _check(actor, action, "user", user.pk)
    if actor is not None and actor.pk == user.pk and not active:
        raise invalid("is_active", _("You cannot deactivate your own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        raise invalid(
            "is_active", _("The account is already active.") if active else _("The account is already inactive.")
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    # Authentication refuses an inactive user's tokens already; revoking them keeps a reactivation from reviving them.
    revoked = 0 if active else _revoke_tokens(user, "deactivation")
    audit_record(
        actor=actor,
        action=action,
        object_type="user",
        object_id=user.pk,
        reason=_reason(actor),
        detail={"tokens_revoked": revoked} if revoked else None,
    )
    return user


@atomic_audited
def membership_set(*, actor: User | None, user: User, organisation: Organisation | None, role: str) -> Membership:
    """Give ``user`` ``role`` in ``organisation`` (one membership per organisation: an existing one changes role)."""
    _check(actor, "membership.set", "user", user.pk)
    organisation = _organisation(organisation)
    role = _role(role)
    membership = Membership.objects.select_for_update().filter(user=user, organisation=organisation).first()
    before = None
    if membership is None:
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    else:
        if membership.is_active and membership.role == role:
            raise invalid("role", _("The user already has this role in this organisation."))
        before = {"role": membership.role, "is_active": membership.is_active}
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
    audit_record(
        actor=actor,
        action="membership.set",
        object_type="user",
        object_id=user.pk,
        organisation_id=organisation.pk,
        reason=_reason(actor),
        detail={"membership": membership.pk, "role": role, "before": before},
    )
    return membership


@atomic_audited
def membership_remove(*, actor: User | None, membership: Membership) -> Membership:
    """End a membership: the user acts for that organisation no more (the row stays, inactive)."""
    _check(actor, "membership.remove", "user", membership.user_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        raise invalid("membership", _("This membership has already ended."))
    if actor is not None and membership.user_id == actor.pk and membership.role == Role.ADMIN:
        others = Membership.objects.filter(user=actor, role=Role.ADMIN, is_active=True).exclude(pk=membership.pk)
        if not others.exists():
            raise invalid("membership", _("You cannot remove your own last administrator role."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.remove",
        object_type="user",
        object_id=membership.user_id,
        organisation_id=membership.organisation_id,
        reason=_reason(actor),
        detail={"membership": membership.pk, "role": membership.role},
    )
    return membership


@atomic_audited
def account_unlock(*, actor: User | None, user: User) -> int:
    """Lift django-axes' lockout of ``user``'s username (its failed sign-ins are forgotten); return how many."""
    from axes.utils import reset

    from nrm.accounts.selectors import locked_usernames

    _check(actor, "user.unlock", "user", user.pk)
    failures = locked_usernames().get(user.username)
    if failures is None:
        raise invalid("username", _("This account is not locked."))
    removed = reset(username=user.username)
    audit_record(
        actor=actor,
        action="user.unlock",
        object_type="user",
        object_id=user.pk,
        reason=_reason(actor),
        detail={"username": user.username, "failures": failures, "attempts_removed": removed},
    )
    return removed


# --- API tokens ----------------------------------------------------------------------------------


def token_hash(secret: str) -> str:
    """Return the stored form of a token's secret (see :class:`ApiToken` for why SHA-256 is enough)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def live_tokens(user: User):
    """Return ``user``'s tokens that still work (neither revoked nor expired)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def _revoke_tokens(user: User, reason: str) -> int:
    """Revoke every unrevoked token of ``user`` (the caller audits, naming ``reason``); return how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


@atomic_audited
def token_issue(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Issue a new API token to ``user`` (who has just proven who they are); return it and its secret.

    Each sign-in gets its own token (rotation): a stolen one is not handed back on the next
    sign-in. The user keeps at most ``NRM_API_TOKENS_MAX`` working tokens; the oldest beyond it
    are revoked. The secret is returned once and only its hash is kept.
    """
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_hash=token_hash(secret),
        # Often the User-Agent, which nobody typed: control characters are dropped, not refused.
        label=CONTROL.sub("", label or "").strip()[:200],
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.NRM_API_TOKEN_TTL),
    )
    keep = list(
        live_tokens(user).order_by("-created_at", "-pk").values_list("pk", flat=True)[: settings.NRM_API_TOKENS_MAX]
    )
    replaced = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(pk__in=keep)
    rotated = replaced.update(revoked_at=now, revoked_reason="replaced")
    audit_record(
        actor=user,
        action="auth.token",
        object_type="user",
        object_id=user.pk,
        detail={"token": token.pk, "expires_at": token.expires_at.isoformat(), "revoked": rotated},
    )
    return token, secret


@atomic_audited
def token_revoke(*, actor: User, token_id: int, owner: User | None = None) -> ApiToken:
    """Revoke one token: the caller's own, or, for an administrator, ``owner``'s.

    A token the actor may not revoke, or that does not exist, is NotFound (an audited denial).
    """
    queryset = ApiToken.objects.select_for_update().filter(user=owner if owner is not None else actor)
    token = get_or_deny(
        queryset, actor, "manage", object_type="api_token", audit_action="auth.token_revoke", pk=token_id
    )
    if token.revoked_at is not None:
        raise invalid("token", _("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.revoked_reason = "owner" if token.user_id == actor.pk else "administrator"
    token.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        actor=actor,
        action="auth.token_revoke",
        object_type="user",
        object_id=token.user_id,
        detail={"token": token.pk, "reason": token.revoked_reason},
    )
    return token


@atomic_audited
def tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every token of ``user`` because of ``reason`` ("logout", "second factor"); return how many."""
    revoked = _revoke_tokens(user, reason)
    audit_record(
        actor=user,
        action="auth.tokens_revoke",
        object_type="user",
        object_id=user.pk,
        reason=reason,
        detail={"revoked": revoked},
    )
    return revoked


# --- Sign-in: the second factor -----------------------------------------------------------------
# Not in one transaction with the rest of a sign-in: a refused sign-in must keep what the check
# wrote to the device (its last step used, its throttling) and the audit row of the refusal.


def _refused(user: User, action: str, reason: str, field: str, message: str) -> ValidationError:
    """Audit a refused sign-in of ``user`` (who gave the right password) and return the error to raise."""
    audit_record(actor=user, action=action, object_type="user", object_id=user.pk, outcome="denied", reason=reason)
    return invalid(field, message)


def second_factor_check(
    *, user: User, code: str, action: str, field: str = "otp", device_required: bool = False
) -> Device | None:
    """Check the authenticator code of a sign-in by ``user``; return the device it matched (None: none needed).

    Called by the web sign-in and the token endpoint alike. A user with a confirmed device must
    give a current code, and each code works once: django-otp's TOTP device accepts only a time
    step after the last one it accepted (``last_t``, saved on success, under a row lock). A user
    without a device who needs one (``needs_second_factor``) is refused when
    ``device_required`` (the API); the web lets them in, to the set-up page only. A refusal is
    audited (``action``, denied) and raised naming ``field``.
    """
    code = (code or "").strip()
    if django_otp.user_has_device(user):
        device = django_otp.match_token(user, code) if code else None
        if device is None:
            raise _refused(
                user,
                action,
                "authenticator code missing or wrong" if code else "authenticator code missing",
                field,
                _("Enter the current code from your authenticator app."),
            )
        return device
    if device_required and needs_second_factor(user):
        raise _refused(
            user,
            action,
            "second factor not set up",
            field,
            _("Your role requires an authenticator app: set one up on the web first."),
        )
    return None


def token_sign_in(*, user: User, code: str = "", label: str = "") -> tuple[ApiToken, str]:
    """Issue an API token to ``user``, whose password is right: after the second factor, and only
    to a password of their own. Refusals are audited (``auth.token``) and name the field."""
    second_factor_check(user=user, code=code, action="auth.token", field="otp", device_required=True)
    if user.must_change_password:
        raise _refused(
            user,
            "auth.token",
            "password change required",
            "password",
            _(
                "This password was set by an administrator: sign in on the web and choose your own "
                "before using the API."
            ),
        )
    return token_issue(user=user, label=label)


def _code_from_confirmed_device(user: User, code: str, action: str) -> None:
    """Refuse a change of ``user``'s second factor unless ``code`` is a current one from the confirmed device."""
    code = (code or "").strip()
    if not code or django_otp.match_token(user, code) is None:
        raise _refused(
            user,
            action,
            "current authenticator code missing or wrong",
            "current_token",
            _("Enter the current code from the authenticator app you set up before."),
        )


def second_factor_enrol(*, user: User, device: TOTPDevice, code: str, current_code: str = "") -> TOTPDevice:
    """Confirm ``device`` (not yet confirmed) with its first ``code``; it replaces any confirmed device.

    Replacing one needs a current code from it too (``current_code``): the password alone, or
    a session left open, must not move the second factor to someone else's phone (an
    administrator can reset it instead). Tokens issued before are revoked.
    """
    has_device = django_otp.user_has_device(user)
    if has_device:
        _code_from_confirmed_device(user, current_code, "auth.totp_enrol")
    if device.user_id != user.pk or device.confirmed or not device.verify_token((code or "").strip()):
        raise invalid("token", _("That code is not right. Check the time on your phone and try again."))
    return _confirm(user, device, replaced=has_device)


@atomic_audited
def _confirm(user: User, device: TOTPDevice, replaced: bool) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Tokens issued without the second factor (or with the old one) should not outlive the set-up.
    revoked = _revoke_tokens(user, "second factor")
    audit_record(
        actor=user,
        action="auth.totp_enrol",
        object_type="user",
        object_id=user.pk,
        detail={"replaced": replaced, "tokens_revoked": revoked},
    )
    return device


def second_factor_remove(*, user: User, current_code: str) -> int:
    """Remove ``user``'s authenticator app, given a current code from it; return how many devices went.

    Refused to a user whose role requires a second factor (they would only be sent to set one up).
    """
    if needs_second_factor(user):
        raise invalid("current_token", _("Your role requires an authenticator app: you can replace it, not remove it."))
    if not django_otp.user_has_device(user):
        raise invalid("current_token", _("No authenticator app is set up."))
    _code_from_confirmed_device(user, current_code, "auth.totp_remove")
    return _remove_devices(user=user)


@atomic_audited
def _remove_devices(*, user: User) -> int:
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, action="auth.totp_remove", object_type="user", object_id=user.pk)
    return removed


@atomic_audited
def second_factor_reset(*, actor: User | None, user: User) -> int:
    """An administrator (or the command line) removes ``user``'s authenticator apps, for a lost phone.

    Their API tokens are revoked; where a second factor is required, their next sign-in leads to
    setting up a new one. Return how many devices were removed.
    """
    _check(actor, "user.totp_reset", "user", user.pk)
    if actor is not None and actor.pk == user.pk:
        raise invalid("user", _("Reset your own authenticator app on its page, with a code from it."))
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    revoked = _revoke_tokens(user, "second factor reset")
    audit_record(
        actor=actor,
        action="user.totp_reset",
        object_type="user",
        object_id=user.pk,
        reason=_reason(actor),
        detail={"devices": removed, "tokens_revoked": revoked},
    )
    return removed


# --- Passwords -----------------------------------------------------------------------------------


def _set_password(user: User, password: str, field: str, *, must_change: bool, reason: str) -> int:
    """Give ``user`` ``password`` (under the validators, errors on ``field``) and revoke their tokens.

    The password change and the administrator's reset both end here: the new hash also ends
    every web session signed in with the old one (Django checks the session's hash of it).
    Return how many tokens were revoked.
    """
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    user.set_password(password)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])
    return _revoke_tokens(user, reason)


@atomic_audited
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """The user sets their own password; every API token they hold is revoked.

    A forced change (an account created or reset by an administrator) ends here.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password or ""):
        raise invalid("old_password", _("Your current password is not right."))
    if old_password == new_password:
        raise invalid("new_password", _("Choose a password different from the current one."))
    forced = user.must_change_password
    revoked = _set_password(user, new_password or "", "new_password", must_change=False, reason="password change")
    audit_record(
        actor=user,
        action="user.password_change",
        object_type="user",
        object_id=user.pk,
        detail={"forced": forced, "tokens_revoked": revoked},
    )
    return user


@atomic_audited
def password_reset(*, actor: User | None, user: User, password: str | None = None) -> tuple[User, str]:
    """An administrator (or the command line) gives ``user`` a new password; return it.

    Without ``password`` a one-time password is generated, shown once by the caller. Either way
    the user must set their own at the next sign-in, and their API tokens are revoked.
    """
    _check(actor, "user.password_reset", "user", user.pk)
    user = User.objects.select_for_update().get(pk=user.pk)
    generated = password is None
    password = generate_password() if generated else password
    revoked = _set_password(user, password, "password", must_change=True, reason="password reset")
    audit_record(
        actor=actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.pk,
        reason=_reason(actor),
        detail={"generated": generated, "tokens_revoked": revoked},
    )
    return user, password
