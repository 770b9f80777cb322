"""The case summary PDF: a real PDF, identity only for who may see it, audited as a disclosure, 404 outside."""

from __future__ import annotations

from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import IDENTITY, member, open_case, refer, share
from nrm.referrals.choices import ReferralStatus


def _text(pdf: bytes) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        return ""
    import io

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_summary_is_a_pdf_with_identity_only_for_who_may_see_it(client, world):
    from nrm.cases.tests.helpers import move

    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna", shares_identity=False)
    receiver = member("s-ngo", "ngo-sigurna", Role.CASEWORKER)
    move(receiver, referral, ReferralStatus.ACCEPTED)

    client.force_login(world["police"])
    assert f"/cases/{case.pk}/summary.pdf" in client.get(f"/cases/{case.pk}/").content.decode()
    owner = client.get(f"/cases/{case.pk}/summary.pdf")
    assert owner.status_code == 200 and owner["Content-Type"] == "application/pdf"
    assert owner.content.startswith(b"%PDF")
    if text := _text(owner.content):
        assert IDENTITY["family_name"] in text

    client.force_login(receiver)
    blind = client.get(f"/cases/{case.pk}/summary.pdf")
    assert blind.status_code == 200 and blind.content.startswith(b"%PDF")
    # WeasyPrint compresses text streams: without a PDF reader, the name's bytes cannot appear raw either way.
    assert IDENTITY["family_name"].encode() not in blind.content
    if text := _text(blind.content):
        assert IDENTITY["family_name"] not in text and case.reference in text
    rows = AuditEntry.objects.filter(action="case.summary", object_id=str(case.pk)).order_by("id")
    assert [r.detail["identity"] for r in rows] == [True, False]
    assert all(r.reason == "disclosure" for r in rows)

    client.force_login(world["ngo2"])
    assert client.get(f"/cases/{case.pk}/summary.pdf").status_code == 404
    assert AuditEntry.objects.filter(action="case.view", object_id=str(case.pk), outcome="denied").exists()
