"""Pages of a case's documents: upload, and the download link; the list is on the case page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts import access
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.gates import role_gate
from nrm.cases.models import Case
from nrm.core.pages import form_page
from nrm.documents import access as document_access
from nrm.documents import selectors, services
from nrm.documents.forms import DocumentForm
from nrm.documents.responses import file_response

case_staff = role_gate(
    lambda user: access.has_role(user, *CASE_ROLES),
    record="case",
    action=lambda name: "document.upload" if name == "document_new" else "document.download",
    reason="role without case access",
)


@case_staff
def document_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a document to a case of the user's organisation."""
    case = access.get_or_deny(
        Case.objects.filter(document_access.document_upload_rule(request.user)),
        request.user,
        access.Action.VIEW,
        object_type="case",
        audit_action="document.upload",
        audit_reason="web",
        pk=pk,
    )
    form = DocumentForm(request.POST or None, request.FILES or None)
    back = reverse("web:case_detail", args=[case.pk])
    return form_page(
        request,
        form,
        lambda d: services.document_upload(
            actor=request.user, case=case, upload=d["file"], title=d["title"], kind=d["kind"]
        ),
        success=_("Document uploaded."),
        done=back + "#h-documents",
        template="documents/document_form.html",
        context={"case": case, "max_mb": settings.NRM_DOCUMENT_MAX_BYTES // (1024 * 1024)},
        conflict_to=back,
    )


@case_staff
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """Download a document; audited, and a refusal is a 404 and an audited denial."""
    document, data = selectors.document_read(request.user, pk, document_pk, reason="web")
    return file_response(document, data)
