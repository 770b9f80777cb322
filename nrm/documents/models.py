"""Documents of a case: the record (what, who, when) and, apart, its encrypted content."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nrm.accounts.models import Organisation
from nrm.core.fields import EncryptedBinaryField, EncryptedTextField
from nrm.core.models import Bound, TimeStamped
from nrm.documents.choices import DocumentKind, FileType


class Document(Bound, TimeStamped):
    """A file uploaded to a case. Title and file name may name the person: encrypted like identity."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = EncryptedTextField()
    filename = EncryptedTextField()
    # The type the content was checked to be (never the client's claim): what a download is served as.
    content_type = models.CharField(max_length=100, choices=FileType.choices)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Document {self.pk}"


class DocumentContent(Bound):
    """The bytes of a document, AES-GCM encrypted and bound to this row.

    A table of its own so that lists, the case page and counts never read a file: only a
    download (and key rotation, backup) touches this row. Deleted with its document.
    """

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="content")
    data = EncryptedBinaryField()

    def __str__(self) -> str:
        return f"Content of document {self.pk}"
