"""The case summary as a PDF: a page of its own so that the case page's view stays as it is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from nrm.cases.summary import case_summary
from nrm.web.views import case_staff


@case_staff
def case_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the case summary PDF in the user's language; a case the user may not see is a 404."""
    view, pdf = case_summary(request.user, pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{view.case.reference}-summary.pdf"'
    response["Cache-Control"] = "no-store"
    return response
