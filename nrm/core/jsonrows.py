"""Several relations of one record loaded in one SQL statement, as JSON arrays of rows.

``prefetch_related`` costs a statement (a round trip and a compilation) per relation: a case
page with seven relations paid seven. Here each relation's queryset, built and restricted as
before, becomes a scalar subquery that aggregates its rows into one JSON array
(``json_group_array`` on SQLite, ``json_agg`` on PostgreSQL); one SELECT carries them all, and
:func:`load_relations` turns the rows back into model instances through the fields' own
conversions, placed where ``prefetch_related`` places them (``obj.<relation>.all()`` reads no
more). Encrypted fields stay sealed until read, as when loaded by the ORM.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection as default_connection
from django.db.models import F, Func, JSONField, Model, QuerySet, Subquery, TextField
from django.utils import timezone

ROW = "_nrm_row"


class _Row(Func):
    """One row as a JSON array of its columns."""

    function = "json_array"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="json_build_array", **extra)


class _AsJSON(Func):
    """A JSON column embedded as JSON, not as its text (SQLite stores JSON as text)."""

    function = "json"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])


class _Rows(Subquery):
    """The rows of a queryset as one JSON text: ``[[col, ...], ...]`` in the queryset's order."""

    output_field = TextField()
    # The aggregate reads the ordered subquery in its order on both databases.
    template = f'(SELECT coalesce(json_group_array(json("_r"."{ROW}")), \'[]\') FROM (%(subquery)s) "_r")'

    def as_postgresql(self, compiler, connection, **extra):
        template = f'(SELECT coalesce(json_agg("_r"."{ROW}"), \'[]\')::text FROM (%(subquery)s) "_r")'
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass
class Relation:
    """A relation of the record to load: its accessor name, its queryset, the to-one relations to join.

    ``related`` maps a to-one relation of the rows (``"to_org"``) to the fields to load of it
    (``None``: all); a relation joined through another is written ``"to_org__type"``.
    """

    name: str
    queryset: QuerySet
    # The fields of the rows to load (``None``: all); the others are deferred.
    fields: Sequence[str] | None = None
    related: dict[str, Sequence[str] | None] = field(default_factory=dict)
    # Set: the rows become a plain list in this attribute instead of the relation's prefetch cache.
    to_attr: str | None = None

    def _models(self) -> list[tuple[str, type[Model], list]]:
        """Return (path, model, concrete fields) of the rows' model and of each joined relation."""
        own = self.queryset.model._meta.concrete_fields
        out = [
            ("", self.queryset.model, [f for f in own if self.fields is None or f.name in self.fields or f.primary_key])
        ]
        for path, names in self.related.items():
            model = self.queryset.model
            for part in path.split("__"):
                model = model._meta.get_field(part).related_model
            fields = [f for f in model._meta.concrete_fields if names is None or f.name in names or f.primary_key]
            out.append((path, model, fields))
        return out

    def expression(self) -> _Rows:
        columns = []
        for path, _model, fields in self._models():
            for f in fields:
                ref = F(f"{path}__{f.attname}" if path else f.attname)
                columns.append(_AsJSON(ref) if isinstance(f, JSONField) else ref)
        return _Rows(self.queryset.annotate(**{ROW: _Row(*columns)}).values(ROW))


def _python(f, value: Any, connection) -> Any:
    """Return the Python value of one field from its JSON form, as the ORM would give it."""
    if value is None:
        return None
    kind = f.get_internal_type()
    if kind == "DateTimeField":
        value = dt.datetime.fromisoformat(value)
        return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    if kind == "DateField":
        return dt.date.fromisoformat(value)
    if kind == "BooleanField":
        return bool(value)
    if kind == "UUIDField":
        return uuid.UUID(str(value))
    if kind == "DecimalField":
        return decimal.Decimal(str(value))
    if kind == "JSONField":
        return value
    if hasattr(f, "from_db_value"):
        return f.from_db_value(value, None, connection)
    return value


def _instances(relation: Relation, rows: list[list], connection) -> list[Model]:
    models = relation._models()
    out = []
    for row in rows:
        at = 0
        built: dict[str, Model | None] = {}
        for path, model, fields in models:
            values = [_python(f, v, connection) for f, v in zip(fields, row[at : at + len(fields)], strict=True)]
            at += len(fields)
            pk = values[[f.primary_key for f in fields].index(True)]
            built[path] = None if pk is None else model.from_db(connection.alias, [f.attname for f in fields], values)
        for path in relation.related:
            parent_path, _, last = path.rpartition("__")
            parent = built[parent_path]
            if parent is not None:
                parent._meta.get_field(last).set_cached_value(parent, built[path])
        out.append(built[""])
    return out


def load_relations(obj: Model, queryset: QuerySet, relations: Sequence[Relation]) -> Model:
    """Load ``relations`` of ``obj`` (a row of ``queryset``) in one statement, as ``prefetch_related`` would.

    ``queryset`` may carry annotations of its own; they are set on ``obj``. Returns ``obj``.
    """
    annotations = {f"_nrm_rel_{i}": r.expression() for i, r in enumerate(relations)}
    names = list(queryset.query.annotations)
    values = queryset.filter(pk=obj.pk).annotate(**annotations).values(*names, *annotations).get()
    connection = default_connection
    for name in names:
        setattr(obj, name, values[name])
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    for i, relation in enumerate(relations):
        text = values[f"_nrm_rel_{i}"]
        rows = json.loads(text) if isinstance(text, str) else text
        instances = _instances(relation, rows, connection)
        if relation.to_attr:
            setattr(obj, relation.to_attr, instances)
            continue
        manager = getattr(obj, relation.name)
        back = getattr(manager, "field", None)  # a reverse foreign key: each row points back to obj
        if back is not None:
            for instance in instances:
                back.set_cached_value(instance, obj)
        qs = manager.get_queryset()
        qs._result_cache = instances
        qs._prefetch_done = True
        cache[relation.name] = qs
    return obj


def values_expression(queryset: QuerySet, columns: Sequence[str]) -> _Rows:
    """Return the ``columns`` of ``queryset``'s rows as one JSON expression, to annotate on another query.

    Plain values only (numbers, texts, booleans); :func:`values_rows` reads it back.
    """
    return _Rows(queryset.annotate(**{ROW: _Row(*(F(c) for c in columns))}).values(ROW))


def values_rows(value: str | list) -> list[tuple]:
    """Return the rows of a :func:`values_expression`, as tuples."""
    rows = json.loads(value) if isinstance(value, str) else value
    return [tuple(row) for row in rows]
