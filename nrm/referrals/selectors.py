"""Reads of referrals and the service directory, starting from the access rule."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import F, Q, QuerySet, TextField, Value, When
from django.utils import timezone

from nrm.accounts.access import (
    Action,
    acting_organisations,
    case_staff_organisations,
    get_or_deny,
    is_case_staff,
    owner_organisations,
    receiver_organisations,
    restrict,
)
from nrm.accounts.models import User
from nrm.audit.services import audit_denial, audit_record, audited_read
from nrm.cases.models import Identification, ServiceDelivery
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import Referral, ServiceOffer


def _base(user: User) -> QuerySet[Referral]:
    """Return the referrals ``user``'s organisations sent or received, each with ``visible_message``.

    The sender's message may name the person; once a referral is suspended (consent withdrawn)
    only the sending side still reads it.
    """
    senders = case_staff_organisations(user)
    # The case comes along for its reference; its encrypted fields are not needed, nor decrypted.
    return (
        restrict(Referral.objects.all(), user, Action.VIEW)
        .select_related("case", "from_org", "to_org", "service_type")
        .defer("case__best_interests_note")
        .annotate(
            visible_message=SqlCase(
                When(Q(status=ReferralStatus.SUSPENDED) & ~Q(from_org__in=senders), then=Value("")),
                default=F("message"),
                output_field=TextField(),
            )
        )
    )


def case_referrals(user: User, case, *, staff: bool | None = None) -> QuerySet[Referral]:
    """Return the referrals of ``case`` that ``user`` may see, for showing them with the case.

    The owner's staff see every referral of their case. Anyone else sees, as everywhere, only
    the referrals their own organisations sent or received: a receiver never learns to which
    other organisations the victim was referred. Also the queryset of a restricted prefetch.
    ``staff``: whether ``user`` is the owner's staff, when the caller knew it already.
    """
    qs = Referral.objects.filter(case=case).select_related("to_org", "from_org", "service_type")
    if is_case_staff(user, case) if staff is None else staff:
        return qs
    return restrict(qs, user, Action.VIEW)


def referral_inbox(user: User, *, status: str = "") -> QuerySet[Referral]:
    """Return referrals received by the user's organisations."""
    qs = _base(user).filter(to_org__in=case_staff_organisations(user))
    return qs.filter(status=status) if status else qs


def referral_outbox(user: User, *, status: str = "") -> QuerySet[Referral]:
    """Return referrals sent by the user's organisations."""
    qs = _base(user).filter(from_org__in=case_staff_organisations(user))
    return qs.filter(status=status) if status else qs


def referrals_overdue(user: User) -> QuerySet[Referral]:
    """Return referrals to or from the user's organisations still unanswered after their due date."""
    return _base(user).filter(status=ReferralStatus.SENT, due_on__lt=timezone.localdate())


def legal_grounds_to_review(user: User, *, pending: bool = True) -> QuerySet[Referral]:
    """Return referrals sent without consent of cases owned where ``user`` is a case worker.

    The owner answers for the person's data, so its case workers review every referral made on a
    legal ground, whoever sent it (the owner, or a receiver referring on). ``pending`` keeps those
    not yet reviewed; oldest first, as a review list is worked through.
    """
    from nrm.cases.models import Case

    cases = restrict(Case.objects.all(), user, Action.MANAGE).filter(owner__in=owner_organisations(user, Action.MANAGE))
    qs = (
        Referral.objects.filter(case__in=cases, without_consent=True)
        .select_related("case", "from_org", "to_org", "sent_by", "ground_reviewed_by")
        .defer("case__best_interests_note")
        .order_by("sent_on", "id")
    )
    return qs.filter(ground_review="") if pending else qs


def legal_ground_get(user: User, pk: int) -> Referral:
    """Return a referral on ``user``'s review list (reviewed or not); else the audited 404."""
    found = legal_grounds_to_review(user, pending=False).filter(pk=pk).first()
    if found is None:
        raise audit_denial(
            actor=user, action="referral.ground_review", object_type="referral", object_id=pk, reason="not permitted"
        )
    return found


@audited_read
def referral_get(user: User, pk: int) -> Referral:
    """Return a referral sent or received by the user's organisations, audited; else NotFound."""
    referral = get_or_deny(_base(user), user, Action.VIEW, object_type="referral", audit_action="referral.view", pk=pk)
    orgs = case_staff_organisations(user)
    audit_record(
        actor=user,
        action="referral.view",
        object_type="referral",
        object_id=referral.pk,
        organisation_id=referral.from_org_id if referral.from_org_id in orgs else referral.to_org_id,
        detail={"case": referral.case_id},
    )
    return referral


@dataclass
class Retained:
    """What the receiver of a suspended referral keeps by law: its own records, without identity."""

    identifications: list[Identification]
    services: list[ServiceDelivery]


def referral_retained(user: User, referral: Referral) -> Retained:
    """Return what ``user``'s organisation keeps of a referral suspended by a withdrawal of consent.

    The receiving organisation keeps the identification decisions it made on the case (decision
    and date) and the services it delivered (type, status, dates); grounds, outcomes and the
    person's identity stay out of its sight. Anyone else, or a referral not suspended, gets
    nothing here: they read the case itself, if the access rule lets them.
    """
    if referral.status != ReferralStatus.SUSPENDED or referral.to_org_id not in case_staff_organisations(user):
        return Retained(identifications=[], services=[])
    mine = {"case_id": referral.case_id, "organisation_id": referral.to_org_id}
    return Retained(
        identifications=list(Identification.objects.filter(**mine).only("decision", "decided_on", "id")),
        services=list(
            ServiceDelivery.objects.filter(**mine)
            .select_related("service_type")
            .only("service_type__name", "service_type__code", "status", "started_on", "ended_on", "id")
        ),
    )


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


def referral_sides(user: User, referral: Referral) -> tuple[bool, bool]:
    """Return whether ``user`` acts on ``referral`` as its receiver, and as its sender.

    The same rule as :func:`nrm.referrals.services.referral_transition`, for deciding which
    buttons to show; the service still decides.
    """

    receiver = referral.to_org_id in receiver_organisations(user, Action.RESPOND)
    sender = referral.from_org_id in acting_organisations(user, Action.REFER)
    return receiver, sender


def allowed_transitions(user: User, referral: Referral) -> list[str]:
    """Return the states ``user`` may move ``referral`` to now, in workflow order."""
    from nrm.referrals.choices import TRANSITIONS

    receiver, sender = referral_sides(user, referral)
    sides = {side for side, mine in (("receiver", receiver), ("sender", sender)) if mine}
    return [new for (old, new), side in TRANSITIONS.items() if old == referral.status and side in sides]
