"""Documents through the API and the pages: upload, list on the case, download; bad input named by field."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, move, open_case, refer, share
from nrm.documents.models import Document
from nrm.documents.tests.helpers import EXE, JPEG, PDF, PNG, TEXT, TITLE, upload
from nrm.referrals.choices import ReferralStatus


@pytest.fixture
def case(world):
    return open_case(world["ngo"], "ngo-sigurna")


def post_api(user, case, **fields):
    return api(user).post(f"/api/v1/cases/{case.pk}/documents/", fields, format="multipart")


def test_api_upload_list_and_download(world, case):
    response = post_api(
        world["ngo"], case, file=SimpleUploadedFile("photo.jpg", JPEG, "image/jpeg"), title="Passport", kind="identity"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["filename"], body["content_type"], body["size"]) == (
        "Passport",
        "photo.jpg",
        "image/jpeg",
        len(JPEG),
    )
    listed = api(world["ngo"]).get(f"/api/v1/cases/{case.pk}/documents/").json()
    assert listed["count"] == 1 and listed["results"][0]["download"] == body["download"]
    got = api(world["ngo"]).get(body["download"])
    assert got.status_code == 200 and got.content == JPEG
    assert got["Content-Type"] == "image/jpeg"
    assert got["Content-Disposition"] == 'attachment; filename="photo.jpg"'
    assert got["Cache-Control"] == "no-store, private"
    actions = list(AuditEntry.objects.filter(object_id=str(case.pk)).values_list("action", flat=True))
    assert {"document.upload", "document.list", "document.download"} <= set(actions)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "T", "kind": "legal"}, "file"),
        ({"file": ("scan.pdf", EXE, "application/pdf"), "title": "T", "kind": "legal"}, "file"),
        ({"file": ("scan.exe", EXE, "application/octet-stream"), "title": "T", "kind": "legal"}, "file"),
        ({"file": ("scan.pdf", PDF, "application/pdf"), "kind": "legal"}, "title"),
        ({"file": ("scan.pdf", PDF, "application/pdf"), "title": "T"}, "kind"),
        ({"file": ("scan.pdf", PDF, "application/pdf"), "title": "T", "kind": "novel"}, "kind"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(world, case, fields, field):
    fields = {k: SimpleUploadedFile(*v) if isinstance(v, tuple) else v for k, v in fields.items()}
    response = post_api(world["ngo"], case, **fields)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert not Document.objects.exists()


def test_api_too_large(world, case, settings):
    settings.NRM_DOCUMENT_MAX_BYTES = 2048
    big = SimpleUploadedFile("big.txt", b"a" * 4096, "text/plain")
    response = post_api(world["ngo"], case, file=big, title="T", kind="other")
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["The file is 0.0 MB; the largest accepted is 0.0 MB."]


def test_the_case_page_lists_documents_and_links_the_download(client, world, case):
    document = upload(world["ngo"], case, name="id.png", data=PNG, content_type="image/png", kind="identity")
    client.force_login(world["ngo"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "data-documents" in page and TITLE in page
    link = f"/cases/{case.pk}/documents/{document.pk}/download/"
    assert link in page and f"/cases/{case.pk}/documents/new/" in page
    response = client.get(link)
    assert response.status_code == 200 and response.content == PNG


def test_a_receiver_without_sharing_sees_that_documents_exist_not_what_they_are(client, world, case):
    share(world["ngo"], case, "centre")
    move(world["centre"], refer(world["ngo"], case, "centre"), ReferralStatus.ACCEPTED)
    document = upload(world["ngo"], case)
    client.force_login(world["centre"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Not shared with your organisation" in page and TITLE not in page
    assert f"/documents/{document.pk}/download/" not in page and "/documents/new/" not in page
    assert client.get(f"/cases/{case.pk}/documents/{document.pk}/download/").status_code == 404


def test_page_upload_and_its_errors(client, world, case):
    client.force_login(world["ngo"])
    url = f"/cases/{case.pk}/documents/new/"
    form = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="file"' in form
    bad = client.post(url, {"file": SimpleUploadedFile("scan.pdf", TEXT, "application/pdf"), "title": "", "kind": ""})
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert set(errors) == {"title", "kind"}  # the form's own checks first
    renamed = SimpleUploadedFile("scan.pdf", TEXT, "application/pdf")
    wrong = client.post(url, {"file": renamed, "title": "T", "kind": "legal"})
    assert wrong.status_code == 200
    assert "is not PDF" in " ".join(wrong.context["form"].errors["file"])
    good = client.post(url, {"file": SimpleUploadedFile("note.txt", TEXT, "text/plain"), "title": "T", "kind": "legal"})
    assert good.status_code == 302 and good["Location"] == f"/cases/{case.pk}/#h-documents"
    assert Document.objects.get().filename == "note.txt"


def test_the_refer_page_offers_to_share_documents_and_the_service_needs_identity(client, world, case):
    from django.core.exceptions import ValidationError

    client.force_login(world["ngo"])
    assert 'name="shares_documents"' in client.get(f"/cases/{case.pk}/refer/").content.decode()
    share(world["ngo"], case, "centre")
    with pytest.raises(ValidationError) as excinfo:
        refer(world["ngo"], case, "centre", shares_identity=False, shares_documents=True)
    assert "shares_documents" in excinfo.value.message_dict
