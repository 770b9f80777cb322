"""The base of the API's serializers: fields built once per class, and read without making them per instance."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from functools import partialmethod
from types import FunctionType
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.fields.related_descriptors import ManyToManyDescriptor, ReverseManyToOneDescriptor
from rest_framework import relations, serializers
from rest_framework.fields import SkipField, is_simple_callable

from nrm.core.jsonrows import loaded
from nrm.core.prepared import PLAIN_ATTRIBUTES


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


# Fields whose reading uses nothing of the serializer they are bound to (its context, its other
# fields, the request): the exact classes, as a subclass may read the context.
_CONTEXT_FREE = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.EmailField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.JSONField,
        serializers.ModelField,
        serializers.ReadOnlyField,
        serializers.TimeField,
        serializers.URLField,
        serializers.UUIDField,
        relations.PrimaryKeyRelatedField,
        relations.SlugRelatedField,
        relations.StringRelatedField,
    }
)


def _context_free(field: serializers.Field) -> bool:
    if isinstance(field, ReadPlan):  # a nested serializer whose every field is context free
        return all(reading.field is not None for reading in _plan(type(field)))
    if isinstance(field, serializers.ListSerializer) or type(field) in (serializers.ListField, serializers.DictField):
        return _context_free(field.child)
    if type(field) is relations.ManyRelatedField:
        return _context_free(field.child_relation)
    return type(field) in _CONTEXT_FREE


# How a field whose source is one name reads it, by the instance's class (see _Source).
_BY_FIELD, _CALL, _VALUE, _RELATED = 0, 1, 2, 3
# The descriptors of relations to many, which a many-related field reads through ``.all()``.
_TO_MANY = (ManyToManyDescriptor, ReverseManyToOneDescriptor)


class _Source:
    """A field's source that is one name, and how each class of instance answers it, found once per class.

    DRF asks of every value it gets whether it is a method to call (by its signature for a
    partial such as ``get_FOO_display``, a tenth of a millisecond) and whether the instance is a
    mapping (an abstract class check). The instance's class tells: a method is called, a model
    field's value (its descriptor stores values as given) is read as it is, the rows of a
    relation to many read by a many-related field are taken where they were loaded
    (:func:`nrm.core.jsonrows.loaded`: its manager made per read cost more than its rows), and
    anything else is read by the field, as DRF reads it.
    """

    __slots__ = ("kinds", "many", "name")

    def __init__(self, name: str, *, many: bool = False) -> None:
        self.name = name
        self.many = many  # read by a many-related field
        self.kinds: dict[type, int] = {}

    def kind(self, instance: Any) -> int:
        cls = type(instance)
        found = self.kinds.get(cls)
        if found is None:
            static = inspect.getattr_static(cls, self.name, None)
            if isinstance(static, FunctionType | partialmethod) and is_simple_callable(getattr(instance, self.name)):
                found = _CALL
            elif type(static) in PLAIN_ATTRIBUTES:
                found = _VALUE
            elif self.many and isinstance(static, _TO_MANY):
                found = _RELATED
            else:
                found = _BY_FIELD
            self.kinds[cls] = found
        if found == _CALL and self.name in getattr(instance, "__dict__", ()):
            return _BY_FIELD  # this instance holds a value of its own under the method's name
        return found

    def call(self, instance: Any) -> Any:
        try:
            return getattr(instance, self.name)()
        except (AttributeError, KeyError) as exc:  # as DRF's get_attribute: not a field quietly left out
            raise ValueError(
                f'Exception raised in callable attribute "{self.name}"; original exception was: {exc}'
            ) from exc


class _Reading:
    """One readable field as :meth:`ReadPlan.to_representation` reads it.

    ``field`` bound once for every instance, or ``method`` to call, or ``template`` to bind to
    each serializer that reads it.
    """

    __slots__ = ("field", "method", "name", "source", "template")

    def __init__(self, name: str, *, field=None, method=None, template=None) -> None:
        self.name, self.field, self.method, self.template = name, field, method, template
        if field is not None and len(field.source_attrs) == 1:
            self.source = _Source(field.source_attrs[0], many=type(field) is relations.ManyRelatedField)
        else:
            self.source = None


class ReadPlan:
    """Read an instance as DRF's ``Serializer.to_representation`` does, without making its fields per instance.

    DRF copies and binds every field of a serializer each time one is made, then reads through
    them: in an API case read, a dozen serializers and lists. Which fields a class has depends on
    the class only (its ``get_fields`` may not read the context), and most of them read nothing of
    the serializer they are bound to: those are bound once, to a detached instance of the class,
    and read every instance. A method field calls this serializer's method; any other (nested
    serializers, fields of other kinds, which may read the context) is copied and bound to this
    serializer, as DRF does, the first time it is needed. A serializer whose fields were built
    (``self.fields``: validating input builds them) reads as DRF does.
    """

    def to_representation(self, instance: Any) -> dict:
        if "fields" in self.__dict__:
            return super().to_representation(instance)
        ret = {}
        for reading in _plan(type(self)):
            name = reading.name
            if reading.method is not None:
                ret[name] = getattr(self, reading.method)(instance)
                continue
            field = reading.field or self._nrm_bound(reading)
            source = reading.source
            how = source.kind(instance) if source is not None else _BY_FIELD
            try:
                if how == _VALUE:
                    try:
                        attribute = getattr(instance, source.name)
                    except ObjectDoesNotExist:  # a deferred value of a row deleted meanwhile: None, as DRF
                        attribute = None
                elif how == _CALL:
                    attribute = source.call(instance)
                elif how == _RELATED:  # as ManyRelatedField.get_attribute: none before the row is saved
                    attribute = [] if instance.pk is None else loaded(instance, source.name)
                else:
                    attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        return ret

    @classmethod
    def read_many(cls, instances: Iterable[Any], *, context: dict | None = None) -> list[dict]:
        """Return what ``cls(instances, many=True, context=context).data`` holds, without a list serializer.

        DRF makes a serializer for the list and one for its items, each a field to initialise
        (its messages gathered from every class it derives from): one serializer reads them all.
        """
        reader = cls.reader(context=context)
        return [reader.to_representation(instance) for instance in instances]

    @classmethod
    def read_one(cls, instance: Any, *, context: dict | None = None) -> dict:
        """Return what ``cls(instance, context=context).data`` holds (a plain dict)."""
        reader = cls.reader(context=context)
        reader.instance = instance
        return reader.to_representation(instance)

    @classmethod
    def reader(cls, *, context: dict | None = None) -> ReadPlan:
        """Return a serializer of this class to read with: ``cls(context=context)``, made by copying.

        DRF's Field.__init__ gathers the error messages of every class a serializer derives from
        and sets a dozen attributes, the same for every serializer of the class: they are copied
        from one made once per class (a reader neither validates nor changes them).
        """
        made = cls.__dict__.get("_nrm_made")
        if made is None:
            made = cls()
            cls._nrm_made = made  # on this class itself: a subclass makes its own
        reader = object.__new__(cls)
        reader.__dict__.update(made.__dict__)
        # Fields bound to the one made here would read its context, not this reader's: never shared.
        reader.__dict__.pop("fields", None)
        reader.__dict__.pop("_nrm_bound_fields", None)
        reader._context = {} if context is None else context
        return reader

    def _nrm_bound(self, reading: _Reading) -> serializers.Field:
        bound = self.__dict__.setdefault("_nrm_bound_fields", {})
        field = bound.get(reading.name)
        if field is None:
            field = bound[reading.name] = _copy(reading.template)
            field.bind(reading.name, self)
        return field


def _plan(cls: type) -> list[_Reading]:
    plan = cls.__dict__.get("_nrm_plan")
    if plan is not None:
        return plan
    detached = cls.__new__(cls)
    serializers.BaseSerializer.__init__(detached)  # no instance, no context: the class's fields only
    plan = []
    for name, field in detached.get_fields().items():
        if field.write_only:
            continue
        if type(field) is serializers.SerializerMethodField:
            field.bind(name, detached)  # names its method
            plan.append(_Reading(name, method=field.method_name))
        elif _context_free(field):
            field.bind(name, detached)
            plan.append(_Reading(name, field=field))
        else:
            plan.append(_Reading(name, template=field))
    cls._nrm_plan = plan  # on this class itself: a subclass makes its own
    return plan


class Serializer(ReadPlan, serializers.Serializer):
    """DRF's Serializer, reading as :class:`ReadPlan` does."""


class ModelSerializer(ReadPlan, serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields built from the model once per class, then copied.

    DRF maps every model field to a serializer field (kwargs, validators, choices) each time a
    serializer is made: five of them in an API case read cost a fifth of the request. What it
    builds depends on the class and its Meta only, and the copy is what DRF binds per instance,
    as it does with declared fields. It reads as :class:`ReadPlan` does.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        fields = cls.__dict__.get("_nrm_fields")
        if fields is None:
            fields = super().get_fields()
            cls._nrm_fields = fields  # on this class itself: a subclass builds its own
        return {name: _copy(field) for name, field in fields.items()}
