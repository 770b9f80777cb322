"""Several relations of one record loaded in one SQL statement, as JSON arrays of rows.

``prefetch_related`` costs a statement (a round trip) per relation: a case page with seven
relations paid seven. Here each relation's queryset, built and restricted as before (its
``select_related`` and ``only`` included), is compiled by the ORM as usual; its select list is
then wrapped into one JSON array per row and the rows aggregated into one JSON array
(``json_group_array`` on SQLite, ``json_agg`` on PostgreSQL), and one ``SELECT (...), (...)``
carries every relation. The rows come back as model instances through Django's own
populators, placed where ``prefetch_related`` places them (``obj.<relation>.all()`` reads no
more). Encrypted fields stay sealed until read, as when loaded by the ORM.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import F, Func, Model, QuerySet, Subquery, TextField

from nrm.core.prepared import Carried, carrying, fetch, prepare, rows_plan

ROW = "_nrm_row"


@dataclass
class Relation:
    """A relation of the record to load: its accessor name and the queryset of its rows.

    ``to_attr``: the rows become a plain list in this attribute instead of the relation's
    prefetch cache (rows that are not the relation as shown, such as a rule's inputs).
    """

    name: str
    queryset: QuerySet
    to_attr: str | None = None


def _rows_sql(queryset: QuerySet, connection) -> tuple[str, list, Any]:
    """Return the SQL aggregating ``queryset``'s rows into one JSON text, its params and its compiler."""
    compiler = queryset.query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter such as ``pk__in=[]``: no rows, nothing to ask the database
        return "'[]'", [], compiler
    columns, json_columns = [], []
    for expression, (column, column_params), alias in compiler.select:
        if alias or column_params:
            raise ValueError("a relation's queryset selects fields only (no annotations)")
        columns.append(column)
        target = getattr(expression, "target", None)
        is_json = target is not None and target.get_internal_type() == "JSONField"
        # SQLite keeps JSON as text: json() embeds it as JSON rather than as a string.
        json_columns.append(f"json({column})" if is_json and connection.vendor == "sqlite" else column)
    # Only the ORM's compiled SQL and constant names are joined here; values stay parameters.
    head = "SELECT " + ", ".join(columns) + " FROM "  # noqa: S608
    if not sql.startswith(head):
        raise ValueError("unexpected SQL for a relation's queryset")
    if connection.vendor == "postgresql":
        row, aggregate = "json_build_array", f'coalesce(json_agg("_r"."{ROW}"), \'[]\')::text'
    else:
        row, aggregate = "json_array", f'coalesce(json_group_array(json("_r"."{ROW}")), \'[]\')'
    inner = f'SELECT {row}({", ".join(json_columns)}) AS "{ROW}" FROM ' + sql[len(head) :]  # noqa: S608
    # The aggregate reads the ordered subquery in its order on both databases.
    return f'(SELECT {aggregate} FROM ({inner}) "_r")', list(params), compiler  # noqa: S608


def _datetime(value: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(value)
    # fromisoformat gives a fixed offset or none: an offset makes it aware.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# The Python value of a column from its JSON form, as the ORM would give it, by field type.
_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": _datetime,
    "DateField": dt.date.fromisoformat,
    "BooleanField": bool,
    "UUIDField": lambda value: uuid.UUID(str(value)),
    "DecimalField": lambda value: decimal.Decimal(str(value)),
}


def _converter(field) -> Callable[[Any, Any], Any] | None:
    """Return how to turn one column's JSON value into the ORM's (value, connection), None if as it is."""
    kind = field.get_internal_type()
    if kind in _FROM_JSON:
        convert = _FROM_JSON[kind]
        return lambda value, _connection: None if value is None else convert(value)
    if kind == "JSONField":
        return None
    if hasattr(field, "from_db_value"):  # encrypted text stays sealed until read
        return lambda value, connection: None if value is None else field.from_db_value(value, None, connection)
    return None


def _json_converters(_compiler, columns: list) -> list[tuple[int, Callable[[Any, Any], Any]]]:
    """Return (position, converter) of the columns whose JSON value is not already the ORM's."""
    return [(i, convert) for i, c in enumerate(columns) if (convert := _converter(c.target)) is not None]


def _instances(compiler, rows: list[list], db: str, connection) -> list[Model]:
    """Build the rows' instances as ``ModelIterable`` does, their ``select_related`` objects included."""
    if not rows:
        return []
    plan = rows_plan(compiler, db, _json_converters, cache="_nrm_json_plan")
    make, start, end, converters, populators = plan
    out = []
    for row in rows:
        for i, convert in converters:
            row[i] = convert(row[i], connection)
        obj = make(db, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        out.append(obj)
    return out


def load_relations(obj: Model, relations: Sequence[Relation]) -> Model:
    """Load ``relations`` of ``obj`` in one statement, as ``prefetch_related`` would; return ``obj``."""
    sql, params, compilers = _statement(relations, connections[obj._state.db or "default"])
    return _load(obj, sql, params, [(r.name, r.to_attr) for r in relations], compilers)


def loaded(obj: Model, name: str) -> Iterable[Model]:
    """Return ``obj.<name>.all()``: the rows loaded with ``obj`` (here or by ``prefetch_related``), else a query.

    Reading a relation through its descriptor makes a related manager each time (its class's
    ``__init__``, its query's filters); the rows it would give back are in the prefetch cache.
    """
    cache = obj.__dict__.get("_prefetched_objects_cache")
    if cache is not None:
        rows = cache.get(name)
        if rows is not None:
            return rows
    return getattr(obj, name).all()


def release(obj: Model) -> None:
    """Let go of the rows loaded with ``obj``, once what shows them is built.

    Each row points back at ``obj`` (``episode.case`` reads no more), so ``obj`` and its rows are
    a cycle, which only Python's cyclic collector frees: an API case read left it 292 objects, 176
    with the case released, and its runs took 5% of a read, 3% so. Released, the rows go as the
    request ends, decrypted values with them. Call it last: a relation of ``obj`` read afterwards
    (``loaded``) is asked of the database through its manager, outside the access rule that
    loaded it.
    """
    obj.__dict__.pop("_prefetched_objects_cache", None)


# The id of no record: the probe :func:`nrm.core.prepared.prepare` compiles beside a real one.
PROBE_PK = -987654321


def load_relations_prepared(
    obj: Model,
    build: Callable[[Model], Sequence[Relation]],
    *,
    key: Hashable,
    vary: Sequence[str] = (),
    carried: Carried | None = None,
) -> Model:
    """Load ``build(obj)``'s relations as :func:`load_relations` does, compiled once per ``key``.

    ``key`` holds everything ``build`` reads besides ``obj``'s id and its fields named in
    ``vary`` (such as a case's owner), which the statement takes as parameters: those are set
    to probes on the copy of ``obj`` it is compiled beside (see :mod:`nrm.core.prepared`).
    ``carried``: a write the statement makes too (PostgreSQL; a read's audit row).
    """
    connection = connections[obj._state.db or "default"]
    varying = ("pk", *vary)
    values = tuple(getattr(obj, name) for name in varying)
    probes = tuple(PROBE_PK - i for i in range(len(varying)))

    def compile_for(these: tuple) -> tuple[str, list, tuple]:
        if these == values:
            relations = build(obj)
        else:  # the probe: a copy of obj holding the probes (made only when the statement is compiled)
            probe = copy.copy(obj)
            for name, probe_value in zip(varying, these, strict=True):
                setattr(probe, name, probe_value)
            relations = build(probe)
        sql, params, compilers = _statement(relations, connection)
        return sql, params, ([(r.name, r.to_attr) for r in relations], compilers)

    sql, params, (names, compilers) = prepare((key, connection.alias), compile_for, values, probes, db=connection.alias)
    return _load(obj, sql, params, names, compilers, carried)


def _statement(relations: Sequence[Relation], connection) -> tuple[str, list, list]:
    parts, params, compilers = [], [], []
    for relation in relations:
        sql, relation_params, compiler = _rows_sql(relation.queryset, connection)
        parts.append(sql)
        params += relation_params
        compilers.append(compiler)
    return "SELECT " + ", ".join(parts), params, compilers


def _one_row(cursor) -> tuple:
    return cursor.fetchone()


def _load(
    obj: Model,
    sql: str,
    params: list,
    names: list[tuple[str, str | None]],
    compilers: list,
    carried: Carried | None = None,
) -> Model:
    db = obj._state.db or "default"
    connection = connections[db]
    if carried is None:
        values = fetch(db, sql, params, _one_row)
    else:
        written, *values = fetch(db, carrying(carried, sql), [*carried.params, *params], _one_row, writes=True)
        if written != carried.rows:  # nothing is shown without what it carried
            raise DatabaseError(f"the read wrote {written} of the {carried.rows} rows it carried")
        carried.done = True
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    for (name, to_attr), compiler, text in zip(names, compilers, values, strict=True):
        if text == "[]":  # no rows (the aggregate's coalesce on both databases): half a case read's relations
            instances = []
        else:
            rows = json.loads(text) if isinstance(text, str) else text
            instances = _instances(compiler, rows, db, connection)
        if to_attr:
            setattr(obj, to_attr, instances)
            continue
        model, back = _relation_of(type(obj), name, obj)
        if back is not None:  # a reverse foreign key: each row points back to obj
            for instance in instances:
                back.set_cached_value(instance, obj)
        cache[name] = _LoadedRows(obj, name, model, instances, db)
    return obj


# (class, accessor) -> the related model and, for a reverse foreign key, the field pointing back.
_RELATIONS: dict[tuple[type, str], tuple[type[Model], Any]] = {}


def _relation_of(cls: type[Model], name: str, obj: Model) -> tuple[type[Model], Any]:
    """What a relation's manager tells, asked once per class: making a manager per relation and read cost more."""
    found = _RELATIONS.get((cls, name))
    if found is None:
        manager = getattr(obj, name)
        found = _RELATIONS[(cls, name)] = (manager.model, getattr(manager, "field", None))
    return found


# What a QuerySet's query is until it is built: a placeholder the ``query`` property replaces.
_UNBUILT = object()


class _LoadedRows(QuerySet):
    """A relation's rows as loaded, where ``prefetch_related`` puts its queryset.

    Iterating, counting or testing it reads no more. Its query, the relation's filter as the
    related manager builds it, is built only when something refines it (``.filter()`` on the
    prefetched relation asks the database again, as with ``prefetch_related``): building it, and
    the manager, for each of a case's dozen relations, unused, was a tenth of a case read.
    """

    def __init__(
        self, owner=None, name=None, model=None, instances=None, db=None, *, query=None, using=None, hints=None
    ):
        if name is not None:  # loaded rows
            super().__init__(model=model, query=_UNBUILT, using=db, hints={"instance": owner})
            self._nrm_relation = (owner, name)
            self._result_cache = instances
            self._prefetch_done = True
        else:  # a clone (``_clone`` passes the model, the query, resolved, by keyword)
            super().__init__(model=model, query=query, using=using, hints=hints)
            self._nrm_relation = None

    def _resolve(self) -> None:
        (owner, name), self._nrm_relation = self._nrm_relation, None
        manager = getattr(owner, name)
        # The manager's own queryset, not the loaded rows its cache now holds.
        base = super(type(manager), manager).get_queryset()
        built = manager._apply_rel_filters(base)
        for attr in ("_query", "_db", "_hints", "_known_related_objects", "_sticky_filter", "_deferred_filter"):
            setattr(self, attr, getattr(built, attr))
        self._defer_next_filter = False

    def __deepcopy__(self, memo):
        if self._nrm_relation is not None:  # a copy holds the query, not the loaded record
            self._resolve()
        return super().__deepcopy__(memo)

    def __getstate__(self):
        if self._nrm_relation is not None:  # pickled with its query, not the loaded record
            self._resolve()
        return super().__getstate__()

    @property
    def query(self):
        if self._nrm_relation is not None:
            self._resolve()
        return QuerySet.query.fget(self)

    @query.setter
    def query(self, value) -> None:
        self._nrm_relation = None
        QuerySet.query.fset(self, value)


class _Row(Func):
    """One row as a JSON array of its columns."""

    function = "json_array"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="json_build_array", **extra)


class _Rows(Subquery):
    """The rows of a queryset as one JSON text, in the queryset's order."""

    output_field = TextField()
    template = f'(SELECT coalesce(json_group_array(json("_r"."{ROW}")), \'[]\') FROM (%(subquery)s) "_r")'  # noqa: S608

    def as_postgresql(self, compiler, connection, **extra):
        template = f'(SELECT coalesce(json_agg("_r"."{ROW}"), \'[]\')::text FROM (%(subquery)s) "_r")'  # noqa: S608
        return self.as_sql(compiler, connection, template=template, **extra)


def values_expression(queryset: QuerySet, columns: Sequence[str]) -> Subquery:
    """Return the ``columns`` of ``queryset``'s rows as one JSON expression, to annotate on another query.

    Plain values only (numbers, texts, booleans); :func:`values_rows` reads it back.
    """
    return _Rows(queryset.annotate(**{ROW: _Row(*(F(c) for c in columns))}).values(ROW))


def values_rows(value: str | list) -> list[tuple]:
    """Return the rows of a :func:`values_expression`, as tuples."""
    rows = json.loads(value) if isinstance(value, str) else value
    return [tuple(row) for row in rows]
