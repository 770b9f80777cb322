"""The justice write forms: bad input named on its field, and each success path.

Who may use each form, and what every outsider gets (sign-in, or a 404 that changes nothing and
is audited), is the access matrix's (``test_access_matrix.py``); the prosecutor a proceeding was
shared with edits it but cannot share it again.
"""

from __future__ import annotations

import pytest
from django.test import Client

from nrm.cases.tests.helpers import org
from nrm.justice.models import Charge, Defendant, Proceeding, ProceedingShare, ProceedingVictim, Verdict
from nrm.justice.tests.helpers import state


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def forms(proceeding_scene) -> dict[str, tuple[str, dict]]:
    """Return each form's path and a valid submission, on the proceeding_scene's proceeding."""
    p = proceeding_scene.proceeding
    return {
        "open": ("/justice/new/", {"organisation": org("pu-bg").pk, "reference": "KTO 99/25", "cases": ""}),
        "advance": (f"/justice/{p.pk}/advance/", {"stage": "final_verdict", "on": "2025-06-02", "version": p.version}),
        "defendant": (
            f"/justice/{p.pk}/defendants/new/",
            {"name": "Borivoje Qwentik", "sex": "M", "birth_year": "1980", "citizenship": "RS", "offences": ["388"]},
        ),
        "charge": (f"/justice/{p.pk}/charges/new/", {"defendant": proceeding_scene.defendant.pk, "offence": "389"}),
        "verdict": (
            f"/justice/{p.pk}/verdicts/new/",
            {
                "charge": proceeding_scene.charge.pk,
                "instance": "final",
                "outcome": "convicted",
                "decided_on": "2025-06-02",
                "prison_months": "48",
            },
        ),
        "victim": (
            f"/justice/{p.pk}/victims/new/",
            {"case": proceeding_scene.case_c.reference, "role": "witness", "protection_measures": ["video_link"]},
        ),
        "victim-edit": (
            f"/justice/{p.pk}/victims/{proceeding_scene.part_b.pk}/",
            {
                "role": "injured_party",
                "protection_measures": ["closed_hearing"],
                "compensation_currency": "RSD",
                "compensation_claimed": "300000",
                "claimed_on": "2024-11-01",
                "compensation_awarded": "200000",
                "awarded_on": "2025-03-14",
                "version": proceeding_scene.part_b.version,
            },
        ),
        "share": (f"/justice/{p.pk}/share/", {"organisation": org("rjt-ns").pk}),
    }


NAMES = ["open", "advance", "defendant", "charge", "verdict", "victim", "victim-edit", "share"]


def test_the_prosecutor_shared_with_edits_but_does_not_share(proceeding_scene):
    prosecutor = as_user(proceeding_scene.users["prosecutor"])
    path, data = forms(proceeding_scene)["share"]
    before = state()
    assert prosecutor.post(path, data).status_code == 404
    assert state() == before
    path, data = forms(proceeding_scene)["defendant"]
    response = prosecutor.post(path, data)
    assert response.status_code == 302 and response["Location"] == f"/justice/{proceeding_scene.proceeding.pk}/"
    assert proceeding_scene.proceeding.defendants.count() == 2


def test_the_page_offers_the_forms_to_editors_only(proceeding_scene):
    body = as_user(proceeding_scene.users["police"]).get(f"/justice/{proceeding_scene.proceeding.pk}/").content.decode()
    for name in NAMES[1:]:
        assert forms(proceeding_scene)[name][0] in body, name
    shared = (
        as_user(proceeding_scene.users["prosecutor"])
        .get(f"/justice/{proceeding_scene.proceeding.pk}/")
        .content.decode()
    )
    assert forms(proceeding_scene)["advance"][0] in shared and forms(proceeding_scene)["share"][0] not in shared
    assert "/justice/new/" in as_user(proceeding_scene.users["police"]).get("/justice/").content.decode()


@pytest.mark.parametrize("name", NAMES)
def test_each_form_succeeds(proceeding_scene, name):
    path, data = forms(proceeding_scene)[name]
    client = as_user(proceeding_scene.users["police"])
    assert client.get(path).status_code == 200
    response = client.post(path, data, follow=True)
    assert response.status_code == 200, response.content
    assert response.redirect_chain and "justice/" in response.redirect_chain[-1][0]
    assert [str(m) for m in response.context["messages"]]
    p = Proceeding.objects.get(pk=proceeding_scene.proceeding.pk)
    if name == "open":
        opened = Proceeding.objects.get(reference="KTO 99/25")
        assert response.redirect_chain[-1][0] == f"/justice/{opened.pk}/"
        assert opened.owner.code == "pu-bg" and opened.stage == "investigation"
    elif name == "advance":
        assert (p.stage, str(p.final_verdict_on)) == ("final_verdict", "2025-06-02")
    elif name == "defendant":
        added = Defendant.objects.get(proceeding=p, number=2)
        assert added.name == "Borivoje Qwentik" and [c.offence.code for c in added.charges.all()] == ["388"]
        # The identity is stored encrypted: not as plain text in the table.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM justice_defendant WHERE id = %s", [added.pk])
            assert "Qwentik" not in str(cursor.fetchone()[0])
    elif name == "charge":
        assert sorted(
            Charge.objects.filter(defendant=proceeding_scene.defendant).values_list("offence__code", flat=True)
        ) == [
            "388",
            "389",
        ]
    elif name == "verdict":
        verdict = Verdict.objects.get(charge=proceeding_scene.charge, instance="final")
        assert (verdict.outcome, verdict.prison_months, p.stage) == ("convicted", 48, "final_verdict")
    elif name == "victim":
        part = ProceedingVictim.objects.get(proceeding=p, case=proceeding_scene.case_c)
        assert part.role == "witness" and [m.code for m in part.protection_measures.all()] == ["video_link"]
    elif name == "victim-edit":
        part = ProceedingVictim.objects.get(pk=proceeding_scene.part_b.pk)
        assert (part.role, str(part.compensation_awarded), part.version) == ("injured_party", "200000.00", 2)
        assert [m.code for m in part.protection_measures.all()] == ["closed_hearing"]
    elif name == "share":
        assert ProceedingShare.objects.filter(proceeding=p, organisation__code="rjt-ns").exists()


BAD = [
    ("open", {"reference": ""}, "reference"),
    ("open", {"cases": "NO-SUCH-CASE"}, "cases"),
    ("open", {"investigation_on": "2999-01-01"}, "investigation_on"),
    ("advance", {"on": "2020-01-01"}, "on"),
    ("defendant", {"name": "   "}, "name"),
    ("defendant", {"birth_year": "1700"}, "birth_year"),
    ("defendant", {"citizenship": "R1"}, "citizenship"),
    ("verdict", {"fine_currency": "EU1", "fine_amount": "100"}, "fine_currency"),
    ("charge", {"offence": "388"}, "offence"),
    ("verdict", {"outcome": "acquitted", "prison_months": "12"}, "prison_months"),
    ("verdict", {"decided_on": "2024-01-01"}, "decided_on"),
    ("victim", {"case": "NO-SUCH-CASE"}, "case"),
    ("victim-edit", {"compensation_paid": "999999", "paid_on": "2025-04-01"}, "compensation_paid"),
    ("victim-edit", {"awarded_on": ""}, "awarded_on"),
    ("share", {"organisation": "999999"}, "organisation"),
]


@pytest.mark.parametrize(("name", "change", "field"), BAD)
def test_bad_input_names_the_field_and_stores_nothing(proceeding_scene, name, change, field):
    path, data = forms(proceeding_scene)[name]
    before = state()
    response = as_user(proceeding_scene.users["police"]).post(path, {**data, **change})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    # The input is kept on the page.
    for key, value in change.items():
        if value and key not in ("organisation",):
            assert str(value) in response.content.decode()
    assert state() == before


def test_a_case_the_user_may_not_see_is_no_such_case(proceeding_scene):
    # The NGO's own case exists, but the police cannot see it: refused exactly like a missing one.
    from nrm.cases.tests.helpers import open_case

    hidden = open_case(proceeding_scene.users["ngo"], "ngo-sigurna")
    path, data = forms(proceeding_scene)["victim"]
    before = state()
    response = as_user(proceeding_scene.users["police"]).post(path, {**data, "case": hidden.reference})
    assert response.context["form"].errors["case"] == ["No such case."]
    assert state() == before


def test_a_stale_edit_is_a_conflict_and_keeps_the_input(proceeding_scene):
    path, data = forms(proceeding_scene)["victim-edit"]
    client = as_user(proceeding_scene.users["police"])
    assert client.post(path, data).status_code == 302
    before = state()
    response = client.post(path, {**data, "compensation_claimed": "310000"})  # the old version
    assert response.status_code == 409
    assert response.context["form"].non_field_errors()
    assert "310000" in response.content.decode()
    assert state() == before
    path, data = forms(proceeding_scene)["advance"]
    stale = client.post(path, {**data, "version": 1})
    assert stale.status_code == 409 and state() == before
