"""The printable case summary: what one reader may see of a case, as a PDF, audited as a disclosure."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language

from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record
from nrm.cases.selectors import CaseView, case_extras, case_get, case_timeline
from nrm.core.pdf import render_pdf


@atomic_audited
def case_summary(user: User, pk: int) -> tuple[CaseView, bytes]:
    """Return the case as ``user`` may see it and its summary PDF, in the active language.

    The same read as the case page (``case_get``: a case outside the rule is NotFound, identity
    only where the reader may see it), plus a ``case.summary`` row: a PDF leaves the system, so
    it is recorded as a disclosure, with whether it carried identity.
    """
    view = case_get(user, pk, reason="summary")
    case = view.case
    context = {
        "view": view,
        "case": case,
        "person": case.person,
        "forms": list(case.forms.all()),
        # As the case page shows them: standing flags first, where a reader looks for danger.
        "flags": [f for f in case.flags.all() if f.is_active],
        "episodes": list(case.episodes.all()),
        "referrals": list(case.referrals.all()),
        "identifications": list(case.identifications.all()),
        "services": list(case.services.all()),
        "timeline": case_timeline(view),
        "printed_at": timezone.localtime(),
        "printed_by": user.get_username(),
        "LANGUAGE_CODE": get_language(),
    }
    context.update(case_extras(user, view))  # a child's records, ...
    pdf = render_pdf("cases/pdf/case_summary.html", context)
    audit_record(
        actor=user,
        action="case.summary",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id if view.is_owner else None,
        reason="disclosure",
        detail={"identity": view.show_identity, "format": "pdf", "language": get_language(), "bytes": len(pdf)},
    )
    return view, pdf
