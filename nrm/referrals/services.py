"""Writes of referrals: send with consent (or a stated legal ground), respond, progress, close."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    Action,
    acting_organisations,
    member_organisations,
    owner_organisations,
    receiver_organisations,
)
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_denial, audit_record, denied
from nrm.cases.access import can
from nrm.cases.choices import CaseStatus, ConsentPurpose
from nrm.cases.models import Case, Consent
from nrm.cases.selectors import active_consents
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_model_text
from nrm.core.workdays import add_working_days
from nrm.referrals import signals
from nrm.referrals.choices import (
    ACTIVE_STATES,
    SUSPENDABLE_STATES,
    TRANSITIONS,
    GroundReview,
    LegalGround,
    ReferralKind,
    ReferralStatus,
    Urgency,
)
from nrm.referrals.models import Referral, ServiceType

# Working days the receiver has to answer, per kind of referral; NRM_REFERRAL_RESPONSE_DAYS overrides.
RESPONSE_DAYS = {ReferralKind.SERVICE: 3, ReferralKind.IDENTIFICATION: 5, ReferralKind.ASYLUM: 5}


def response_days(kind: str) -> int:
    return settings.NRM_REFERRAL_RESPONSE_DAYS.get(kind, RESPONSE_DAYS[kind])


def due_date(start: dt.date, kind: str, urgency: str = Urgency.ROUTINE) -> dt.date:
    """Return when the answer is due: today if immediate, the next working day if urgent, else by kind."""
    if urgency == Urgency.IMMEDIATE:
        return start
    return add_working_days(start, 1 if urgency == Urgency.URGENT else response_days(kind))


def default_kind(to_org: Organisation) -> str:
    """Return the kind a referral to ``to_org`` usually is: identification to the Centre, asylum, else service."""
    if to_org.type.is_identification_authority:
        return ReferralKind.IDENTIFICATION
    if to_org.type.is_asylum_authority:
        return ReferralKind.ASYLUM
    return ReferralKind.SERVICE


def consent_snapshot(case: Case) -> list[dict]:
    """Return the consents in force, frozen into the referral when it is sent."""
    return [
        {"purpose": c.purpose, "organisation": c.organisation_id, "given_on": c.given_on.isoformat()}
        for c in active_consents(case)
    ]


def check_ground_note(note: str) -> None:
    """Refuse a written legal ground shorter than NRM_LEGAL_GROUND_MIN_LENGTH characters, naming the field."""
    minimum, written = settings.NRM_LEGAL_GROUND_MIN_LENGTH, len(" ".join(note.split()))
    if not written:
        raise invalid("legal_ground_note", _("Explain why the referral cannot wait for consent."))
    if written < minimum:
        raise invalid(
            "legal_ground_note",
            _(
                "Explain the ground in at least %(minimum)d characters (%(written)d written): what danger or "
                "duty made the referral unable to wait for consent."
            )
            % {"minimum": minimum, "written": written},
        )


@atomic_audited
def referral_send(
    *,
    actor: User,
    case: Case,
    to_org: Organisation,
    kind: str = "",
    service_type: ServiceType | None = None,
    from_org: Organisation | None = None,
    message: str = "",
    urgency: str = Urgency.ROUTINE,
    legal_ground: str = LegalGround.NONE,
    legal_ground_note: str = "",
    sent_on: dt.date | None = None,
    shares_identity: bool = True,
    shares_documents: bool = False,
) -> Referral:
    """Refer a case to another organisation.

    Sharing needs the person's active consent to share with ``to_org``. Without it a referral
    needs a stated legal ground (a child's best interests, an emergency); it is then flagged
    and its audit row says so. ``shares_identity=False`` sends the case without the person's
    identity; ``shares_documents=True`` lets the receiver download the case's documents (they
    carry identity, so only with it). Without a ``kind`` the receiver decides it (:func:`default_kind`); the answer is
    due by ``urgency`` (:func:`due_date`).
    """
    if not can(actor, Action.REFER, case):
        raise denied(actor=actor, action="referral.send", object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    # The sender is an organisation through which the actor may refer this very case: the owner,
    # or an organisation that accepted a referral of it. Other memberships do not count.
    may_send = [case.owner_id] if case.owner_id in owner_organisations(actor, Action.REFER) else []
    may_send += sorted(
        set(
            case.referrals.filter(
                to_org__in=receiver_organisations(actor, Action.REFER), status__in=ACTIVE_STATES
            ).values_list("to_org", flat=True)
        )
        - set(may_send)
    )
    if from_org is None:
        from_org = Organisation.objects.get(pk=may_send[0])
    elif from_org.pk not in may_send:
        raise invalid("from_org", _("You cannot refer on behalf of this organisation."))
    if to_org.pk == from_org.pk:
        raise invalid("to_org", _("Choose another organisation than your own."))
    if not to_org.is_active:
        raise invalid("to_org", _("This organisation is not active."))
    kind = kind or default_kind(to_org)
    if kind not in ReferralKind.values:
        raise invalid("kind", _("“%(value)s” is not a valid choice.") % {"value": kind})
    if urgency not in Urgency.values:
        raise invalid("urgency", _("“%(value)s” is not a valid choice.") % {"value": urgency})
    if kind == ReferralKind.IDENTIFICATION and not to_org.type.is_identification_authority:
        raise invalid("to_org", _("Identification referrals go to the identification authority."))
    if kind == ReferralKind.ASYLUM and not to_org.type.is_asylum_authority:
        raise invalid("to_org", _("Asylum referrals go to the asylum authority."))
    if kind == ReferralKind.SERVICE and service_type is None:
        raise invalid("service_type", _("Choose the service you are referring for."))
    if legal_ground not in LegalGround.values:
        raise invalid("legal_ground", _("“%(value)s” is not a valid choice.") % {"value": legal_ground})
    sent_on = sent_on or timezone.localdate()
    if sent_on > timezone.localdate():
        raise invalid("sent_on", _("The date cannot be in the future."))
    if sent_on < case.opened_on:
        raise invalid("sent_on", _("The referral cannot be sent before the case was opened."))

    if shares_documents and not shares_identity:
        raise invalid(
            "shares_documents",
            _("Documents carry the person's identity: share the identity too, or do not share the documents."),
        )
    message = check_model_text(Referral, "message", message)
    legal_ground_note = check_model_text(Referral, "legal_ground_note", legal_ground_note)

    snapshot = consent_snapshot(case)
    consented = any(c["purpose"] == ConsentPurpose.SHARE and c["organisation"] == to_org.pk for c in snapshot)
    if consented:
        legal_ground, legal_ground_note = LegalGround.NONE, ""
    else:
        if not legal_ground:
            raise invalid(
                "legal_ground",
                _(
                    "The person has not consented to sharing with %(org)s. Record "
                    "consent first, or state the legal ground."
                )
                % {"org": to_org.name},
            )
        if legal_ground == LegalGround.CHILD and not case.is_child:
            raise invalid("legal_ground", _("The child ground applies only to children."))
        check_ground_note(legal_ground_note)

    referral = Referral.objects.create(
        case=case,
        kind=kind,
        from_org=from_org,
        to_org=to_org,
        service_type=service_type,
        sent_by=actor,
        sent_on=sent_on,
        urgency=urgency,
        due_on=due_date(sent_on, kind, urgency),
        message=message,
        consent_snapshot=snapshot,
        without_consent=not consented,
        legal_ground=legal_ground,
        legal_ground_note=legal_ground_note,
        shares_identity=shares_identity,
        shares_documents=shares_documents,
    )
    signals.referral_sent.send(sender=Referral, referral=referral)
    audit_record(
        actor=actor,
        action="referral.send",
        object_type="case",
        object_id=case.pk,
        organisation_id=from_org.pk,
        reason="" if consented else f"without consent: {legal_ground}",
        detail={
            "referral": referral.pk,
            "to": to_org.pk,
            "kind": kind,
            "without_consent": not consented,
            "identity": shares_identity,
            "documents": shares_documents,
        },
    )
    return referral


@atomic_audited
def referral_transition(
    *,
    actor: User,
    referral: Referral,
    to_status: str,
    expected_version: int,
    reason: str = "",
    on: dt.date | None = None,
) -> Referral:
    """Move a referral to ``to_status`` if the transition exists and the actor's side may make it."""
    side = TRANSITIONS.get((referral.status, to_status))
    receiver = referral.to_org_id in receiver_organisations(actor, Action.RESPOND)
    sender = referral.from_org_id in acting_organisations(actor, Action.REFER)
    if not (receiver or sender):
        raise denied(actor=actor, action="referral.transition", object_type="referral", object_id=referral.pk)
    if to_status not in ReferralStatus.values:
        raise invalid("status", _("“%(value)s” is not a valid choice.") % {"value": to_status})
    if side is None or (side == "receiver" and not receiver) or (side == "sender" and not sender):
        raise Conflict(
            _("A referral that is %(old)s cannot be made %(new)s by your organisation.")
            % {"old": ReferralStatus(referral.status).label, "new": ReferralStatus(to_status).label},
            field="status",
        )
    reason = check_model_text(Referral, "decline_reason", reason)
    if to_status == ReferralStatus.DECLINED and not reason:
        raise invalid("decline_reason", _("Give the reason for declining."))
    old = referral.status
    referral.status = to_status
    fields = ["status"]
    if old == ReferralStatus.SUSPENDED and to_status == ReferralStatus.SENT:
        fields += _resend(referral)
    if old == ReferralStatus.SENT and to_status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        referral.responded_on = on or timezone.localdate()
        fields.append("responded_on")
    if to_status == ReferralStatus.DECLINED:
        referral.decline_reason = reason
        fields.append("decline_reason")
    save_versioned(referral, expected_version=expected_version, fields=fields)
    signals.referral_moved.send(sender=Referral, referral=referral, actor=actor, old=old, new=to_status)
    if old == ReferralStatus.SUSPENDED and to_status == ReferralStatus.SENT:
        signals.referral_sent.send(sender=Referral, referral=referral)
    audit_record(
        actor=actor,
        action="referral.transition",
        object_type="case",
        object_id=referral.case_id,
        organisation_id=referral.to_org_id if side == "receiver" else referral.from_org_id,
        detail={"referral": referral.pk, "from": old, "to": to_status},
    )
    return referral


def _resend(referral: Referral) -> list[str]:
    """Prepare a suspended referral to be sent again; return the fields changed.

    Only once the person has consented again to sharing with the receiver: the referral then
    carries the consents in force now, and the receiver answers it anew before it sees the case.
    """
    case = referral.case
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    snapshot = consent_snapshot(case)
    if not any(c["purpose"] == ConsentPurpose.SHARE and c["organisation"] == referral.to_org_id for c in snapshot):
        raise Conflict(
            _("The person has not consented again to sharing with %(org)s. Record consent first.")
            % {"org": referral.to_org.name},
            field="status",
        )
    today = timezone.localdate()
    referral.consent_snapshot = snapshot
    referral.due_on = due_date(today, referral.kind, referral.urgency)
    referral.responded_on = None
    return ["consent_snapshot", "due_on", "responded_on"]


def suspend_for_withdrawal(*, actor: User, consent: Consent, on: dt.date) -> list[int]:
    """Suspend the referrals of ``consent``'s case that relied on it; return their ids.

    Called by :func:`nrm.cases.services.consent_withdraw` inside its transaction, after the
    withdrawal is stored. A referral relied on the consent when it went to the consent's
    organisation with consent (not on a legal ground) and no other consent to share with that
    organisation is still in force. A suspended referral is outside ``ACTIVE_STATES``, so the
    access rule stops showing the case to the receiver from its next request. Each suspension
    is its own audit row.
    """
    if consent.purpose != ConsentPurpose.SHARE or consent.organisation_id is None:
        return []
    still_consented = (
        Consent.objects.filter(
            case_id=consent.case_id,
            purpose=ConsentPurpose.SHARE,
            organisation_id=consent.organisation_id,
            withdrawn_on__isnull=True,
        )
        .exclude(pk=consent.pk)
        .exists()
    )
    if still_consented:
        return []
    relied = Referral.objects.select_for_update().filter(
        case_id=consent.case_id,
        to_org_id=consent.organisation_id,
        without_consent=False,
        status__in=SUSPENDABLE_STATES,
    )
    suspended = []
    for referral in relied.order_by("pk"):
        old = referral.status
        referral.status, referral.suspended_on = ReferralStatus.SUSPENDED, on
        # A new version, so that a receiver's stale answer cannot undo the suspension.
        save_versioned(referral, expected_version=referral.version, fields=["status", "suspended_on"])
        signals.referral_suspended.send(sender=Referral, referral=referral)
        audit_record(
            actor=actor,
            action="referral.suspend",
            object_type="case",
            object_id=referral.case_id,
            organisation_id=referral.from_org_id,
            reason="consent withdrawn",
            detail={"referral": referral.pk, "from": old, "to": ReferralStatus.SUSPENDED, "consent": consent.pk},
        )
        suspended.append(referral.pk)
    return suspended


def referral_for_update(actor: User, pk: int) -> Referral:
    """Return a referral the actor's organisation sent or received, or raise NotFound."""
    orgs = member_organisations(actor)
    referral = (
        Referral.objects.select_related("case", "to_org", "from_org").filter(pk=pk).filter(from_org__in=orgs).first()
        or Referral.objects.select_related("case", "to_org", "from_org").filter(pk=pk, to_org__in=orgs).first()
    )
    if referral is None:
        raise audit_denial(actor=actor, action="referral.transition", object_type="referral", object_id=pk)
    return referral


@atomic_audited
def legal_ground_review(
    *, actor: User, referral: Referral, outcome: str, note: str = "", expected_version: int
) -> Referral:
    """Record the owner's review of a referral sent without consent: was its legal ground justified?

    Only case workers of the organisation that owns the case review (they answer for the person's
    data); a referral sent with consent, or already reviewed, cannot be. "Not justified" needs a
    note saying why, for whoever follows it up.
    """
    from nrm.referrals.selectors import legal_grounds_to_review

    if not legal_grounds_to_review(actor, pending=False).filter(pk=referral.pk).exists():
        raise denied(actor=actor, action="referral.ground_review", object_type="referral", object_id=referral.pk)
    if referral.ground_review:
        raise Conflict(_("This referral's ground has already been reviewed."), field="ground_review")
    if outcome not in GroundReview.values:
        raise invalid("ground_review", _("“%(value)s” is not a valid choice.") % {"value": outcome})
    note = check_model_text(Referral, "ground_review_note", note)
    if outcome == GroundReview.NOT_UPHELD and not note:
        raise invalid("ground_review_note", _("Say why the ground was not justified."))
    referral.ground_review = outcome
    referral.ground_review_note = note
    referral.ground_reviewed_by = actor
    referral.ground_reviewed_on = timezone.localdate()
    save_versioned(
        referral,
        expected_version=expected_version,
        fields=["ground_review", "ground_review_note", "ground_reviewed_by", "ground_reviewed_on"],
    )
    audit_record(
        actor=actor,
        action="referral.ground_review",
        object_type="case",
        object_id=referral.case_id,
        organisation_id=referral.case.owner_id,
        reason=outcome,
        detail={"referral": referral.pk, "legal_ground": referral.legal_ground},
    )
    return referral
