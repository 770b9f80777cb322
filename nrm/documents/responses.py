"""The one answer that serves a document's file, for the API and the pages alike."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from nrm.documents.models import Document


def file_response(document: Document, data: bytes) -> HttpResponse:
    """Return ``data`` as an attachment of the checked type, never cached, never rendered in place."""
    response = HttpResponse(bytes(data), content_type=document.content_type)
    # Always an attachment: a document is never shown inside the application's own origin.
    response["Content-Disposition"] = content_disposition_header(True, document.filename or f"document-{document.pk}")
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
