"""The base of the API's model serializers."""

from __future__ import annotations

import copy

from rest_framework import serializers


def _copy(field: serializers.Field) -> serializers.Field:
    """Return a copy of ``field`` that binding to a new parent leaves the original as it was.

    A leaf field's binding only assigns its own attributes (name, parent, source), so a shallow
    copy is enough: DRF's deep copy builds the field again from its arguments (its choices,
    validators and messages), the larger part of making a serializer. A field holding another
    field (a nested serializer, a list's child, a many relation) binds that one too, and is
    copied deeply, as DRF does.
    """
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    # copy.copy's own result, a quarter of its time: DRF's Field.__new__ only records the
    # arguments, which the copied attributes hold already.
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields built from the model once per class, then copied.

    DRF maps every model field to a serializer field (kwargs, validators, choices) each time a
    serializer is made: five of them in an API case read cost a fifth of the request. What it
    builds depends on the class and its Meta only, and the copy is what DRF binds per instance,
    as it does with declared fields.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        fields = cls.__dict__.get("_nrm_fields")
        if fields is None:
            fields = super().get_fields()
            cls._nrm_fields = fields  # on this class itself: a subclass builds its own
        return {name: _copy(field) for name, field in fields.items()}
