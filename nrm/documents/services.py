"""Writes of documents: upload to a case, erase with the identity at the end of retention."""

from __future__ import annotations

import os
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.choices import CaseStatus
from nrm.cases.models import Case
from nrm.core.errors import Conflict, invalid
from nrm.core.validation import check_characters, check_choice, check_text
from nrm.documents.access import document_upload_rule
from nrm.documents.choices import EXTENSIONS, DocumentKind, FileType
from nrm.documents.content import detect
from nrm.documents.models import Document, DocumentContent

TITLE_MAX_LENGTH = 200
FILENAME_MAX_LENGTH = 255
# Sent by clients that do not know a file's type: no claim to compare with the name's.
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


class Upload(Protocol):
    """What a document is uploaded from: Django's ``UploadedFile`` (or a test's stand-in)."""

    name: str
    size: int
    content_type: str | None

    def read(self, size: int = -1) -> bytes: ...


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def accepted_types_text() -> str:
    return _("PDF, JPEG, PNG, DOCX, ODT or plain text (.txt)")


def check_file(upload: Upload | None) -> tuple[str, str, bytes]:
    """Return the file's name, its checked type and its bytes; refuse it naming the field ``file``.

    Refused: no file, an empty one, one over ``NRM_DOCUMENT_MAX_BYTES``, a name whose extension
    is not an accepted type, a declared type other than the name's, and bytes that are not what
    the name claims (:func:`nrm.documents.content.detect`).
    """
    if upload is None:
        raise invalid("file", _("Choose a file to upload."))
    limit = settings.NRM_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise invalid(
            "file",
            _("The file is %(size)s; the largest accepted is %(limit)s.")
            % {"size": _megabytes(upload.size), "limit": _megabytes(limit)},
        )
    name = os.path.basename((upload.name or "").replace("\\", "/")).strip()
    name = check_characters("file", name)[-FILENAME_MAX_LENGTH:]
    claimed = EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if claimed is None:
        raise invalid(
            "file",
            _("Files of this type are not accepted: upload a %(types)s file.") % {"types": accepted_types_text()},
        )
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared not in GENERIC_TYPES and declared in FileType.values and declared != claimed:
        raise invalid(
            "file",
            _("The file is named as %(claimed)s but was sent as %(declared)s: check the file and its name.")
            % {"claimed": FileType(claimed).label, "declared": FileType(declared).label},
        )
    data = upload.read(limit + 1)  # never more than the limit, whatever size the client announced
    if len(data) > limit:
        raise invalid(
            "file", _("The file is larger than %(limit)s, the largest accepted.") % {"limit": _megabytes(limit)}
        )
    if not data:
        raise invalid("file", _("The file is empty."))
    found = detect(data)
    if found != claimed:
        raise invalid(
            "file",
            _(
                "The content of this file is not %(claimed)s, as its name says (%(found)s). Upload the document "
                "itself, saved as one of the accepted types."
            )
            % {
                "claimed": FileType(claimed).label,
                "found": _("it looks like %(type)s") % {"type": FileType(found).label}
                if found
                else _("it is none of the accepted types"),
            },
        )
    return name, claimed, data


@atomic_audited
def document_upload(*, actor: User, case: Case, upload: Upload | None, title: str, kind: str) -> Document:
    """Add a document to an open case of the actor's organisation, encrypted; the upload is audited.

    Only the owner's case staff upload (``access.document_upload_rule``); anyone else gets the
    audited 404 of a missing case.
    """
    if not Case.objects.filter(document_upload_rule(actor), pk=case.pk).exists():
        raise denied(actor=actor, action="document.upload", object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed: documents can no longer be added."), field="status")
    title = check_text("title", title, TITLE_MAX_LENGTH, required=True)
    if not kind:
        raise invalid("kind", _("This field is required."))
    kind = check_choice("kind", kind, DocumentKind)
    filename, content_type, data = check_file(upload)
    document = Document.objects.create(
        case=case,
        organisation_id=case.owner_id,
        uploaded_by=actor,
        kind=kind,
        title=title,
        filename=filename,
        content_type=content_type,
        size=len(data),
    )
    content = DocumentContent(document=document)
    content.data = DocumentContent._meta.get_field("data").seal(content, data)
    content.save(force_insert=True)
    audit_record(
        actor=actor,
        action="document.upload",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"document": document.pk, "kind": kind, "type": content_type, "size": len(data)},
    )
    return document


def case_documents_erase(*, case: Case) -> int:
    """Delete every document of ``case`` (content included); return how many. For retention, in its transaction.

    The documents carry identity, so they go when the identity is erased (``nrm.cases.retention``),
    whose audit row counts them.
    """
    _deleted, per_model = Document.objects.filter(case=case).delete()
    return per_model.get(Document._meta.label, 0)


def documents_retention_erase(case: Case) -> dict:
    """Erase ``case``'s documents with its identity (``nrm.cases.retention``); its audit row counts them."""
    return {"documents": case_documents_erase(case=case)}
