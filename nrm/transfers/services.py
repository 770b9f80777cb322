"""Writes of transfers: request (the owner), accept or decline (the receiver), cancel (the sender).

A transfer is two-step: the brief (../shared/BRIEF.md) says nothing of handing a case over, and
a new owner takes on duties towards the person, so the receiving organisation accepts it first.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, restrict
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.choices import CaseStatus
from nrm.cases.models import Case
from nrm.core.errors import Conflict, invalid
from nrm.core.validation import check_date, check_model_text, check_not_future
from nrm.transfers.access import transfer_organisations
from nrm.transfers.models import CaseTransfer, TransferStatus


def _check_ground(legal_ground: str) -> str:
    """A transfer without consent needs a written ground as long as a referral's (``NRM_LEGAL_GROUND_MIN_LENGTH``)."""
    minimum, written = settings.NRM_LEGAL_GROUND_MIN_LENGTH, len(" ".join(legal_ground.split()))
    if not written:
        raise invalid(
            "legal_ground",
            _("Record the date the person consented to the transfer, or write the legal ground for it."),
        )
    if written < minimum:
        raise invalid(
            "legal_ground",
            _("Explain the ground in at least %(minimum)d characters (%(written)d written).")
            % {"minimum": minimum, "written": written},
        )
    return legal_ground


@atomic_audited
def transfer_request(
    *,
    actor: User,
    case: Case,
    to_org: Organisation,
    reason: str,
    consent_given_on: dt.date | None = None,
    legal_ground: str = "",
) -> CaseTransfer:
    """Ask ``to_org`` to take over ``case``: on the person's consent (its date) or a written legal ground."""
    if case.owner_id not in transfer_organisations(actor):
        raise denied(actor=actor, action="transfer.request", object_type="case", object_id=case.pk)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    if to_org is None:
        raise invalid("to_org", _("Choose the organisation that takes over the case."))
    if to_org.pk == case.owner_id:
        raise invalid("to_org", _("Choose another organisation than the owner."))
    if not to_org.is_active:
        raise invalid("to_org", _("This organisation is not active."))
    if CaseTransfer.objects.filter(case=case, status=TransferStatus.PENDING).exists():
        raise Conflict(_("A transfer of this case is already waiting for an answer."), field="to_org")
    reason = check_model_text(CaseTransfer, "reason", reason, required=True)
    consent_given_on = check_date("consent_given_on", consent_given_on, required=False)
    legal_ground = check_model_text(CaseTransfer, "legal_ground", legal_ground)
    if consent_given_on is not None:
        check_not_future("consent_given_on", consent_given_on)
        if consent_given_on < case.opened_on:
            raise invalid("consent_given_on", _("The consent cannot be before the case was opened."))
        legal_ground = ""
    else:
        legal_ground = _check_ground(legal_ground)
    transfer = CaseTransfer.objects.create(
        case=case,
        from_org_id=case.owner_id,
        to_org=to_org,
        requested_by=actor,
        requested_on=timezone.localdate(),
        reason=reason,
        consent_given_on=consent_given_on,
        legal_ground=legal_ground,
    )
    audit_record(
        actor=actor,
        action="transfer.request",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        reason="" if consent_given_on else "without consent: legal ground",
        detail={"transfer": transfer.pk, "to": to_org.pk, "consent": consent_given_on is not None},
    )
    return transfer


def _pending(actor: User, pk: int, action: Action, audit_action: str) -> CaseTransfer:
    """Return the transfer locked for an answer, if ``actor`` may give it; else NotFound (audited)."""
    transfer = (
        restrict(CaseTransfer.objects.select_for_update(), actor, action)
        .select_related("case", "to_org", "from_org")
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise denied(actor=actor, action=audit_action, object_type="transfer", object_id=pk)
    if transfer.status != TransferStatus.PENDING:
        raise Conflict(
            _("This transfer was already answered: %(status)s.") % {"status": transfer.get_status_display()},
            field="status",
        )
    return transfer


def _close(transfer: CaseTransfer, actor: User, status: str, decline_reason: str = "") -> None:
    transfer.status, transfer.decided_by, transfer.decided_on = status, actor, timezone.localdate()
    transfer.decline_reason = decline_reason
    CaseTransfer.objects.filter(pk=transfer.pk).update(
        status=status,
        decided_by=actor,
        decided_on=transfer.decided_on,
        decline_reason=decline_reason,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )


@atomic_audited
def transfer_accept(*, actor: User, pk: int) -> CaseTransfer:
    """Accept a transfer: the receiver becomes the case's owner; the old owner keeps its records' history."""
    transfer = _pending(actor, pk, Action.RESPOND, "transfer.accept")
    case = Case.objects.select_for_update().get(pk=transfer.case_id)
    if case.owner_id != transfer.from_org_id:
        raise Conflict(_("The case changed owner since the transfer was asked."), field="status")
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    _close(transfer, actor, TransferStatus.ACCEPTED)
    Case.objects.filter(pk=case.pk).update(owner=transfer.to_org, version=F("version") + 1, updated_at=timezone.now())
    for org, side in ((transfer.to_org_id, "receiver"), (transfer.from_org_id, "sender")):
        audit_record(
            actor=actor,
            action="transfer.accept",
            object_type="case",
            object_id=case.pk,
            organisation_id=org,
            detail={"transfer": transfer.pk, "from": transfer.from_org_id, "to": transfer.to_org_id, "side": side},
        )
    return transfer


@atomic_audited
def transfer_decline(*, actor: User, pk: int, reason: str) -> CaseTransfer:
    """Decline a transfer, with a reason; the case stays with its owner."""
    transfer = _pending(actor, pk, Action.RESPOND, "transfer.decline")
    reason = check_model_text(CaseTransfer, "decline_reason", reason, required=True)
    _close(transfer, actor, TransferStatus.DECLINED, reason)
    audit_record(
        actor=actor,
        action="transfer.decline",
        object_type="case",
        object_id=transfer.case_id,
        organisation_id=transfer.to_org_id,
        detail={"transfer": transfer.pk},
    )
    return transfer


@atomic_audited
def transfer_cancel(*, actor: User, pk: int) -> CaseTransfer:
    """Withdraw a transfer not yet answered (the sender's case managers)."""
    transfer = _pending(actor, pk, Action.MANAGE, "transfer.cancel")
    _close(transfer, actor, TransferStatus.CANCELLED)
    audit_record(
        actor=actor,
        action="transfer.cancel",
        object_type="case",
        object_id=transfer.case_id,
        organisation_id=transfer.from_org_id,
        detail={"transfer": transfer.pk},
    )
    return transfer
