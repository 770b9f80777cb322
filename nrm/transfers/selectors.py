"""Reads of transfers, each from the access rule; the old owner's history of a transferred case."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from nrm.accounts.access import Action, get_or_deny, restrict
from nrm.accounts.models import User
from nrm.audit.services import audit_record, audited_read
from nrm.cases.models import Case, CaseNote, Identification, ServiceDelivery
from nrm.core.jsonrows import Relation
from nrm.transfers.access import transfer_organisations
from nrm.transfers.models import CaseTransfer, TransferStatus


def case_transfers(user: User, case) -> QuerySet[CaseTransfer]:
    """Return the transfers of ``case`` that ``user`` may see (loaded with the case by ``case_get``)."""
    return restrict(CaseTransfer.objects.filter(case=case), user, Action.VIEW).select_related("from_org", "to_org")


def case_transfer_context(user: User, view) -> dict:
    """Return the case page's transfer part, from the rows ``case_get`` loaded (no query)."""
    transfers = list(view.case.transfers.all())
    pending = next((t for t in transfers if t.status == TransferStatus.PENDING), None)
    may = view.case.owner_id in transfer_organisations(user) and pending is None
    return {"transfers": transfers, "pending_transfer": pending, "can_transfer": may}


def transfer_list(user: User) -> QuerySet[CaseTransfer]:
    """Return the transfers from and to the user's organisations, newest first."""
    return restrict(CaseTransfer.objects.all(), user, Action.VIEW).select_related("case", "from_org", "to_org")


@dataclass
class TransferView:
    transfer: CaseTransfer
    # What the old owner recorded on the case before handing it over: its read-only history.
    notes: list
    services: list
    identifications: list
    may_respond: bool
    may_cancel: bool


@audited_read
def transfer_get(user: User, pk: int) -> TransferView:
    """Return a transfer ``user`` may see, with the records the reader's organisation made on the case, audited."""
    transfer = get_or_deny(
        CaseTransfer.objects.select_related("case", "from_org", "to_org"),
        user,
        Action.VIEW,
        object_type="transfer",
        audit_action="transfer.view",
        pk=pk,
    )
    mine = [transfer.from_org_id] if transfer.from_org_id in transfer_organisations(user) else []
    history = {"notes": [], "services": [], "identifications": []}
    if transfer.status == TransferStatus.ACCEPTED:
        # Through the rule (``case_history_rule``): the old owner's own records only.
        case, orgs = transfer.case_id, [transfer.from_org_id]
        history["notes"] = list(
            restrict(CaseNote.objects.filter(case=case, organisation__in=orgs), user).select_related("author")
        )
        history["services"] = list(
            restrict(ServiceDelivery.objects.filter(case=case, organisation__in=orgs), user).select_related(
                "service_type"
            )
        )
        history["identifications"] = list(
            restrict(Identification.objects.filter(case=case, organisation__in=orgs), user)
        )
    audit_record(
        actor=user,
        action="transfer.view",
        object_type="case",
        object_id=transfer.case_id,
        detail={"transfer": transfer.pk, "history": {k: len(v) for k, v in history.items()}},
    )
    pending = transfer.status == TransferStatus.PENDING
    return TransferView(
        transfer=transfer,
        **history,
        may_respond=pending and transfer.to_org_id in transfer_organisations(user),
        may_cancel=pending and bool(mine),
    )


def case_relations(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """What a case read loads of its transfers (registered with ``nrm.cases.selectors``), through their rule."""
    return [Relation("transfers", case_transfers(user, case))]
