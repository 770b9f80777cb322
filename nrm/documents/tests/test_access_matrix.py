"""The documents' routes against the outsiders, with the shared harness (``tests/matrix.py``).

The case is owned by the NGO shelter in Belgrade (``ngo``) and holds one document. The Centre
accepted a referral that does not share documents: it may list them (it sees the case) but not
download them or read their titles. The Centre for Social Work accepted one that does: it
downloads (``test_a_sharing_receiver_downloads``). Another organisation, the owner's reporter,
the roles without case access and receivers without an accepted referral get the answer a
missing record gets, an audited denial, and nothing changes.
"""

from __future__ import annotations

import pytest

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import IDENTITY, member, move, open_case, refer, share
from nrm.documents.tests.helpers import FILENAME, PDF, PDF_SECRET, TEXT, TITLE, upload
from nrm.referrals.choices import ReferralStatus
from tests.matrix import Route, Scene, matrix_tests, send

NO_CASE_ROLES = ("coordinator", "analyst", "admin")
# Refused the case itself, so its documents too.
CASE_OUTSIDERS = ("other_org", "wrong_role", *NO_CASE_ROLES)
# Refused a document's title and content: also whoever sees the case without the documents.
FILE_OUTSIDERS = (*CASE_OUTSIDERS, "centre", "suspended_receiver")
UPLOAD = {"file": ("statement.txt", TEXT, "text/plain"), "title": "Second statement", "kind": "statement"}


def build_scene(world) -> Scene:
    ngo = world["ngo"]
    case = open_case(ngo, "ngo-sigurna")
    share(ngo, case, "centre")
    move(world["centre"], refer(ngo, case, "centre"), ReferralStatus.ACCEPTED)
    share(ngo, case, "csr-bg")
    move(world["socialwork"], refer(ngo, case, "csr-bg", shares_documents=True), ReferralStatus.ACCEPTED)
    # A receiver whose sharing referral was suspended by a withdrawal of consent sees nothing more.
    police_caseworker = member("pu-caseworker", "pu-bg", Role.CASEWORKER)
    consent = share(ngo, case, "pu-bg")
    move(police_caseworker, refer(ngo, case, "pu-bg", shares_documents=True), ReferralStatus.ACCEPTED)
    from nrm.cases import services as case_services

    case_services.consent_withdraw(actor=fresh(ngo), consent=consent)
    document = upload(ngo, case)
    return Scene(
        users={
            **world,
            "other_org": world["ngo2"],
            "wrong_role": member("sigurna-reporter", "ngo-sigurna", Role.REPORTER),
            "suspended_receiver": police_caseworker,
        },
        ids={"case": case, "document": document},
        secrets=[TITLE, FILENAME, PDF_SECRET, *IDENTITY.values()],
    )


LIST = "/api/v1/cases/{case}/documents/"
DOWNLOAD = "/api/v1/cases/{case}/documents/{document}/download/"
PAGE_NEW = "/cases/{case}/documents/new/"
PAGE_DOWNLOAD = "/cases/{case}/documents/{document}/download/"

ROUTES = [
    Route("get", LIST, "ngo", outsiders=(*CASE_OUTSIDERS, "suspended_receiver")),
    Route("post", LIST, "ngo", 201, data=UPLOAD, outsiders=(*FILE_OUTSIDERS, "socialwork")),
    Route("get", DOWNLOAD, "ngo", outsiders=FILE_OUTSIDERS),
    Route("get", PAGE_NEW, "ngo", outsiders=(*FILE_OUTSIDERS, "socialwork")),
    Route("post", PAGE_NEW, "ngo", 302, data=UPLOAD, outsiders=(*FILE_OUTSIDERS, "socialwork")),
    Route("get", PAGE_DOWNLOAD, "ngo", outsiders=FILE_OUTSIDERS),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


@pytest.mark.parametrize("path", [DOWNLOAD, PAGE_DOWNLOAD])
def test_a_sharing_receiver_downloads(scene, path):
    response = send(scene, ROUTES, "get", path, "socialwork")
    assert response.status_code == 200
    assert response.content == PDF


def test_a_receiver_without_sharing_lists_without_titles(scene):
    response = send(scene, ROUTES, "get", LIST, "centre")
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert (item["title"], item["filename"], item["may_download"], item["download"]) == (None, None, False, None)
    assert item["kind"] == "statement" and item["size"] == len(PDF)
    shared = send(scene, ROUTES, "get", LIST, "socialwork").json()["results"][0]
    assert (shared["title"], shared["may_download"]) == (TITLE, True)
