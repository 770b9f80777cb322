"""Case pages: list, export, open, the case page and its actions."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import fresh
from nrm.cases import access as case_access
from nrm.cases import services as case_services
from nrm.cases.models import Case, CaseNote, Consent, Identification, Person, Screening, ServiceDelivery
from nrm.cases.tests.helpers import rich_case, statements
from nrm.referrals.models import ServiceType
from nrm.web.tests.conftest import FAMILY, GIVEN, accept, open_case, refer, screen

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- List and export -------------------------------------------------------------------------


def test_case_list_shows_own_cases_and_filters(client, world, orgs):
    labour = open_case(world["ngo"], orgs["ngo-sigurna"], forms=["labour"])
    sexual = open_case(world["ngo"], orgs["ngo-sigurna"], forms=["sexual"], birth_year=2010, identity={})
    other = open_case(world["ngo2"], orgs["ngo-most"])
    client.force_login(world["ngo"])
    html = client.get("/cases/").content.decode()
    assert labour.reference in html and sexual.reference in html
    assert other.reference not in html
    assert GIVEN not in html  # lists never show identity
    html = client.get("/cases/?form=sexual").content.decode()
    assert sexual.reference in html and labour.reference not in html
    html = client.get("/cases/?is_child=1").content.decode()
    assert sexual.reference in html and labour.reference not in html
    html = client.get(f"/cases/?q={labour.reference}").content.decode()
    assert labour.reference in html and sexual.reference not in html
    html = client.get("/cases/?status=closed").content.decode()
    assert labour.reference not in html
    # An invalid filter value is ignored, not an error.
    assert client.get("/cases/?year=abc&status=nope").status_code == 200


def test_case_list_paginates_by_50(client, world, orgs):
    for _ in range(52):
        open_case(world["ngo"], orgs["ngo-sigurna"], identity={})
    client.force_login(world["ngo"])
    first = client.get("/cases/?status=open").content.decode()
    assert first.count('href="/cases/') - first.count('href="/cases/new/') - first.count('href="/cases/?') >= 50
    assert "Page 1 of 2" in first
    assert "?status=open&amp;page=2" in first
    second = client.get("/cases/?status=open&page=2").content.decode()
    assert "Page 2 of 2" in second


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        _body(response)
    return len(ctx.captured_queries)


def test_case_list_queries_do_not_grow_with_rows(client, world, orgs, django_assert_max_num_queries):
    for _ in range(3):
        open_case(world["ngo"], orgs["ngo-sigurna"], forms=["labour", "sexual"])
    client.force_login(world["ngo"])
    client.get("/cases/")  # warm the session and content types
    few = _queries(client, "/cases/")
    for _ in range(27):
        open_case(world["ngo"], orgs["ngo-sigurna"], forms=["labour", "sexual"])
    many = _queries(client, "/cases/")
    assert few == many
    # 12, and the list read's audit row (savepoint, head, insert, head update, release).
    with django_assert_max_num_queries(17):
        client.get("/cases/")
    assert _queries(client, "/cases/export.csv") == _queries(client, "/cases/export.csv")


def test_export_has_non_identifying_columns_only(client, world, orgs):
    case = open_case(world["ngo"], orgs["ngo-sigurna"], citizenship="AF", forms=["labour", "sexual"])
    open_case(world["ngo2"], orgs["ngo-most"], given="Outsiderka")
    client.force_login(world["ngo"])
    response = client.get("/cases/export.csv?form=labour")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = _body(response)
    assert GIVEN not in text and FAMILY not in text and "1990-04-02" not in text and "Outsiderka" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reference"] for r in rows] == [case.reference]
    assert rows[0]["citizenship"] == "AF"
    assert sorted(rows[0]["forms"].split(";")) == ["labour", "sexual"]
    assert not {"given_name", "family_name", "date_of_birth", "document_number", "contact", "address"} & set(rows[0])


# --- Opening a case --------------------------------------------------------------------------


def test_open_a_case_from_a_screening(client, world, orgs):
    screening = screen(world["police"], orgs["pu-bg"], sex="M", citizenship="AF", region="Belgrade")
    client.force_login(world["police"])
    page = client.get(f"/cases/new/?screening={screening.pk}").content.decode()
    assert f'name="screening" value="{screening.pk}"' in page
    assert '<option value="M" selected>' in page
    assert 'value="AF"' in page
    response = client.post(
        "/cases/new/",
        {
            "organisation": orgs["pu-bg"].pk,
            "screening": screening.pk,
            "given_name": "Ana",
            "family_name": "Test",
            "sex": "M",
            "citizenship": "AF",
            "migration_status": "asylum_seeker",
            "forms": ["labour", "begging"],
            "region": "Belgrade",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    screening.refresh_from_db()
    assert screening.case_id == case.pk
    assert sorted(case.forms.values_list("code", flat=True)) == ["begging", "labour"]
    assert case.person.given_name == "Ana"
    assert case.owner_id == orgs["pu-bg"].pk


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "The date cannot be in the future."),
        ({"date_of_birth": "1990-01-01", "birth_year": "1991"}, "birth_year", "does not match the date of birth"),
        ({"citizenship": "SRB"}, "citizenship", "Choose a country from the list."),
        ({"country_of_exploitation": "Serbia"}, "country_of_exploitation", "Choose a country from the list."),
        ({"forms": ["nonsense"]}, "forms", "Select a valid choice"),
    ],
)
def test_open_a_case_with_bad_input(client, world, orgs, data, field, message):
    client.force_login(world["ngo"])
    before = (Case.objects.count(), Person.objects.count())
    post = {"organisation": orgs["ngo-sigurna"].pk, "sex": "F", "migration_status": "unknown", "given_name": GIVEN}
    post.update(data)
    response = client.post("/cases/new/", post)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert f'id="id_{field}_error"' in html
    assert f'value="{GIVEN}"' in html  # the input is kept
    assert (Case.objects.count(), Person.objects.count()) == before


def test_screening_already_linked_cannot_open_a_second_case(client, world, orgs):
    screening = screen(world["police"], orgs["pu-bg"])
    open_case(world["police"], orgs["pu-bg"], screening=screening)
    client.force_login(world["police"])
    response = client.post(
        "/cases/new/",
        {"organisation": orgs["pu-bg"].pk, "screening": screening.pk, "sex": "F", "migration_status": "unknown"},
    )
    assert response.status_code == 200
    assert "already linked to a case" in response.content.decode()
    assert Case.objects.count() == 1


# --- The case page ---------------------------------------------------------------------------


def test_case_page_shows_everything_to_the_owner(client, world, orgs, ngo_case):
    ngo = world["ngo"]
    case_services.consent_record(actor=fresh(ngo), case=ngo_case, purpose="share", organisation=orgs["centre"])
    case_services.note_add(actor=fresh(ngo), case=ngo_case, text="Met at the shelter.")
    case_services.service_record(
        actor=fresh(ngo),
        case=ngo_case,
        service_type=ServiceType.objects.get(code="psychological"),
        organisation=orgs["ngo-sigurna"],
    )
    refer(ngo, ngo_case, orgs["centre"])
    client.force_login(ngo)
    response = client.get(f"/cases/{ngo_case.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        ngo_case.reference,
        GIVEN,
        FAMILY,
        "1990-04-02",
        "Labour exploitation",
        "Met at the shelter.",
        "Psychological support",
        "Centre for Human Trafficking Victims Protection",
        "Case opened by Safe Harbour Association (shelter)",
        "Withdraw",
        f"/cases/{ngo_case.pk}/edit/",
        f"/cases/{ngo_case.pk}/close/",
        f"/cases/{ngo_case.pk}/refer/",
    ]:
        assert text in html, text
    assert f"/cases/{ngo_case.pk}/identify/" not in html  # only the Centre identifies


def test_case_page_is_audited(client, world, ngo_case):
    from nrm.audit.models import AuditEntry

    client.force_login(world["ngo"])
    client.get(f"/cases/{ngo_case.pk}/")
    assert AuditEntry.objects.filter(action="case.view", object_id=str(ngo_case.pk), outcome="allowed").exists()


# --- Editing with optimistic locking ---------------------------------------------------------


def test_edit_saves_changes(client, world, ngo_case):
    client.force_login(world["ngo"])
    response = client.post(
        f"/cases/{ngo_case.pk}/edit/",
        {
            "version": ngo_case.version,
            "region": "Vojvodina",
            "forms": ["labour", "begging"],
            "plan_goals": "Safe housing",
        },
    )
    assert response.status_code == 302
    ngo_case.refresh_from_db()
    assert (ngo_case.region, ngo_case.plan_goals, ngo_case.version) == ("Vojvodina", "Safe housing", 2)
    assert sorted(ngo_case.forms.values_list("code", flat=True)) == ["begging", "labour"]


def test_edit_with_a_stale_version_is_refused_and_keeps_input(client, world, ngo_case):
    case_services.case_update(actor=fresh(world["ngo"]), case=ngo_case, expected_version=1, region="Belgrade")
    client.force_login(world["ngo"])
    response = client.post(
        f"/cases/{ngo_case.pk}/edit/",
        {"version": 1, "region": "Vojvodina", "plan_goals": "My unsaved plan", "forms": ["labour"]},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html
    assert "My unsaved plan" in html
    ngo_case.refresh_from_db()
    assert (ngo_case.region, ngo_case.plan_goals, ngo_case.version) == ("Belgrade", "", 2)


def test_edit_with_bad_dates_shows_the_field_error(client, world, ngo_case):
    client.force_login(world["ngo"])
    response = client.post(
        f"/cases/{ngo_case.pk}/edit/",
        {"version": 1, "exploitation_start": "2024-05-01", "exploitation_end": "2024-01-01", "forms": ["labour"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end cannot be before the start." in html
    assert 'id="id_exploitation_end_error"' in html
    ngo_case.refresh_from_db()
    assert (ngo_case.exploitation_start, ngo_case.version) == (None, 1)


def test_close_case_and_stale_close(client, world, ngo_case):
    client.force_login(world["ngo"])
    response = client.post(f"/cases/{ngo_case.pk}/close/", {"version": 1, "reason": ""})
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()
    response = client.post(f"/cases/{ngo_case.pk}/close/", {"version": 7, "reason": "declined"})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    ngo_case.refresh_from_db()
    assert ngo_case.status == "open"
    response = client.post(f"/cases/{ngo_case.pk}/close/", {"version": 1, "reason": "declined", "note": "Moved away"})
    assert response.status_code == 302
    ngo_case.refresh_from_db()
    assert (ngo_case.status, ngo_case.closure_reason) == ("closed", "declined")
    html = client.get(f"/cases/{ngo_case.pk}/").content.decode()
    assert f"/cases/{ngo_case.pk}/edit/" not in html
    assert "Person declined further support" in html


# --- Notes, consent, identification, services ------------------------------------------------


def test_note_add_and_empty_note(client, world, ngo_case):
    client.force_login(world["ngo"])
    response = client.post(f"/cases/{ngo_case.pk}/notes/", {"text": "   "})
    assert response.status_code == 200
    assert 'id="id_text_error"' in response.content.decode()
    assert CaseNote.objects.count() == 0
    response = client.post(f"/cases/{ngo_case.pk}/notes/", {"text": "Called the family."})
    assert response.status_code == 302
    assert CaseNote.objects.get().text == "Called the family."
    assert client.get(f"/cases/{ngo_case.pk}/notes/").status_code == 405


def test_frontline_cannot_add_notes(client, world, police_case):
    client.force_login(world["police"])
    assert client.post(f"/cases/{police_case.pk}/notes/", {"text": "x"}).status_code == 404
    assert CaseNote.objects.count() == 0


def test_consent_record_and_withdraw(client, world, orgs, ngo_case):
    client.force_login(world["ngo"])
    response = client.post(f"/cases/{ngo_case.pk}/consents/new/", {"purposes": ["share", "statistics"]})
    assert response.status_code == 200
    assert "Name the organisation the person agrees to share with." in response.content.decode()
    assert Consent.objects.count() == 0  # all or none
    response = client.post(f"/cases/{ngo_case.pk}/consents/new/", {"purposes": [], "note": "Met on Friday"})
    assert "Choose at least one purpose." in response.content.decode()
    # Several purposes, and sharing with two organisations, in one submission.
    response = client.post(
        f"/cases/{ngo_case.pk}/consents/new/",
        {"purposes": ["share", "statistics"], "organisations": [orgs["centre"].pk, orgs["csr-bg"].pk]},
    )
    assert response.status_code == 302
    assert sorted(Consent.objects.values_list("purpose", "organisation_id")) == sorted(
        [("share", orgs["centre"].pk), ("share", orgs["csr-bg"].pk), ("statistics", None)]
    )
    consent = Consent.objects.get(organisation=orgs["centre"])
    response = client.post(f"/cases/{ngo_case.pk}/consents/{consent.pk}/withdraw/")
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None
    # A second withdrawal is a conflict, shown as a message.
    response = client.post(f"/cases/{ngo_case.pk}/consents/{consent.pk}/withdraw/", follow=True)
    assert "already withdrawn" in response.content.decode()


def test_a_receiver_records_consent_it_obtains_but_withdrawal_is_the_owners(client, world, orgs, police_case):
    referral = refer(world["police"], police_case, orgs["ngo-sigurna"])
    accept(world["ngo"], referral)
    consent = police_case.consents.get()
    client.force_login(world["ngo"])
    assert client.get(f"/cases/{police_case.pk}/consents/new/").status_code == 200
    response = client.post(
        f"/cases/{police_case.pk}/consents/new/", {"purposes": ["share"], "organisations": [orgs["csr-bg"].pk]}
    )
    assert response.status_code == 302
    assert police_case.consents.filter(organisation=orgs["csr-bg"], recorded_by=world["ngo"]).exists()
    assert client.post(f"/cases/{police_case.pk}/consents/{consent.pk}/withdraw/").status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_identification_by_the_centre(client, world, orgs, police_case):
    consent = case_services.consent_record(
        actor=fresh(world["police"]), case=police_case, purpose="share", organisation=orgs["centre"]
    )
    assert consent.pk
    referral = refer(world["police"], police_case, orgs["centre"])
    client.force_login(world["centre"])
    assert client.get(f"/cases/{police_case.pk}/identify/").status_code == 404  # not yet accepted
    accept(world["centre"], referral)
    home = client.get("/").content.decode()
    assert "Cases to identify" in home and police_case.reference in home
    assert f"/cases/{police_case.pk}/identify/" in client.get(f"/cases/{police_case.pk}/").content.decode()
    response = client.post(f"/cases/{police_case.pk}/identify/", {"decision": "identified", "grounds": " "})
    assert response.status_code == 200
    assert 'id="id_grounds_error"' in response.content.decode()
    assert Identification.objects.count() == 0
    response = client.post(
        f"/cases/{police_case.pk}/identify/", {"decision": "identified", "grounds": "Interview and documents."}
    )
    assert response.status_code == 302
    police_case.refresh_from_db()
    assert police_case.identification_status == "identified"
    assert police_case.reference not in client.get("/").content.decode().split('id="identify"')[1]
    # Other roles cannot decide.
    client.force_login(world["police"])
    assert client.get(f"/cases/{police_case.pk}/identify/").status_code == 404


def test_service_add_update_and_stale_update(client, world, orgs, ngo_case):
    client.force_login(world["ngo"])
    legal = ServiceType.objects.get(code="legal_aid")
    response = client.post(
        f"/cases/{ngo_case.pk}/services/new/",
        {"service_type": legal.pk, "organisation": orgs["ngo-pravo"].pk, "status": "delivered"},
    )
    assert response.status_code == 200
    assert "Give the date the service started." in response.content.decode()
    assert ServiceDelivery.objects.count() == 0
    response = client.post(
        f"/cases/{ngo_case.pk}/services/new/",
        {"service_type": legal.pk, "organisation": orgs["ngo-pravo"].pk, "status": "planned"},
    )
    assert response.status_code == 302
    delivery = ServiceDelivery.objects.get()
    url = f"/cases/{ngo_case.pk}/services/{delivery.pk}/"
    page = client.get(url).content.decode()
    assert 'name="version" value="1"' in page
    response = client.post(url, {"version": 1, "status": "in_progress", "started_on": "2024-02-01"})
    assert response.status_code == 302
    response = client.post(url, {"version": 1, "status": "delivered", "started_on": "2024-02-01", "outcome": "Done"})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.outcome, delivery.version) == ("in_progress", "", 2)


def test_receiver_service_form_offers_its_referrals_and_shows_the_services_refusal(client, world, orgs, police_case):
    """The form lists what the user may see; the rule on which referral is the service's."""
    from nrm.audit.models import AuditEntry
    from nrm.web.tests.conftest import consent_share

    consent_share(world["police"], police_case, orgs["ngo-most"])
    mine = accept(world["ngo"], refer(world["police"], police_case, orgs["ngo-sigurna"]))
    theirs = accept(world["ngo2"], refer(world["police"], police_case, orgs["ngo-most"]))
    hidden = case_services.service_record(
        actor=fresh(world["ngo2"]),
        case=police_case,
        service_type=theirs.service_type,
        organisation=orgs["ngo-most"],
        referral=theirs,
    )
    # ngo-sigurna passes the case on to ngo-most too: its own referral, but not addressed to it.
    onward = refer(world["ngo"], police_case, orgs["ngo-most"])
    client.force_login(world["ngo"])
    url = f"/cases/{police_case.pk}/services/new/"
    choices = client.get(url).content.decode().split('name="referral"')[1].split("</select>")[0]
    assert f'value="{mine.pk}"' in choices and f'value="{onward.pk}"' in choices
    assert f'value="{theirs.pk}"' not in choices
    data = {"service_type": mine.service_type.pk, "organisation": orgs["ngo-sigurna"].pk, "status": "planned"}
    response = client.post(url, {**data, "referral": onward.pk})
    assert response.status_code == 200
    assert "Choose a referral addressed to the organisation delivering the service." in response.content.decode()
    response = client.post(url, {**data, "referral": theirs.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert list(ServiceDelivery.objects.all()) == [hidden]
    assert client.post(url, {**data, "referral": mine.pk}).status_code == 302
    # Another receiver's service is missing, like an unknown one, and the attempt is audited.
    assert client.get(f"/cases/{police_case.pk}/services/{hidden.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="service.update", outcome="denied", object_id=str(police_case.pk)).exists()


def test_screening_count_is_untouched_by_case_pages(client, world, police_case):
    before = Screening.objects.count()
    client.force_login(world["police"])
    client.get(f"/cases/{police_case.pk}/")
    assert Screening.objects.count() == before


def test_a_childs_case_says_whether_a_guardian_is_appointed(client, world):
    from nrm.cases.tests.helpers import open_child_case

    with_guardian = open_child_case(world["police"])
    without = open_child_case(world["police"], guardian="")
    client.force_login(world["police"])
    page = client.get(f"/cases/{without.pk}/").content.decode()
    assert "data-guardian-warning" in page and "No guardian is appointed for this child" in page
    assert "Guardian appointed" in page
    page = client.get(f"/cases/{with_guardian.pk}/").content.decode()
    assert "data-guardian-warning" not in page and "Guardian appointed" in page


def test_the_close_page_says_who_may_close_and_asks_to_confirm(client, world, ngo_case):
    client.force_login(world["ngo"])
    page = client.get(f"/cases/{ngo_case.pk}/close/").content.decode()
    assert "Who may close a case" in page and "data-intro" in page
    assert f'data-confirm="Close case {ngo_case.reference}?' in page
    assert 'name="reason"' in page  # and a reason is asked for


@pytest.mark.parametrize("second_factor", [False, True], ids=["one-factor", "second-factor-required"])
@pytest.mark.parametrize("who", ["socialwork", "ngo", "centre"])
def test_case_page_runs_at_most_10_statements(
    client, world, who, second_factor, settings, django_assert_max_num_queries
):
    """Issue E: the web case page of a rich case in at most 10 SQL statements, whatever its records.

    Session (1), user (1), memberships with their organisations' names and types (1: the rule,
    the navigation and the header), the case (1), its relations and the reader's permissions on
    it (1), the audit append (1: one INSERT, sealed after commit), the session's expiry (1).
    Production requires a second factor of these roles (``NRM_REQUIRE_2FA``): the session's
    authenticator is read too (1, django-otp's middleware). Counted without the test
    transaction's savepoints (see ``statements``), which ``django_assert_max_num_queries`` also
    counts (four: the read's and the session save's).
    """
    small, large = rich_case(world), rich_case(world, times=3)
    client.force_login(world[who])
    if second_factor:
        settings.NRM_REQUIRE_2FA = True
        device = TOTPDevice.objects.create(user=world[who], name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # signed in with its code
        session.save()
    counts = []
    for case in (small, large):
        client.get(f"/cases/{case.pk}/")
        with django_assert_max_num_queries(8 + 4), CaptureQueriesContext(connection) as captured:
            response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200
        sqls = statements(captured)
        assert len(sqls) <= (8 if second_factor else 7), sqls
        counts.append(len(sqls))
    assert counts[0] == counts[1]
    html = response.content.decode()
    # The header's organisation and role, and what the page shows of the records, still there.
    membership = world[who].memberships.select_related("organisation").get()
    assert f"{membership.organisation.name} ({membership.get_role_display()})" in html
    assert ("Note 2." in html) == (who == "socialwork")
    assert "Indicators confirmed." in html


def test_case_page_actions_follow_the_access_rule(client, world):
    """The page's actions, answered from the rows the read loaded, are those ``case_access.can`` allows."""
    from nrm.accounts import access

    case = rich_case(world)
    for who in ("socialwork", "ngo", "centre", "police"):
        user = fresh(world[who])
        client.force_login(user)
        response = client.get(f"/cases/{case.pk}/")
        if who == "police":
            assert response.status_code == 404
            continue
        can = response.context["can"]
        assert can["manage"] == case_access.can(user, access.Action.MANAGE, case)
        assert can["identify"] == case_access.can(user, access.Action.IDENTIFY, case)
        assert can["refer"] == case_access.can(user, access.Action.REFER, case)
        assert can["record_service"] == case_access.can(user, access.Action.RECORD_SERVICE, case)
        assert can["correct"] == case_access.can(user, access.Action.CORRECT, case)
