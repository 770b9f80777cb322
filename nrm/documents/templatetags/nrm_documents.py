"""``{% case_documents %}``: the documents section of the case page, from the rows the case read loaded."""

from __future__ import annotations

from django import template

from nrm.accounts.access import case_staff_organisations
from nrm.cases.choices import CaseStatus
from nrm.documents.access import can_download_documents_on_loaded

register = template.Library()


@register.inclusion_tag("documents/_case_documents.html", takes_context=True)
def case_documents(context) -> dict:
    """Render the case's documents as the reader may see them, without a query of its own.

    ``cases.selectors.case_get`` loaded them through the access rule with the case; whether the
    reader may download them is answered from the case's referrals to the reader's
    organisations it loaded too (``access.can_download_documents_on_loaded``).
    """
    view = context["view"]
    user = context["request"].user
    case = view.case
    return {
        "case": case,
        "documents": list(case.documents.all()),
        "may_download": can_download_documents_on_loaded(user, case, view.links),
        "may_upload": case.status != CaseStatus.CLOSED and case.owner_id in case_staff_organisations(user),
    }
