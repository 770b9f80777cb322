"""Choice labels (``get_FOO_display``) read from a table built once per field.

Django's own builds a dict of every choice on each call, hashing each lazy label, which
translates it: the nine labels of an API case read cost 6% of the request. The table built
here keeps the lazy labels as they are, so the one label returned is translated into the
language of the request that reads it, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partialmethod

from django.db.models import Field, Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_LABELS = "_nrm_choice_labels"


def choice_label(instance: Model, field: Field):
    """Return the label of ``instance``'s value of ``field`` (the value itself when not a choice)."""
    labels = field.__dict__.get(_LABELS)
    if labels is None:
        labels = dict(make_hashable(field.flatchoices))
        setattr(field, _LABELS, labels)
    value = getattr(instance, field.attname)
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


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
