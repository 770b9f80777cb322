"""Upload through the service: encrypted at rest, checked, audited; erased by retention; re-encrypted by rotation."""

from __future__ import annotations

import base64
import datetime as dt
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.models import Case
from nrm.cases.retention import retention_apply
from nrm.cases.tests.helpers import denials, open_case
from nrm.core import crypto
from nrm.core.errors import Conflict, NotFound
from nrm.documents import selectors
from nrm.documents.models import Document, DocumentContent
from nrm.documents.tests.helpers import (
    DOCX,
    EXE,
    FILENAME,
    HTML,
    JPEG,
    ODT,
    PDF,
    PDF_SECRET,
    PNG,
    TEXT,
    TITLE,
    XLSX,
    upload,
)


@pytest.fixture
def case(world):
    return open_case(world["ngo"], "ngo-sigurna")


def raw(table: str, column: str, pk_column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])
        return cursor.fetchone()[0]


def test_a_document_is_stored_encrypted_and_reads_back(world, case):
    document = upload(world["ngo"], case)
    stored = bytes(raw("documents_documentcontent", "data", "document_id", document.pk))
    assert stored.startswith(crypto.bytes_header())
    assert PDF_SECRET.encode() not in stored and PDF not in stored
    for column in ("title", "filename"):
        token = raw("documents_document", column, "id", document.pk)
        assert token.startswith("v2:") and "Zorkana" not in token
    assert (document.size, document.content_type, document.kind) == (len(PDF), "application/pdf", "statement")
    got, data = selectors.document_read(fresh(world["ngo"]), case.pk, document.pk)
    assert data == PDF and got.title == TITLE and got.filename == FILENAME


def test_the_content_is_bound_to_its_row(world, case):
    """A file's ciphertext copied into another document's row does not decrypt there."""
    first, second = upload(world["ngo"], case), upload(world["ngo"], case, name="b.txt", data=TEXT, content_type="")
    DocumentContent.objects.filter(pk=second.pk).update(data=DocumentContent.objects.get(pk=first.pk).data)
    with pytest.raises(crypto.DecryptionError):
        selectors.document_read(fresh(world["ngo"]), case.pk, second.pk)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("scan.pdf", PDF, "application/pdf"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "application/octet-stream"),
        ("passport.png", PNG, "image/png"),
        ("statement.docx", DOCX, ""),
        ("statement.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("notes.txt", TEXT, "text/plain; charset=utf-8"),
    ],
)
def test_every_accepted_type_uploads(world, case, name, data, content_type):
    document = upload(world["ngo"], case, name=name, data=data, content_type=content_type)
    assert document.size == len(data)


def error_of(excinfo) -> dict:
    return excinfo.value.message_dict


@pytest.mark.parametrize(
    ("file_kwargs", "field", "words"),
    [
        ({"name": "tool.exe", "data": EXE}, "file", "not accepted"),
        ({"name": "table.xlsx", "data": XLSX}, "file", "not accepted"),
        ({"name": "page.html", "data": HTML}, "file", "not accepted"),
        ({"name": "scan.pdf", "data": EXE}, "file", "none of the accepted types"),  # a program renamed
        ({"name": "scan.pdf", "data": HTML}, "file", "Plain text"),  # a page renamed
        ({"name": "statement.docx", "data": XLSX}, "file", "is not DOCX"),  # a spreadsheet renamed
        ({"name": "photo.png", "data": JPEG, "content_type": "image/png"}, "file", "looks like JPEG"),
        ({"name": "photo.png", "data": PNG, "content_type": "image/jpeg"}, "file", "sent as JPEG"),
        ({"name": "empty.txt", "data": b"", "content_type": "text/plain"}, "file", "empty"),
    ],
)
def test_a_bad_file_is_refused_naming_the_field(world, case, file_kwargs, field, words):
    with pytest.raises(ValidationError) as excinfo:
        upload(world["ngo"], case, **{"content_type": "", **file_kwargs})
    assert words in " ".join(error_of(excinfo)[field])
    assert not Document.objects.exists() and not DocumentContent.objects.exists()


def test_a_file_over_the_limit_is_refused(world, case, settings):
    settings.NRM_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError) as excinfo:
        upload(world["ngo"], case, data=big)
    assert error_of(excinfo)["file"] == ["The file is 1.0 MB; the largest accepted is 1.0 MB."]
    just = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    assert upload(world["ngo"], case, data=just).size == 1024 * 1024


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": ""}, "title"), ({"title": "   "}, "title"), ({"title": "x" * 201}, "title"), ({"kind": ""}, "kind")],
)
def test_title_and_kind_are_required(world, case, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        upload(world["ngo"], case, **fields)
    assert field in error_of(excinfo)


def test_a_missing_file_is_named(world, case):
    from nrm.documents import services

    with pytest.raises(ValidationError) as excinfo:
        services.document_upload(actor=fresh(world["ngo"]), case=case, upload=None, title=TITLE, kind="legal")
    assert error_of(excinfo) == {"file": ["Choose a file to upload."]}


def test_only_the_owner_uploads_and_a_refusal_is_audited(world, case):
    from nrm.cases.tests.helpers import move, refer, share
    from nrm.referrals.choices import ReferralStatus

    share(world["ngo"], case, "centre")
    move(world["centre"], refer(world["ngo"], case, "centre", shares_documents=True), ReferralStatus.ACCEPTED)
    for who in ("centre", "ngo2", "analyst"):
        with pytest.raises(NotFound):
            upload(world[who], case)
    assert not Document.objects.exists()
    refused = denials(action="document.upload", object_id=str(case.pk))
    assert sorted(e.actor for e in refused) == ["analyst", "centre", "ngo2"]


def test_a_closed_case_takes_no_documents(world, case):
    ngo = fresh(world["ngo"])
    case = case_services.case_close(actor=ngo, case=case, expected_version=case.version, reason="declined")
    with pytest.raises(Conflict):
        upload(world["ngo"], case)


def test_upload_and_download_are_audited(world, case):
    document = upload(world["ngo"], case)
    uploaded = AuditEntry.objects.get(action="document.upload")
    assert (uploaded.actor, uploaded.object_type, uploaded.object_id) == ("ngo", "case", str(case.pk))
    assert uploaded.detail == {
        "document": document.pk,
        "kind": "statement",
        "type": "application/pdf",
        "size": len(PDF),
    }
    selectors.document_read(fresh(world["ngo"]), case.pk, document.pk, reason="web")
    downloaded = AuditEntry.objects.get(action="document.download")
    assert (downloaded.actor, downloaded.outcome, downloaded.reason) == ("ngo", "allowed", "web")
    assert downloaded.detail == {"document": document.pk, "size": len(PDF)}
    # Another case's id with this document's: a 404, audited as a denial.
    other = open_case(world["ngo"], "ngo-sigurna")
    with pytest.raises(NotFound):
        selectors.document_read(fresh(world["ngo"]), other.pk, document.pk)
    assert denials(action="document.download", object_id=str(document.pk))


def test_retention_erases_the_documents_with_the_identity(world, case):
    upload(world["ngo"], case)
    upload(world["ngo"], case, name="photo.png", data=PNG, content_type="image/png", kind="identity")
    kept = open_case(world["ngo"], "ngo-sigurna")
    upload(world["ngo"], kept)
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=dt.date(2000, 1, 1))
    assert retention_apply() == [case.reference]
    assert not Document.objects.filter(case=case).exists()
    assert DocumentContent.objects.count() == Document.objects.filter(case=kept).count() == 1
    erased = AuditEntry.objects.get(action="case.retention_erase")
    assert erased.detail == {"documents": 2}


def test_rotation_re_encrypts_the_files_and_the_old_key_can_go(world, case, settings):
    document = upload(world["ngo"], case)
    old = settings.NRM_ENCRYPTION_KEYS
    new_key = ("k-new", os.urandom(32))
    settings.NRM_ENCRYPTION_KEYS = [new_key, *old]
    before = bytes(raw("documents_documentcontent", "data", "document_id", document.pk))
    assert before.startswith(f"v2:{old[0][0]}:".encode())
    call_command("rotate_keys", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))  # noqa: SIM115
    after = bytes(raw("documents_documentcontent", "data", "document_id", document.pk))
    assert after.startswith(b"v2:k-new:") and after != before
    rotated = AuditEntry.objects.get(action="keys.rotate")
    assert rotated.detail["documents.DocumentContent"] == 1
    assert rotated.detail["documents.Document"] == 1  # title and file name
    settings.NRM_ENCRYPTION_KEYS = [new_key]
    got, data = selectors.document_read(fresh(world["ngo"]), case.pk, document.pk)
    assert data == PDF and got.title == TITLE
    # Run again: nothing is stale any more.
    call_command("rotate_keys", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))  # noqa: SIM115
    assert bytes(raw("documents_documentcontent", "data", "document_id", document.pk)) == after


def test_backup_and_restore_carry_the_files(world, case, tmp_path):
    from nrm.core.backup import backup_restore, backup_write

    document = upload(world["ngo"], case)
    stored = bytes(raw("documents_documentcontent", "data", "document_id", document.pk))
    counts = backup_write(tmp_path / "b.nrm")
    assert counts["documents.DocumentContent"] == 1
    assert base64.b64encode(stored) not in (tmp_path / "b.nrm").read_bytes()  # sealed as a whole
    DocumentContent.objects.all().delete()
    Document.objects.all().delete()
    backup_restore(tmp_path / "b.nrm", force=True)
    assert bytes(raw("documents_documentcontent", "data", "document_id", document.pk)) == stored
    _got, data = selectors.document_read(fresh(world["ngo"]), case.pk, document.pk)
    assert data == PDF
