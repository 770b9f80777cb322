"""Data in the user's language: the indicator list and the reference data carry their translations.

- the screening form, the live result and a stored screening show the indicators, the dimensions
  and the outcome in Serbian Latin and Cyrillic, with no English indicator text left;
- reference names (service types, organisation types, regions...) are translated on the pages
  and in the choices; a name or text without a translation is shown in English;
- the Cyrillic texts of the data files are the transliteration of the Latin ones.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from html import escape
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from nrm.accounts.models import OrganisationType, Region, region_label
from nrm.cases.models import IndicatorList, Screening
from nrm.core.i18n import language_key, localized
from nrm.referrals.models import ServiceType

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR).parent
ILO = json.loads((ROOT / "nrm" / "cases" / "data" / "ilo_ec_2009.json").read_text("utf-8"))
SERBIAN = ("sr-latn", "sr")
# An adult presumed victim under the ILO labour list: each group has a dimension with 1 strong + 1 medium.
PRESUMED = [
    "deceived_nature_of_job",
    "deceived_conditions_of_work",
    "excessive_working_days_or_hours",
    "bad_living_conditions",
    "destination_confiscation_of_documents",
    "destination_debt_bondage",
]
PRESUMED_LABEL = {"en": "Presumed victim", "sr-latn": "Pretpostavljena žrtva", "sr": "Претпостављена жртва"}
POSITIVE = {"en": "Recruitment: positive", "sr-latn": "Vrbovanje: pozitivno", "sr": "Врбовање: позитивно"}


@pytest.fixture
def ilo_active(world) -> IndicatorList:
    """Make the bundled ILO list the active one (the world's active list is the small test list)."""
    IndicatorList.objects.update(is_active=False)
    current = IndicatorList.objects.filter(code="ilo-ec-2009").order_by("-version").first()
    current.is_active = True
    current.save(update_fields=["is_active"])
    return current


def use_language(client, lang: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang


def text(item: dict, key: str, lang: str) -> str:
    return item[key] if lang == "en" else item[f"{key}_i18n"][lang]


# --- The helper ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [("sr-latn", "sr-latn"), ("sr-Latn", "sr-latn"), ("sr_Latn", "sr-latn"), ("sr", "sr"), ("sr-Cyrl", "sr")],
)
def test_language_codes_map_to_the_keys_of_settings_languages(code, key):
    assert language_key(code) == key
    assert key in {c for c, _name in settings.LANGUAGES}


def test_localized_reads_the_active_language_and_falls_back_to_english():
    item = {"text": "Debt bondage", "text_i18n": {"sr-latn": "Dužničko ropstvo", "sr": " "}}
    with translation.override("sr-latn"):
        assert localized(item, "text") == "Dužničko ropstvo"
    with translation.override("sr"):
        assert localized(item, "text") == "Debt bondage"  # blank: English
    with translation.override("en"):
        assert localized(item, "text") == "Debt bondage"
    with translation.override("sr-latn"):
        assert localized({"text": "Other"}, "text") == "Other"
        assert localized(None, "text") == ""
        police = OrganisationType.objects.get(code="police")
        assert localized(police, "name") == str(police) == "Policija"


# --- The bundled data ------------------------------------------------------------------------


def test_every_indicator_and_dimension_of_the_bundled_list_is_translated():
    for lang in SERBIAN:
        assert all(i["text_i18n"].get(lang) for i in ILO["indicators"]), lang
        assert all(d["title_i18n"].get(lang) for d in ILO["dimensions"]), lang
        assert ILO["title_i18n"].get(lang)
    # Within an audience and a form, the labels stay as distinct as the English ones.
    for lang in SERBIAN:
        english = {(i["text"], tuple(i["applies_to"]), tuple(i["forms"])) for i in ILO["indicators"]}
        serbian = {(i["text_i18n"][lang], tuple(i["applies_to"]), tuple(i["forms"])) for i in ILO["indicators"]}
        assert len(serbian) == len(english)


def test_every_reference_name_is_translated():
    translated = [
        *OrganisationType.objects.all(),
        *ServiceType.objects.all(),
        *Region.objects.all(),
    ]
    from nrm.cases.models import ExploitationForm
    from nrm.earlywarning.models import RiskIndicator, VulnerableGroup
    from nrm.helpline.models import Topic
    from nrm.justice.models import Offence, ProtectionMeasure
    from nrm.prevention.models import Profession

    for model in (ExploitationForm, Profession, VulnerableGroup, RiskIndicator, Topic, Offence, ProtectionMeasure):
        translated += list(model.objects.all())
    assert len(translated) >= 100
    missing = [str(row) for row in translated for lang in SERBIAN if not row.name_i18n.get(lang)]
    assert missing == []


@pytest.mark.parametrize(
    ("lang", "topic", "offence"),
    [
        ("en", "Missing person", "Art. 388 Trafficking in human beings"),
        ("sr", "Нестала особа", "Art. 388 Трговина људима"),
        ("sr-latn", "Nestala osoba", "Art. 388 Trgovina ljudima"),
    ],
)
def test_helpline_topics_and_offences_read_in_the_users_language(lang, topic, offence):
    from django.utils import translation

    from nrm.helpline.models import Topic
    from nrm.justice.models import Offence

    with translation.override(lang):
        assert str(Topic.objects.get(code="missing_person")) == topic
        assert str(Offence.objects.get(code="388")) == offence


def test_the_cyrillic_data_is_the_transliteration_of_the_latin_data():
    spec = importlib.util.spec_from_file_location("translit_data", ROOT / "scripts" / "translit_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--check"]) == 0
    assert script.fill({"name_i18n": {"sr-latn": "Dužničko ropstvo"}}) == {
        "name_i18n": {"sr-latn": "Dužničko ropstvo", "sr": "Дужничко ропство"}
    }


# --- The screening in the user's language ----------------------------------------------------


@pytest.mark.parametrize("lang", ["en", *SERBIAN])
def test_the_screening_form_shows_the_list_in_the_users_language(client, world, ilo_active, lang):
    client.force_login(world["police"])
    use_language(client, lang)
    html = client.get("/screenings/new/").content.decode()
    for dim in ILO["dimensions"]:
        assert f"<legend>{escape(text(dim, 'title', lang))} " in html
    for ind in ILO["indicators"]:
        assert f">{escape(text(ind, 'text', lang))}\n" in html, ind["code"]
        if lang != "en":
            assert escape(ind["text"]) not in html, ind["code"]  # no English indicator text left
    assert escape(text(ILO, "title", lang)) in html
    if lang == "sr":
        assert '<option value="Belgrade">Београд</option>' in html  # regions: the value stays as stored


@pytest.mark.parametrize("lang", SERBIAN)
def test_the_live_result_comes_out_in_the_users_language(client, world, ilo_active, lang):
    client.force_login(world["police"])
    use_language(client, lang)
    data = client.post("/screenings/evaluate/", {"answers": PRESUMED}).json()
    assert data["label"] == PRESUMED_LABEL[lang]
    dims = {d["code"]: d for d in data["dimensions"]}
    titles = {d["code"]: d["title_i18n"][lang] for d in ILO["dimensions"]}
    assert {code: d["title"] for code, d in dims.items()} == titles
    texts = {i["code"]: i["text_i18n"][lang] for i in ILO["indicators"]}
    assert dims["deceptive_recruitment"]["observed"] == [
        texts["deceived_nature_of_job"],
        texts["deceived_conditions_of_work"],
    ]
    assert f"{POSITIVE[lang]} ({titles['deceptive_recruitment']})" in data["explanation"]
    english = {i["text"] for i in ILO["indicators"]} | {d["title"] for d in ILO["dimensions"]}
    assert not [s for s in english if s in json.dumps(data, ensure_ascii=False)]


def test_a_stored_screening_is_shown_in_the_language_of_the_reader(client, world, orgs, ilo_active):
    client.force_login(world["police"])
    use_language(client, "en")
    data = {"organisation": orgs["pu-bg"].pk, "sex": "F", "age_band": "18-24", "region": "Belgrade"}
    response = client.post("/screenings/new/", {**data, "answers": PRESUMED})
    assert response.status_code == 302, response.content.decode()[:2000]
    screening = Screening.objects.get()
    assert screening.reasons["dimensions"][0]["title"] == ILO["dimensions"][0]["title"]  # stored as evaluated
    english = client.get(response["Location"]).content.decode()
    assert f"{POSITIVE['en']} ({escape(ILO['dimensions'][0]['title'])})" in english
    use_language(client, "sr")
    page = client.get(response["Location"]).content.decode()
    title = ILO["dimensions"][0]["title_i18n"]["sr"]
    assert f"{POSITIVE['sr']} ({escape(title)})" in page
    assert escape(ILO["indicators"][0]["text_i18n"]["sr"]) in page
    assert escape(ILO["dimensions"][0]["title"]) not in page
    assert "Београд" in page  # the region as the reader reads it


def test_an_untranslated_indicator_or_dimension_is_shown_in_english(client, world, ilo_active):
    definition = copy.deepcopy(ilo_active.definition)
    del definition["indicators"][0]["text_i18n"]
    definition["dimensions"][1]["title_i18n"] = {"sr-latn": "Vrbovanje prinudom"}  # no Cyrillic
    IndicatorList.objects.filter(pk=ilo_active.pk).update(definition=definition)
    client.force_login(world["police"])
    use_language(client, "sr")
    html = client.get("/screenings/new/").content.decode()
    assert f">{escape(ILO['indicators'][0]['text'])}\n" in html
    assert f">{escape(ILO['indicators'][1]['text_i18n']['sr'])}\n" in html
    assert f"<legend>{escape(ILO['dimensions'][1]['title'])} " in html
    live = client.post("/screenings/evaluate/", {"answers": ["deceived_nature_of_job"]}).json()
    assert live["dimensions"][0]["observed"] == [ILO["indicators"][0]["text"]]
    assert live["dimensions"][1]["title"] == ILO["dimensions"][1]["title"]


# --- Reference data --------------------------------------------------------------------------


DIRECTORY = {
    "en": ("Accommodation", "NGO or shelter"),
    "sr-latn": ("Smeštaj", "Udruženje građana ili sklonište"),
    "sr": ("Смештај", "Удружење грађана или склониште"),
}


@pytest.mark.parametrize("lang", ["en", *SERBIAN])
def test_the_service_directory_shows_service_and_organisation_types_translated(client, world, lang):
    client.force_login(world["police"])
    use_language(client, lang)
    html = client.get("/directory/").content.decode()
    service, org_type = DIRECTORY[lang]
    assert f'">{service}</td>' in html
    assert f"({org_type})" in html
    assert "Safe Harbour Association (shelter)" in html  # organisation names stay as they are
    assert f'<option value="accommodation">{service}</option>' in html
    if lang != "en":
        assert ">Accommodation<" not in html and "(NGO or shelter)" not in html


def test_a_reference_name_without_translation_is_shown_in_english(client, world):
    ServiceType.objects.filter(code="accommodation").update(name_i18n={})
    OrganisationType.objects.filter(code="ngo").update(name_i18n={"sr-latn": "Udruženje"})
    client.force_login(world["police"])
    use_language(client, "sr")
    html = client.get("/directory/").content.decode()
    assert '<option value="accommodation">Accommodation</option>' in html
    assert "(NGO or shelter)" in html
    assert "Смештај" not in html


def test_a_region_the_reference_data_does_not_know_is_shown_as_stored():
    with translation.override("sr-latn"):
        assert region_label("Belgrade") == "Beograd"
        assert region_label("Atlantis") == "Atlantis"
        assert region_label("") == ""
        Region.objects.create(name="Atlantis", name_i18n={"sr-latn": "Atlantida"})
        assert region_label("Atlantis") == "Atlantida"  # a new region is read at once
