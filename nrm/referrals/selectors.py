"""Reads of referrals and the service directory, starting from the access rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from nrm.accounts.access import Action, org_ids, restrict
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.models import User
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import Referral, ServiceOffer


def _base(user: User) -> QuerySet[Referral]:
    return restrict(Referral.objects.all(), user, Action.VIEW).select_related(
        "case", "from_org", "to_org", "service_type"
    )


def referral_inbox(user: User, *, status: str = "") -> QuerySet[Referral]:
    """Return referrals received by the user's organisations."""
    qs = _base(user).filter(to_org__in=org_ids(user, CASE_ROLES))
    return qs.filter(status=status) if status else qs


def referral_outbox(user: User, *, status: str = "") -> QuerySet[Referral]:
    """Return referrals sent by the user's organisations."""
    qs = _base(user).filter(from_org__in=org_ids(user, CASE_ROLES))
    return qs.filter(status=status) if status else qs


def referrals_overdue(user: User) -> QuerySet[Referral]:
    """Return referrals to or from the user's organisations still unanswered after their due date."""
    return _base(user).filter(status=ReferralStatus.SENT, due_on__lt=timezone.localdate())


def referral_get(user: User, pk: int) -> Referral:
    from nrm.core.errors import NotFound

    referral = _base(user).filter(pk=pk).first()
    if referral is None:
        raise NotFound
    return referral


def directory(*, service: str = "", region: str = "", language: str = "") -> QuerySet[ServiceOffer]:
    """Return the service directory (public to every signed-in user), filtered."""
    qs = ServiceOffer.objects.select_related("organisation", "service_type", "organisation__type").filter(
        organisation__is_active=True
    )
    if service:
        qs = qs.filter(service_type__code=service)
    if region:
        qs = qs.filter(Q(coverage__icontains=region) | Q(coverage__icontains="national"))
    if language:
        qs = qs.filter(languages__icontains=language)
    return qs
