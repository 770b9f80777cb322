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


def test_the_summary_shows_standing_flags_and_episodes_with_notes_for_the_owner_only(client, world):
    from conftest import fresh
    from nrm.cases import services
    from nrm.cases.tests.helpers import move

    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    services.flag_raise(actor=fresh(world["police"]), case=case, reason="security_risk", note="Recruiter called twice")
    lifted = services.flag_raise(actor=fresh(world["police"]), case=case, reason="urgent_medical")
    services.flag_lift(actor=fresh(world["police"]), flag=lifted)
    police = fresh(world["police"])
    where = {"country": "DE", "place": "Stuttgart"}
    services.episode_add(actor=police, case=case, form="labour", notes="Kept the passport", **where)

    client.force_login(world["police"])
    owner = _text(client.get(f"/cases/{case.pk}/summary.pdf").content)
    assert "Security risk" in owner and "Recruiter called twice" in owner
    assert "Urgent medical need" not in owner  # lifted: history on the case page, not a warning here
    assert "Stuttgart" in owner and "Kept the passport" in owner

    client.force_login(world["ngo"])
    receiver = _text(client.get(f"/cases/{case.pk}/summary.pdf").content)
    assert "Security risk" in receiver and "Stuttgart" in receiver
    assert "Kept the passport" not in receiver  # an episode's notes are the owner's


def test_a_childs_summary_shows_the_guardian_to_who_may_see_identity_only(client, world):
    """The child's records come from ``nrm.children``, registered beside the case (``register_case_extras``)."""
    from nrm.cases.tests.helpers import GUARDIAN, move, open_child_case

    case = open_child_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], case, "ngo-sigurna", shares_identity=False), ReferralStatus.ACCEPTED)

    client.force_login(world["police"])
    owner = _text(client.get(f"/cases/{case.pk}/summary.pdf").content)
    assert "Child protection" in owner and GUARDIAN in owner
    client.force_login(world["ngo"])
    receiver = _text(client.get(f"/cases/{case.pk}/summary.pdf").content)
    assert "Child protection" in receiver and GUARDIAN not in receiver
