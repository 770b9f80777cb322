"""The access rules of documents (registered from ``DocumentsConfig.ready``).

Files uploaded to a case (statements, medical and legal papers, photos of documents) carry
identity. Whoever may see the case sees that they exist (kind, date, size); only the owner's
case staff, and the case staff of an organisation whose active referral shares documents
(``Referral.shares_documents``), may see their titles and download them. The owner's case
staff upload them.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from nrm.accounts.access import Action, case_staff_organisations, register_rule
from nrm.accounts.models import User
from nrm.cases.access import case_filter, on_case
from nrm.documents.models import Document, DocumentContent
from nrm.referrals.choices import ACTIVE_STATES
from nrm.referrals.models import Referral


class DocumentAction(StrEnum):
    VIEW = "view"  # list a case's documents: kind, date, size, who uploaded
    DOWNLOAD = "download"  # read a document: its title, file name and content
    UPLOAD = "upload"  # add a document to an open case (on ``Case``: see ``document_upload_rule``)


def document_rule(user: User, action: DocumentAction = DocumentAction.VIEW) -> Q:
    """The rule of ``Document``: listed as its case is seen, downloaded by the owner or a sharing receiver."""
    action = DocumentAction(action)
    if action == DocumentAction.VIEW:
        return on_case(case_filter(user, Action.VIEW, one=True))
    orgs = case_staff_organisations(user)
    if action == DocumentAction.UPLOAD:
        return Q(case__owner__in=orgs)
    sharing = Referral.objects.filter(to_org__in=orgs, status__in=ACTIVE_STATES, shares_documents=True)
    return Q(case__owner__in=orgs) | Q(Exists(sharing.filter(case=OuterRef("case"))))


def document_content_rule(user: User, action: DocumentAction = DocumentAction.DOWNLOAD) -> Q:
    """The rule of ``DocumentContent``: its document's."""
    return Q(document__in=Document.objects.filter(document_rule(user, action)).values("pk"))


def document_upload_rule(user: User) -> Q:
    """The cases ``user`` may add documents to: those owned by an organisation where they hold a case role."""
    return Q(owner__in=case_staff_organisations(user))


def can_download_documents_on_loaded(user: User, case, links) -> bool:
    """Return whether ``user`` may download ``case``'s documents (:func:`document_rule`), from rows already loaded.

    ``links`` from ``cases.access.case_links``: the same rule evaluated on them, without a query.
    """
    orgs = case_staff_organisations(user)
    if case.owner_id in orgs:
        return True
    return any(r.to_org_id in orgs and r.status in ACTIVE_STATES and r.shares_documents for r in links)


register_rule(Document, document_rule)
register_rule(DocumentContent, document_content_rule)
