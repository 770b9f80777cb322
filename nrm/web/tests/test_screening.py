"""The screening form, its live result and the screening page."""

from __future__ import annotations

import pytest

from conftest import PRESUMED_ADULT
from nrm.cases.models import Screening
from nrm.web.tests.conftest import screen

pytestmark = pytest.mark.django_db


def form_data(orgs, **overrides) -> dict:
    data = {
        "organisation": orgs["pu-bg"].pk,
        "sex": "F",
        "age_band": "18-24",
        "citizenship": "rs",
        "region": "Belgrade",
        "channel": "outreach",
        "answers": PRESUMED_ADULT,
    }
    data.update(overrides)
    return data


def test_form_lists_indicators_by_dimension_with_strength(client, world):
    client.force_login(world["police"])
    response = client.get("/screenings/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<legend>Deceptive recruitment" in html
    assert html.count('name="answers"') == 6 * 9
    assert 'class="strength strength-strong">strong<' in html
    assert 'data-evaluate-url="/screenings/evaluate/"' in html
    # Only the organisations the user may screen for are offered.
    assert "Police Directorate Belgrade" in html
    assert "Safe Harbour Association" not in html.split('id="id_organisation"')[1].split("</select>")[0]


def test_save_shows_result_reasons_and_open_a_case(client, world, orgs):
    client.force_login(world["police"])
    response = client.post("/screenings/new/", form_data(orgs))
    screening = Screening.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/screenings/{screening.pk}/"
    assert screening.result == "presumed_victim"
    assert screening.citizenship == "RS"
    page = client.get(response["Location"]).content.decode()
    assert "Presumed victim" in page
    assert "Recruitment: positive (Deceptive recruitment)" in page
    assert "positive: 2 strong" in page  # the clause each positive dimension met
    assert "Open a case" in page
    assert f'href="/cases/new/?screening={screening.pk}"' in page


def test_not_indicated_offers_no_case(client, world, orgs):
    client.force_login(world["police"])
    response = client.post("/screenings/new/", form_data(orgs, answers=["deceptive_recruitment_weak1"]))
    page = client.get(response["Location"]).content.decode()
    assert "Not indicated" in page
    assert "not positive; no dimension reached the rule" in page
    assert "Open a case" not in page


def test_bad_input_shows_the_field_error_and_stores_nothing(client, world, orgs):
    client.force_login(world["police"])
    response = client.post("/screenings/new/", form_data(orgs, citizenship="Serbia"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a country from the list." in html  # "Serbia" never becomes SE, Sweden
    assert 'id="id_citizenship_error"' in html
    assert 'aria-describedby="id_citizenship_helptext id_citizenship_error"' in html
    assert 'role="alert"' in html
    assert '<a href="#id_citizenship">Citizenship</a>' in html
    # The user's ticks are kept.
    assert 'value="deceptive_recruitment_strong1" id="id_answers_0" checked' in html
    assert Screening.objects.count() == 0


def test_organisation_not_offered_is_refused(client, world, orgs):
    client.force_login(world["police"])
    response = client.post("/screenings/new/", form_data(orgs, organisation=orgs["ngo-sigurna"].pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Screening.objects.count() == 0


def test_unknown_indicator_is_refused(client, world, orgs):
    client.force_login(world["police"])
    response = client.post("/screenings/new/", form_data(orgs, answers=["no_such_indicator"]))
    assert response.status_code == 200
    assert 'id="id_answers_error"' in response.content.decode()
    assert Screening.objects.count() == 0


def test_evaluate_returns_result_and_reasons_and_stores_nothing(client, world):
    client.force_login(world["police"])
    response = client.post("/screenings/evaluate/", {"answers": PRESUMED_ADULT})
    assert response.status_code == 200
    data = response.json()
    assert data["presumed_victim"] is True
    assert data["label"] == "Presumed victim"
    dims = {d["code"]: d for d in data["dimensions"]}
    assert dims["deceptive_recruitment"]["positive"] is True
    assert dims["deceptive_recruitment"]["counts"] == "2 strong, 0 medium, 0 weak"
    assert dims["coercive_recruitment"]["positive"] is False
    assert any("Coercion: positive" in line for line in data["explanation"])
    # Each dimension says under which clause it is positive, or what it still lacks.
    assert dims["deceptive_recruitment"]["status"] == "positive: 2 strong"
    assert dims["coercive_recruitment"]["status"] == "not positive: 1 strong + 1 medium or weak needed"
    assert data["rule"].startswith("2 strong or 1 strong + 1 medium or weak")
    assert Screening.objects.count() == 0


def test_refer_for_assessment_is_a_third_outcome_with_a_next_step(client, world, orgs):
    client.force_login(world["police"])
    answers = ["exploitative_conditions_strong1", "exploitative_conditions_medium1", "coercion_destination_strong1"]
    live = client.post("/screenings/evaluate/", {"answers": answers, "is_child": "on"}).json()
    assert (live["result"], live["label"]) == ("refer_for_assessment", "Refer for assessment")
    response = client.post("/screenings/new/", form_data(orgs, answers=answers, is_child="on"))
    page = client.get(response["Location"]).content.decode()
    assert "Refer for assessment" in page and "Open a case to refer for assessment" in page
    # The next step comes before the dimensions' table, beside the result.
    assert page.index("Open a case to refer for assessment") < page.index("<caption>Dimensions</caption>")


def test_the_form_states_the_rule(client, world):
    client.force_login(world["police"])
    page = client.get("/screenings/new/").content.decode()
    assert "A dimension is positive with 2 strong or 1 strong + 1 medium or weak" in page
    assert 'data-dimension-status="deceptive_recruitment"' in page


def test_evaluate_child_needs_no_coercion(client, world):
    client.force_login(world["police"])
    answers = PRESUMED_ADULT[:4]
    adult = client.post("/screenings/evaluate/", {"answers": answers}).json()
    child = client.post("/screenings/evaluate/", {"answers": answers, "is_child": "on"}).json()
    assert adult["presumed_victim"] is False
    assert child["presumed_victim"] is True
    assert "Child: coercion or means are not required." in child["explanation"]


def test_evaluate_rejects_unknown_answers_and_get(client, world):
    client.force_login(world["police"])
    response = client.post("/screenings/evaluate/", {"answers": ["nope"]})
    assert response.status_code == 400
    assert "answers" in response.json()["errors"]
    assert client.get("/screenings/evaluate/").status_code == 405


def test_screening_of_another_organisation_is_404(client, world, orgs):
    screening = screen(world["police"], orgs["pu-bg"])
    client.force_login(world["ngo"])
    assert client.get(f"/screenings/{screening.pk}/").status_code == 404
    assert client.get(f"/cases/new/?screening={screening.pk}").status_code == 404
    assert f"/screenings/{screening.pk}/" not in client.get("/screenings/").content.decode()


def test_screening_list_filters_by_result(client, world, orgs):
    yes = screen(world["police"], orgs["pu-bg"])
    no = screen(world["police"], orgs["pu-bg"], answers=[])
    client.force_login(world["police"])
    html = client.get("/screenings/?result=presumed_victim").content.decode()
    assert f"/screenings/{yes.pk}/" in html
    assert f"/screenings/{no.pk}/" not in html


@pytest.fixture
def two_lists(world):
    """The active list has a labour and a sexual-exploitation list, as the ILO 2009 lists do."""
    from nrm.cases.models import IndicatorList
    from nrm.cases.tests.test_screening_rule import _two_lists

    IndicatorList.objects.update(is_active=False)
    return IndicatorList.objects.create(code="two", version=1, title="Two lists", definition=_two_lists())


def test_the_screening_asks_which_forms_are_suspected(client, world, orgs, two_lists):
    client.force_login(world["police"])
    page = client.get("/screenings/new/").content.decode()
    assert 'name="suspected_forms" value="labour"' in page and 'name="suspected_forms" value="sexual"' in page
    assert 'data-forms="sexual"' in page and "Sexual exploitation list only" in page
    # Suspecting labour only, an indicator of the sexual list is refused, naming the answers.
    answers = [*PRESUMED_ADULT, "forced_clients"]
    refused = client.post("/screenings/new/", form_data(orgs, answers=answers, suspected_forms=["labour"]))
    assert refused.status_code == 200 and 'id="id_answers_error"' in refused.content.decode()
    assert not Screening.objects.exists()
    saved = client.post("/screenings/new/", form_data(orgs, answers=answers, suspected_forms=["sexual"]))
    screening = Screening.objects.get(pk=int(saved["Location"].rstrip("/").split("/")[-1]))
    assert screening.suspected_forms == ["sexual"]
    assert screening.reasons["forms"] == {"sexual": "presumed_victim"}
    live = client.post("/screenings/evaluate/", {"answers": answers, "suspected_forms": ["labour", "sexual"]})
    assert live.json()["result"] == "presumed_victim"


def test_countries_are_a_list_in_the_users_language_stored_as_codes(client, world, orgs):
    client.force_login(world["police"])
    client.post("/i18n/setlang/", {"language": "sr-latn", "next": "/"})
    page = client.get("/screenings/new/").content.decode()
    assert '<option value="RS">Srbija</option>' in page and 'data-search="1"' in page
    client.post("/i18n/setlang/", {"language": "sr", "next": "/"})
    assert '<option value="RS">Србија</option>' in client.get("/screenings/new/").content.decode()
    response = client.post("/screenings/new/", form_data(orgs, citizenship="SE"))
    assert Screening.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1])).citizenship == "SE"
