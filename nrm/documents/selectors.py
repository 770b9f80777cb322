"""Reads of documents: a case's list, and one document's content for download; both audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet

from nrm.accounts.access import Action, case_staff_organisations, get_or_deny, restrict
from nrm.accounts.models import User
from nrm.audit.services import audit_record, audited_read
from nrm.cases.models import Case
from nrm.core import crypto
from nrm.core.jsonrows import Relation
from nrm.documents.access import DocumentAction
from nrm.documents.models import Document, DocumentContent

log = logging.getLogger("nrm.security")


def case_documents(user: User, case: Case) -> QuerySet[Document]:
    """Return the documents of ``case`` that ``user`` may see listed (whoever may see the case)."""
    return restrict(Document.objects.filter(case=case), user, DocumentAction.VIEW).select_related("organisation")


@dataclass
class DocumentList:
    case: Case
    documents: list[Document]
    downloadable: set[int]


@audited_read
def document_list(user: User, case_pk: int, *, reason: str = "api") -> DocumentList:
    """Return a case's documents as ``user`` may see them; the read (or its refusal) is audited.

    A case the user may not see is a 404 and an audited denial, as for a missing one.
    """
    case = get_or_deny(
        Case.objects.all(),
        user,
        Action.VIEW,
        object_type="case",
        audit_action="document.list",
        audit_reason=reason[:200],
        pk=case_pk,
    )
    documents = list(case_documents(user, case))
    downloadable = set(
        restrict(Document.objects.filter(case=case), user, DocumentAction.DOWNLOAD).values_list("pk", flat=True)
    )
    audit_record(
        actor=user,
        action="document.list",
        object_type="case",
        object_id=case.pk,
        reason=reason[:200],
        detail={"documents": [d.pk for d in documents]},
    )
    return DocumentList(case=case, documents=documents, downloadable=downloadable)


@audited_read
def document_read(user: User, case_pk: int, document_pk: int, *, reason: str = "api") -> tuple[Document, bytes]:
    """Return a document and its decrypted content, for download; the download is audited.

    Only the owner's case staff and those of a receiver whose active referral shares documents
    may (``access.document_rule``); anyone else, and a document of another case, is a 404 and an
    audited denial.
    """
    # ``case__pk`` (not ``case_id``): an id beyond the database's integers matches nothing instead of failing.
    document = get_or_deny(
        Document.objects.filter(case__pk=case_pk).select_related("case"),
        user,
        DocumentAction.DOWNLOAD,
        object_type="document",
        audit_action="document.download",
        audit_reason=reason[:200],
        pk=document_pk,
    )
    content = DocumentContent.objects.get(pk=document.pk)
    try:
        data = DocumentContent._meta.get_field("data").open(content)
    except crypto.DecryptionError:
        log.error("document %s does not decrypt for its row", document.pk)
        raise
    audit_record(
        actor=user,
        action="document.download",
        object_type="case",
        object_id=document.case_id,
        organisation_id=document.case.owner_id if document.case.owner_id in case_staff_organisations(user) else None,
        reason=reason[:200],
        detail={"document": document.pk, "size": len(data)},
    )
    return document, data


def case_relations(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """What a case read loads of its documents (registered with ``nrm.cases.selectors``): listed to whoever sees it."""
    return [Relation("documents", case_documents(user, case))]
