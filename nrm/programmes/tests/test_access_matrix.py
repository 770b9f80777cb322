"""The programme pages and API against the outsiders: anonymous, no role, readers, the wrong role.

Programme data is not personal: anyone with a role in some organisation reads every programme,
so the readers' routes have one outsider, a signed-in user with no role (``nobody``). Only the
National Coordinator's office writes: another organisation (an NGO caseworker, ``other_org``)
and the Coordinator's office's analyst (``wrong_role``) find no form (a 404, audited) and get a
403 from the API (the denial audited by the service); ``nobody`` finds no page (404) and gets a
403 from the API. The shared harness (``tests/matrix.py``) asserts the rest: nothing changed, none
of the scene's texts in a refusal, a read changes nothing and a write changes something.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from conftest import fresh
from nrm.accounts.models import User
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import org
from nrm.programmes import services
from tests.matrix import AREA, OBJECT, PROBLEM, Route, Scene, check_right_role, client_for, matrix_tests, request

TITLE = "Programme Quillfeather for the matrix"
INDICATOR = "Quillfeather sessions held"


def build_scene(world) -> Scene:
    """Return one programme of the Coordinator's office with an output and an indicator."""
    boss = fresh(world["coordinator"])
    programme = services.programme_create(
        actor=boss,
        code="matrix-quillfeather",
        title=TITLE,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
        budget_amount=Decimal(50000),
        budget_currency="EUR",
    )
    services.output_add(actor=boss, programme=programme, number="1", title="Trainings")
    indicator = services.indicator_add(
        actor=boss, programme=programme, code="quill-sessions", name=INDICATOR, unit="sessions"
    )
    programme.refresh_from_db()
    indicator.refresh_from_db()
    nobody, _created = User.objects.get_or_create(username="matrix-nobody")
    return Scene(
        users={
            **world,
            "other_org": world["ngo"],
            "wrong_role": world["analyst"],
            "nobody": nobody,
        },
        ids={
            "programme": programme,
            "programme_version": programme.version,
            "indicator": indicator,
            "indicator_version": indicator.version,
            "partner_org": org("ngo-most"),
        },
        secrets=[TITLE, INDICATOR],
    )


READERS_ONLY = ("nobody",)  # every role reads programmes: a user with no role is the outsider
WRITE_OUTSIDERS = ("other_org", "wrong_role")
P = "/programmes/{programme}/"
IND = P + "indicators/{indicator}/"
API = "/api/v1/programmes/"
API_P = API + "{programme}/"

# The pages that write, with a form the Coordinator's office posts (GET shows the form).
FORMS = [
    ("/programmes/new/", {"code": "matrix-new", "title": "New one"}),
    (P + "edit/", {"title": "Changed", "version": "{programme_version}"}),
    (P + "funding/new/", {"donor": "European Union", "amount": "10", "currency": "EUR"}),
    (P + "partners/new/", {"organisation": "{partner_org}", "role": "implementing"}),
    (P + "indicators/new/", {"code": "matrix-x", "name": "X", "unit": "people"}),
    (IND + "targets/", {"baseline": "0", "target": "5000", "version": "{indicator_version}"}),
    (IND + "values/new/", {"period_start": "2025-01-01", "period_end": "2025-03-31", "value": "7"}),
    (P + "documents/new/", {"title": "New doc", "reference": "https://example.org/doc.pdf"}),
]
WRITE_PAGES = [
    route
    for path, form in FORMS
    for route in (
        Route("get", path, "coordinator", outsiders=WRITE_OUTSIDERS),
        Route("post", path, "coordinator", 302, data=form, outsiders=WRITE_OUTSIDERS),
    )
]
API_WRITES = [
    (API, {"code": "api-made", "title": "Made by the API", "budget_amount": "10", "budget_currency": "EUR"}),
    (API_P + "funding/", {"donor": "European Union", "amount": "1000", "currency": "EUR"}),
    (API_P + "documents/", {"title": "Evaluation", "reference": "https://example.org/eval.pdf"}),
    (API_P + "indicators/", {"code": "hotline-calls", "name": "Calls", "unit": "calls", "output": "1"}),
    (
        API_P + "values/",
        {"indicator": "{indicator}", "period_start": "2025-01-01", "period_end": "2025-06-30", "value": "120"},
    ),
]

ROUTES = [
    # Pages every role reads: a user with no role finds none (a 404 of the area, not audited).
    Route("get", "/programmes/", "ngo", kind=AREA, outsiders=READERS_ONLY),
    Route("get", "/programmes/export.csv", "ngo", kind=AREA, outsiders=READERS_ONLY),
    *(
        Route("get", P + suffix, "ngo", kind=OBJECT, outsiders=READERS_ONLY, audited=False)
        for suffix in ("", "iati.xml", "values.csv", "values.xlsx")
    ),
    *WRITE_PAGES,
    # The API: a user with no role is refused by the permission (403), for every programme alike.
    Route("get", API, "ngo", outsiders=READERS_ONLY, refused=403),
    *(
        Route("get", API_P + suffix, "analyst", outsiders=READERS_ONLY, refused=403)
        for suffix in ("", "iati/", "iati-xml/")
    ),
    *(
        Route("post", path, "coordinator", 201, data=body, outsiders=(*WRITE_OUTSIDERS, "nobody"), refused=403)
        for path, body in API_WRITES
    ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)

# A user with no role at a write page is stopped by the readers' gate first: a 404 of the area,
# not audited (the harness audits per route, so these outsiders run as a matrix of their own).
_anonymous, test_no_role_at_write_pages, _right_role = matrix_tests(
    replace(r, outsiders=READERS_ONLY, audited=False, name=f"{r.id} (no role)") for r in WRITE_PAGES
)

DENIAL_ACTIONS = {
    API: "programmes.programme_create",
    API_P + "funding/": "programmes.funding_line_add",
    API_P + "documents/": "programmes.document_add",
    API_P + "indicators/": "programmes.indicator_add",
    API_P + "values/": "programmes.indicator_value_record",
}
READS = [r for r in ROUTES if r.method == "get" and r.outsiders == READERS_ONLY]
API_WRITE_ROUTES = [r for r in ROUTES if r.api and r.method == "post"]


@pytest.mark.parametrize("who", ["analyst", "police", "centre", "ngo2", "coordinator", "admin"])
def test_every_role_reads_every_page_and_export(scene, who):
    """Programmes are not personal: whoever holds a role reads them, as the matrix's reader does."""
    for route in READS:
        check_right_role(scene, replace(route, right=who))


@pytest.mark.parametrize("route", API_WRITE_ROUTES, ids=[r.id for r in API_WRITE_ROUTES])
@pytest.mark.parametrize("who", ["other_org", "wrong_role", "nobody"])
def test_api_refusals_are_problems_and_a_readers_attempt_is_audited(scene, route, who):
    """The harness checks a 403's status; here its shape, and that a reader's attempt is a denial on record."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = request(scene, route, scene.users[who])
    assert response.status_code == 403
    assert response["Content-Type"].startswith(PROBLEM)
    written = set(AuditEntry.objects.filter(id__gt=start).values_list("actor", "outcome"))
    if who == "nobody":
        assert written == set()  # stopped by the permission, before any service
    else:
        assert written == {(scene.users[who].username, AuditEntry.Outcome.DENIED)}
        denial = AuditEntry.objects.filter(id__gt=start).get()
        assert denial.action == DENIAL_ACTIONS[route.path]


def test_a_readers_attempt_at_a_form_is_a_denial_named_after_the_page(scene):
    programme = scene.ids["programme"]
    response = client_for(READS[0], scene.users["ngo"]).post(f"/programmes/{programme.pk}/funding/new/", {})
    assert response.status_code == 404
    denial = AuditEntry.objects.order_by("-id").first()
    assert (denial.action, denial.object_id, denial.outcome) == (
        "programmes.funding_new",
        str(programme.pk),
        AuditEntry.Outcome.DENIED,
    )


def test_readers_see_no_write_links(scene):
    """A reader's programme page offers none of the forms the Coordinator's office uses."""
    programme = scene.ids["programme"]
    for who in ("ngo", "analyst"):
        client = client_for(READS[0], scene.users[who])
        page = client.get(f"/programmes/{programme.pk}/").content.decode()
        assert TITLE in page
        assert "/funding/new/" not in page and "/edit/" not in page
    client = client_for(READS[0], scene.users["coordinator"])
    assert f"/programmes/{programme.pk}/funding/new/" in client.get(f"/programmes/{programme.pk}/").content.decode()
