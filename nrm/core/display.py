"""Choice labels (``get_FOO_display``) read from a table built once per field.

Django's own builds a dict of every choice on each call, hashing each lazy label, which
translates it: the nine labels of an API case read cost 6% of the request. The table built
here keeps the lazy labels as they are, and the label returned is the one translated into the
language of the request that reads it, as before; each label is translated once per language
(a lazy label's translation, on every read, was two thirds of the call).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partialmethod
from typing import Any

from django.db.models import Field, Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language, override

_LABELS = "_nrm_choice_labels"
_ACTIVE: Any = object()  # no language given: the active one


def choice_label(instance: Model, field: Field, language: str | None = _ACTIVE):
    """Return the label of ``instance``'s value of ``field`` (the value itself when not a choice).

    In ``language`` when given (a code as ``get_language()`` returns): a caller reading many labels
    asks for the active language once, not once per label.
    """
    found = field.__dict__.get(_LABELS)
    if found is None:
        found = (dict(make_hashable(field.flatchoices)), {})
        setattr(field, _LABELS, found)
    labels, translated = found
    raw = getattr(instance, field.attname)
    value = make_hashable(raw)
    label = labels.get(value)
    if label is None:
        return force_str(raw, strings_only=True)
    if language is _ACTIVE:
        language = get_language()
    in_language = translated.get(language)
    if in_language is None:
        in_language = translated.setdefault(language, {})
    shown = in_language.get(value)
    if shown is None:
        with override(language):  # the language asked, whichever is active: the table is that language's
            shown = in_language[value] = force_str(label, strings_only=True)
    return shown


def install(models: Iterable[type[Model]]) -> int:
    """Make ``choice_label`` the ``get_FOO_display`` of ``models``' fields with fixed choices; return how many.

    Only Django's default method is replaced (not one a model defines), and only for choices
    given as a list: callable choices may change between calls, and keep Django's method.
    """
    replaced = 0
    for model in models:
        for field in model._meta.get_fields(include_parents=False):
            if not isinstance(field, Field) or not isinstance(field.choices, list | tuple):
                continue
            name = f"get_{field.name}_display"
            current = model.__dict__.get(name)
            if isinstance(current, partialmethod) and current.func is Model._get_FIELD_display:
                setattr(model, name, partialmethod(choice_label, field=field))
                replaced += 1
    return replaced
