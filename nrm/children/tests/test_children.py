"""A child's records: guardian (identity), best-interests assessment and determination, the flag; bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import GUARDIAN, api, member, open_case, open_child_case, org, refer, share
from nrm.children import services
from nrm.children.models import Guardian

DAY = dt.date(2024, 5, 1)


@pytest.fixture
def child(world):
    return open_child_case(world["police"])


def test_the_old_guardian_text_became_a_record(child):
    g = Guardian.objects.get(case=child)
    assert g.name == GUARDIAN and g.ended_on is None


def test_a_new_guardian_ends_the_current_one_and_is_audited(world, child):
    cw = member("c-cw", "pu-bg", Role.CASEWORKER)
    first = services.guardian_appoint(
        actor=fresh(cw),
        case=child,
        name="Ana",
        contact="+381 11 000",
        appointing_authority="CSR Beograd",
        appointed_on=DAY,
    )
    with pytest.raises(ValidationError) as e:
        services.guardian_appoint(
            actor=fresh(cw), case=child, name="Bob", appointing_authority="CSR", appointed_on=DAY - dt.timedelta(days=1)
        )
    assert "appointed_on" in e.value.message_dict
    services.guardian_appoint(actor=fresh(cw), case=child, name="Bob", appointing_authority="CSR", appointed_on=DAY)
    first.refresh_from_db()
    assert first.ended_on == DAY
    assert AuditEntry.objects.filter(action="child.guardian", object_id=str(child.pk)).count() == 2


def test_bad_input_names_the_field(world):
    cw = member("c-cw", "pu-bg", Role.CASEWORKER)
    child = open_child_case(world["police"])
    adult = open_case(world["police"])
    a = services.assessment_record(
        actor=fresh(cw), case=child, assessed_by="Panel", assessed_on=DAY, options_weighed="A or B"
    )
    cases = [
        ({"assessment": None, "determined_on": DAY, "review_on": DAY + dt.timedelta(days=30)}, "assessment"),
        (
            {"assessment": a.pk, "determined_on": DAY - dt.timedelta(days=1), "review_on": DAY + dt.timedelta(days=30)},
            "determined_on",
        ),
        ({"assessment": a.pk, "determined_on": DAY, "review_on": DAY - dt.timedelta(days=1)}, "review_on"),
        ({"assessment": a.pk, "determined_on": DAY, "review_on": DAY}, "review_on"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as e:
            services.determination_record(actor=fresh(cw), case=child, determined_by="Panel", decision="B", **kwargs)
        assert field in e.value.message_dict, kwargs
    with pytest.raises(ValidationError) as e:
        services.assessment_record(
            actor=fresh(cw), case=child, assessed_by="P", assessed_on=dt.date(2999, 1, 1), options_weighed="x"
        )
    assert "assessed_on" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.assessment_record(actor=fresh(cw), case=adult, assessed_by="P", assessed_on=DAY, options_weighed="x")
    assert "case" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.child_status_set(actor=fresh(world["police"]), case=child, child_status="lost")
    assert "child_status" in e.value.message_dict


def test_the_api_hides_the_guardian_from_a_receiver_without_identity(world, child):
    cw = member("c-cw", "pu-bg", Role.CASEWORKER)
    share(world["police"], child, "ngo-sigurna")
    from nrm.cases.tests.helpers import move
    from nrm.referrals.choices import ReferralStatus

    referral = refer(world["police"], child, "ngo-sigurna", shares_identity=False)
    receiver = member("c-ngo", "ngo-sigurna", Role.CASEWORKER)
    move(receiver, referral, ReferralStatus.ACCEPTED)
    owner = api(cw).get(f"/api/v1/cases/{child.pk}/child/").json()
    assert owner["guardians"][0]["name"] == GUARDIAN
    seen = api(receiver).get(f"/api/v1/cases/{child.pk}/child/")
    assert seen.status_code == 200 and GUARDIAN not in seen.content.decode()
    assert api(world["ngo2"]).get(f"/api/v1/cases/{child.pk}/child/").status_code == 404
    bad = api(cw).post(
        f"/api/v1/cases/{child.pk}/best-interests/determinations/",
        {"determined_by": "P", "determined_on": "2024-05-01", "decision": "x", "review_on": "2024-06-01"},
        format="json",
    )
    assert bad.status_code == 400 and "assessment" in bad.content.decode()
    ok = api(cw).put(f"/api/v1/cases/{child.pk}/child/status/", {"child_status": "unaccompanied"}, format="json")
    assert ok.status_code == 200 and ok.json()["child_status"] == "unaccompanied"
    assert org("pu-bg").pk == child.owner_id


def test_retention_erases_the_childs_identifying_texts_and_keeps_dates_and_authorities(world, child):
    """The child's records are erased with the case's identity (registered with ``nrm.cases.retention``)."""
    from nrm.cases import services as case_services
    from nrm.cases.retention import ERASED, retention_apply
    from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination

    cw = member("c-cw", "pu-bg", Role.CASEWORKER)
    services.guardian_appoint(
        actor=fresh(cw), case=child, name="Ana", contact="+381 11 000", appointing_authority="CSR", appointed_on=DAY
    )
    assessment = services.assessment_record(
        actor=fresh(cw), case=child, assessed_by="CSR team", assessed_on=DAY, options_weighed="Back to the aunt"
    )
    services.determination_record(
        actor=fresh(cw),
        case=child,
        assessment=assessment,
        determined_by="CSR",
        determined_on=DAY,
        decision="Stays with the aunt",
        review_on=DAY + dt.timedelta(days=90),
    )
    child.refresh_from_db()
    case_services.case_close(
        actor=fresh(cw), case=child, reason="reintegrated", expected_version=child.version, closed_on=DAY
    )
    assert retention_apply(on=dt.date(2040, 1, 1)) == [child.reference]

    guardians = list(Guardian.objects.filter(case=child).order_by("pk"))
    assert [(g.name, g.contact) for g in guardians] == [(ERASED, "")] * len(guardians) and len(guardians) == 2
    assert guardians[-1].appointing_authority == "CSR" and guardians[-1].appointed_on == DAY
    kept = BestInterestsAssessment.objects.get(case=child)
    assert (kept.options_weighed, kept.assessed_by, kept.assessed_on) == (ERASED, "CSR team", DAY)
    determination = BestInterestsDetermination.objects.get(case=child)
    assert (determination.decision, determination.determined_on) == (ERASED, DAY)
