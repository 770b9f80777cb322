"""Reads of the administration: organisations, users, memberships and locked accounts.

Users and memberships start from the access rule (``administration_rule``: the admin role sees
them all, anyone else none). Organisations are reference data every page names; their
administration pages are behind the admin role's gate.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from nrm.accounts.access import get_or_deny, restrict
from nrm.accounts.models import ApiToken, Membership, Organisation, OrganisationType, User
from nrm.core.errors import NotFound


def locked_usernames() -> dict[str, int]:
    """Return the usernames django-axes locks out now, with their failed sign-ins.

    Axes (database handler) keeps an ``AccessAttempt`` per username and client; a username is
    locked while its failures within the cool-off period reach the limit
    (``NRM_LOGIN_FAILURES``, ``NRM_LOCKOUT_MINUTES``; no cool-off: until an administrator
    unlocks it).
    """
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(username__isnull=False).exclude(username="")
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    limit = settings.AXES_FAILURE_LIMIT
    rows = (
        attempts.values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=limit)
        .order_by("username")
    )
    return {row["username"]: row["failures"] for row in rows}


def is_locked(username: str) -> bool:
    return username in locked_usernames()


def administration_overview(user: User) -> dict:
    """Return what the administrator's home counts: active users, locked accounts, inactive memberships.

    ``locked`` lists (username, user id or None for a name with no account) of the locked accounts.
    """
    users = restrict(User.objects.all(), user)
    locked = locked_usernames()
    ids = dict(users.filter(username__in=list(locked)).values_list("username", "pk"))
    return {
        "users": users.filter(is_active=True).count(),
        "locked": [(name, ids.get(name)) for name in locked],
        "inactive_memberships": restrict(Membership.objects.all(), user)
        .filter(Q(is_active=False) | Q(organisation__is_active=False))
        .count(),
    }


def user_list(user: User, *, q: str = "", locked: bool = False, inactive: bool = False) -> QuerySet[User]:
    """Return the accounts ``user`` administers, with their memberships, filtered."""
    memberships = Membership.objects.select_related("organisation").order_by("organisation__name")
    qs = restrict(User.objects.all(), user).prefetch_related(Prefetch("memberships", memberships))
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    if locked:
        qs = qs.filter(username__in=list(locked_usernames()))
    if inactive:
        qs = qs.filter(Q(is_active=False) | Q(memberships__is_active=False)).distinct()
    return qs.order_by("username")


def user_get(user: User, pk: int) -> User:
    """Return one account with its memberships; anything else (or anyone but an administrator) is NotFound."""
    memberships = Membership.objects.select_related("organisation", "organisation__type").order_by("organisation__name")
    return get_or_deny(
        User.objects.prefetch_related(Prefetch("memberships", memberships)),
        user,
        "view",
        object_type="user",
        audit_action="user.view",
        pk=pk,
    )


def membership_get(user: User, account: User, pk: int) -> Membership:
    """Return one membership of ``account``; NotFound otherwise."""
    return get_or_deny(
        Membership.objects.select_related("organisation", "user").filter(user=account),
        user,
        "manage",
        object_type="membership",
        audit_action="membership.view",
        pk=pk,
    )


def organisation_list(*, q: str = "", type_code: str = "", active: str = "") -> QuerySet[Organisation]:
    """Return the organisations with their type and number of active members, filtered."""
    qs = Organisation.objects.select_related("type").annotate(
        members=Count("memberships", filter=Q(memberships__is_active=True, memberships__user__is_active=True))
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(city__icontains=q))
    if type_code:
        qs = qs.filter(type__code=type_code)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("name")


def organisation_get(pk: int) -> Organisation:
    """Return one organisation; NotFound if there is none with ``pk``."""
    found = Organisation.objects.select_related("type").filter(pk=pk).first()
    if found is None:
        raise NotFound("organisation")
    return found


def organisation_types() -> QuerySet[OrganisationType]:
    return OrganisationType.objects.order_by("name")


def api_tokens(user: User, *, owner: User | None = None) -> QuerySet[ApiToken]:
    """Return the working API tokens of ``owner`` (default: ``user`` themself) that ``user`` may see, newest first.

    Expired and revoked tokens are left out: they work no more, and the audit log keeps their story.
    """
    owner = owner if owner is not None else user
    return restrict(ApiToken.objects.filter(user=owner), user).filter(
        revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def has_second_factor(user: User) -> bool:
    """Whether ``user`` has a confirmed authenticator app (shown to administrators, who may reset it)."""
    import django_otp

    return django_otp.user_has_device(user)
