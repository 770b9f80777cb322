"""Writes of the administration (organisations, users, memberships, unlocking an account), of
passwords and of API tokens.

Keyword-only, one transaction, the actor checked inside it (the admin role; ``actor=None`` is the
server's own command line, trusted like ``nrm stats --raw``), an explicit audit row for each
write. Bad input raises ``ValidationError`` naming the field; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import administers, get_or_deny
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


# --- Passwords -----------------------------------------------------------------------------------


def _set_password(user: User, password: str, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    user.set_password(password)


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
    _set_password(user, new_password or "", "new_password")
    forced = user.must_change_password
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    revoked = _revoke_tokens(user, "password change")
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
    _set_password(user, password, "password")
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    revoked = _revoke_tokens(user, "password reset")
    audit_record(
        actor=actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.pk,
        reason=_reason(actor),
        detail={"generated": generated, "tokens_revoked": revoked},
    )
    return user, password
