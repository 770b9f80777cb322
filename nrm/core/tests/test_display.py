"""Issue E: choice labels come from a table built once per field, and say what Django's would."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models import Field, Model
from django.utils import translation

from nrm.cases.models import Screening
from nrm.core.display import choice_label, install


def _fields_with_fixed_choices():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_parents=False):
            if isinstance(field, Field) and isinstance(field.choices, list | tuple):
                yield model, field


def test_every_label_in_every_language_is_djangos():
    checked = 0
    for model, field in _fields_with_fixed_choices():
        values = [value for value, _label in field.flatchoices] + ["not-a-choice"]
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for value in values:
                    instance = model()
                    setattr(instance, field.attname, value)
                    expected = Model._get_FIELD_display(instance, field)
                    assert choice_label(instance, field) == expected, (model, field.name, code, value)
                    assert getattr(instance, f"get_{field.name}_display")() == expected
                    checked += 1
    assert checked > 1000


def test_labels_follow_the_language_of_the_call():
    screening = Screening(result="presumed_victim")
    with translation.override("en"):
        english = screening.get_result_display()
    with translation.override("sr"):
        cyrillic = screening.get_result_display()
    assert english != cyrillic
    assert any("\u0400" <= ch <= "\u04ff" for ch in cyrillic)


def test_django_s_method_is_replaced_once():
    assert Screening.__dict__["get_result_display"].func is choice_label
    # Installed at start-up: a second pass finds only methods it put there, and keeps them.
    assert install(apps.get_models(include_auto_created=True)) == 0


def test_a_label_translated_once_per_language_stays_that_languages():
    screening = Screening(result="presumed_victim")
    field = Screening._meta.get_field("result")
    codes = [code for code, _name in settings.LANGUAGES]
    for code in codes + list(reversed(codes)) + codes:  # each language after every other, cached or not
        with translation.override(code):
            assert screening.get_result_display() == Model._get_FIELD_display(screening, field), code
    with translation.override(None):  # translation deactivated: the label as written
        assert screening.get_result_display() == Model._get_FIELD_display(screening, field)
    # A value that is no choice is shown as Django shows it, unhashable or not.
    for value in (["not", "a", "choice"], 7, None):
        screening.result = value
        assert screening.get_result_display() == Model._get_FIELD_display(screening, field)


def test_a_label_asked_in_a_language_is_that_languages_whichever_is_active():
    """The language passed decides, and a label asked so is not kept as another language's."""
    screening = Screening(result="presumed_victim")
    field = Screening._meta.get_field("result")
    field.__dict__.pop("_nrm_choice_labels", None)  # no language's table made yet: each is made here
    codes = [code for code, _name in settings.LANGUAGES]
    expected = {}
    for code in codes:
        with translation.override(code):
            expected[code] = Model._get_FIELD_display(screening, field)
    assert len(set(expected.values())) == len(codes)  # each language says it its own way
    for active in codes:
        with translation.override(active):
            for code in codes:
                assert screening.get_result_display(language=code) == expected[code], (active, code)
            assert screening.get_result_display() == expected[active]
