"""Kinds of documents and the file types a case accepts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    STATEMENT = "statement", _("Statement")
    MEDICAL = "medical", _("Medical paper")
    LEGAL = "legal", _("Legal paper")
    IDENTITY = "identity", _("Photo or copy of an identity document")
    OTHER = "other", _("Other")


class FileType(models.TextChoices):
    """The types a case accepts, by their MIME type (what a download is served as)."""

    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"
    ODT = "application/vnd.oasis.opendocument.text", "ODT"
    TEXT = "text/plain", _("Plain text")


# The name's extension is what the file claims to be; its bytes must agree (nrm.documents.content).
EXTENSIONS: dict[str, str] = {
    ".pdf": FileType.PDF,
    ".jpg": FileType.JPEG,
    ".jpeg": FileType.JPEG,
    ".png": FileType.PNG,
    ".docx": FileType.DOCX,
    ".odt": FileType.ODT,
    ".txt": FileType.TEXT,
}
