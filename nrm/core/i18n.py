"""Translated data: texts that come with the data (indicator lists, reference data), not with the code.

A translatable text is stored in English under its key (``"text"``, ``"title"``, ``"name"``) and,
optionally, per language under the same key with ``_i18n``::

    {"text": "Debt bondage", "text_i18n": {"sr-latn": "Dužničko ropstvo", "sr": "Дужничко ропство"}}

The language codes are those of ``settings.LANGUAGES`` ("sr-latn" Serbian Latin, "sr" Serbian
Cyrillic). :func:`localized` returns the text in the active language, English when the data has
no translation for it; models with a ``name_i18n`` JSON field read the same way
(``localized(org_type, "name")``), and templates through the ``localized`` filter of
``nrm_i18n`` (``{{ org_type|localized:"name" }}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language

# Other spellings of the codes of settings.LANGUAGES: BCP 47 script subtags, POSIX locale names.
_ALIASES = {"sr-cyrl": "sr", "sr-rs": "sr", "sr-cyrl-rs": "sr", "sr-latn-rs": "sr-latn"}


def language_key(language: str | None = None) -> str:
    """Return the key translations are stored under for ``language`` (default: the active language).

    "sr-Latn", "sr_Latn" and "sr-latn" give "sr-latn"; "sr", "sr-Cyrl" and "sr_RS" give "sr";
    no language (translation deactivated) gives "en".
    """
    code = (language if language is not None else get_language()) or "en"
    code = code.replace("_", "-").lower()
    return _ALIASES.get(code, code)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def localized(obj: Any, key: str, language: str | None = None) -> str:
    """Return ``obj[key]`` in the active language: ``obj[key + "_i18n"][lang]``, else the English ``obj[key]``.

    ``obj`` is a dict (an indicator, a dimension) or a model instance with a ``<key>_i18n`` JSON
    field. A missing or blank translation falls back to English; a missing text gives "".
    """
    if obj is None:
        return ""
    english = _get(obj, key)
    translations = _get(obj, f"{key}_i18n")
    lang = language_key(language)
    if isinstance(translations, Mapping) and lang != "en":
        text = translations.get(lang)
        if not text and "-" in lang and lang not in ("sr-latn",):
            # A regional variant (de-at) reads its language (de); Serbian never changes script here.
            text = translations.get(lang.split("-", 1)[0])
        if isinstance(text, str) and text.strip():
            return text
    return "" if english is None else str(english)


def translations_field(name: str = "name"):
    """Return the JSON field holding the translations of a model's ``name`` (language code -> text)."""
    from django.db import models

    return models.JSONField(
        default=dict,
        blank=True,
        help_text=f'Translations of the {name} by language code, e.g. {{"sr-latn": "...", "sr": "..."}}',
    )
