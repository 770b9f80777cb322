"""Small files of every accepted type (and some that only pretend to be), for the documents tests."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from nrm.accounts.models import User
from nrm.cases.models import Case
from nrm.documents import services
from nrm.documents.models import Document

# Invented and unlike anything else in a response, so that a leak is a plain substring.
TITLE = "Statement of Zorkana to the police"
FILENAME = "izjava-zorkana.pdf"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% statement text: recruiter Qvistovic-Dragan\n%%EOF\n"
PDF_SECRET = "recruiter Qvistovic-Dragan"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
TEXT = "Izjava: radila sam u Novom Sadu, plata nije isplaćena.\n".encode()


def zip_bytes(entries: list[tuple[str, bytes]], *, first_stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if first_stored and i == 0 else None)
    return buffer.getvalue()


DOCX = zip_bytes(
    [
        (
            "[Content_Types].xml",
            b'<Types><Override PartName="/word/document.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        ),
        ("word/document.xml", b"<w:document/>"),
    ]
)
XLSX = zip_bytes(
    [
        (
            "[Content_Types].xml",
            b'<Types><Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        ),
        ("xl/workbook.xml", b"<workbook/>"),
    ]
)
ODT = zip_bytes(
    [("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office:document-content/>")],
    first_stored=True,
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
HTML = b"<!doctype html><script>alert(1)</script>"


def file(name: str = FILENAME, data: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload(actor: User, case: Case, *, title: str = TITLE, kind: str = "statement", **file_kwargs) -> Document:
    """Upload a document through the service, as the upload page does."""
    from conftest import fresh

    return services.document_upload(actor=fresh(actor), case=case, upload=file(**file_kwargs), title=title, kind=kind)
