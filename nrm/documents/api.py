"""API of a case's documents: list and upload under ``/api/v1/cases/<id>/documents/``, and download."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nrm.accounts.access import Action, get_or_deny
from nrm.api.idempotency import IdempotentPostMixin
from nrm.cases.models import Case
from nrm.documents import selectors, services
from nrm.documents.choices import DocumentKind
from nrm.documents.models import Document
from nrm.documents.responses import file_response


class DocumentSerializer(serializers.Serializer):
    """A document as listed. Title and file name only for those who may download it (they may name the person)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(DocumentKind.choices)
    kind_label = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    filename = serializers.CharField(allow_null=True)
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    organisation = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    may_download = serializers.BooleanField()
    download = serializers.CharField(allow_null=True)


def document_data(document: Document, may_download: bool) -> dict:
    return {
        "id": document.pk,
        "kind": document.kind,
        "kind_label": str(document.get_kind_display()),
        "title": document.title if may_download else None,
        "filename": document.filename if may_download else None,
        "content_type": document.content_type,
        "size": document.size,
        "organisation": document.organisation.name,
        "uploaded_at": document.created_at.isoformat(),
        "may_download": may_download,
        "download": reverse("api-document-download", args=[document.case_id, document.pk]) if may_download else None,
    }


class DocumentListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DocumentSerializer(many=True)


class UploadSerializer(serializers.Serializer):
    """Multipart form: ``file``, ``title``, ``kind``. Checked by the service, which names the field at fault."""

    file = serializers.FileField(required=False, allow_empty_file=True)
    title = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    kind = serializers.CharField(required=False, allow_blank=True, default="")


class CaseDocumentsView(IdempotentPostMixin, APIView):
    """The documents of a case: listed to whoever may see the case; uploaded by the owner's case staff."""

    parser_classes = [MultiPartParser, FormParser]

    def _fingerprint(self, request) -> str:
        # The file's bytes count: the same name and title with another file is another request.
        upload = request.data.get("file")
        digest = hashlib.sha256(upload.read()).hexdigest() if hasattr(upload, "read") else ""
        if hasattr(upload, "seek"):
            upload.seek(0)
        fields = "\n".join(f"{k}={request.data.get(k, '')}" for k in ("title", "kind"))
        return hashlib.sha256(f"{request.path}\n{fields}\n{digest}".encode()).hexdigest()

    @extend_schema(responses=DocumentListSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        """List the case's documents; the read is audited (``document.list``), and so is a refusal."""
        listed = selectors.document_list(request.user, case_id, reason="api")
        results = [document_data(d, d.pk in listed.downloadable) for d in listed.documents]
        return Response({"count": len(results), "results": results})

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: DocumentSerializer, 400: OpenApiResponse(description="The field at fault is named")},
    )
    def post(self, request: Request, case_id: int) -> Response:
        """Upload a document (at most ``NRM_DOCUMENT_MAX_MB``; PDF, JPEG, PNG, DOCX, ODT, plain text)."""
        case = get_or_deny(
            Case.objects.all(),
            request.user,
            Action.VIEW,
            object_type="case",
            audit_action="document.upload",
            audit_reason="api",
            pk=case_id,
        )
        s = UploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        document = services.document_upload(
            actor=request.user, case=case, upload=d.get("file"), title=d["title"], kind=d["kind"]
        )
        return Response(document_data(document, True), status=status.HTTP_201_CREATED)


class DocumentDownloadView(APIView):
    """A document's file, decrypted; every download is audited (``document.download``), and so is a refusal."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, case_id: int, document_id: int) -> HttpResponse:
        document, data = selectors.document_read(request.user, case_id, document_id, reason="api")
        return file_response(document, data)


urlpatterns = [
    path("cases/<int:case_id>/documents/", CaseDocumentsView.as_view(), name="api-case-documents"),
    path(
        "cases/<int:case_id>/documents/<int:document_id>/download/",
        DocumentDownloadView.as_view(),
        name="api-document-download",
    ),
]
