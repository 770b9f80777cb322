"""Inserting many new rows at once, with the checks ``save()`` would have run.

Two ways: :func:`insert_many` takes model instances; :func:`insert_rows` takes tuples of
values, a column at a time, for generators that write hundreds of thousands of rows (building
an instance per row costs more than inserting it).

``QuerySet.bulk_create`` spends most of its time in the SQL compiler, preparing each value
through the generic field machinery. Here each field's preparation is chosen once per model:
plain values (text, numbers, flags, foreign keys) go to the driver as they are, the others
through the field. Each field's ``pre_save`` still runs (timestamps; encryption of
``EncryptedTextField``, bound to the row's binding set when the instance was built), and so
does ``check_record`` on every project record (``bulk_create`` sends no ``pre_save`` signal:
see ``nrm/core/apps.py``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateField, DateTimeField, JSONField, Model, UUIDField
from django.utils import timezone

from nrm.core.apps import UNCHECKED_APPS
from nrm.core.fields import EncryptedTextField
from nrm.core.prepared import maker
from nrm.core.validation import check_column, check_record, one_day

M = TypeVar("M", bound=Model)

# Values of these fields need no preparation for either database's driver.
PLAIN = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "BooleanField",
        "ForeignKey",
    }
)


def _preparer(field, conn) -> Callable | None:
    if field.get_internal_type() in PLAIN:
        return None
    return lambda value: field.get_db_prep_save(value, connection=conn)


def _stamped(field) -> bool:
    return isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add)


def insert_many(objs: Sequence[Model], *, batch_size: int = 500) -> None:
    """INSERT the new instances ``objs`` (all of one model) a batch per statement; set their primary keys.

    Raise ``ValidationError`` (from ``check_record``) before anything is written if any is refused.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    if model.__module__.startswith("nrm.") and meta.app_label not in UNCHECKED_APPS:
        for obj in objs:
            check_record(obj)
    conn = connections[DEFAULT_DB_ALIAS]  # the object itself, not the proxy, once per value
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    # Creation and modification times: one instant for the whole insert, prepared once.
    stamps = {f.attname: f.get_db_prep_save(now, connection=conn) for f in fields if _stamped(f)}
    prepare = [(f, _preparer(f, conn)) for f in fields if f.attname not in stamps]
    stamped = [f for f in fields if f.attname in stamps]
    fields = [f for f, _p in prepare] + stamped
    if conn.vendor == "postgresql":
        # COPY, as insert_rows: a multi-row INSERT costs psycopg more to parse on the client
        # than the server takes to insert it (about 1 ms per row of a case's width).
        rows = []
        for obj in objs:
            values = []
            for f, prep in prepare:
                value = f.pre_save(obj, True)
                values.append(value if prep is None or value is None else prep(value))
            for f in stamped:
                setattr(obj, f.attname, now)
                values.append(stamps[f.attname])
            rows.append(values)
        ids = _copy_rows(conn, meta, fields, rows, returning=True)
        for obj, id_ in zip(objs, ids, strict=True):
            obj.pk = id_
            obj._state.adding = False
            obj._state.db = conn.alias
        return
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        params: list = []
        for obj in batch:
            for f, prep in prepare:
                value = f.pre_save(obj, True)
                params.append(value if prep is None or value is None else prep(value))
            for f in stamped:
                setattr(obj, f.attname, now)
                params.append(stamps[f.attname])
        # Only the model's own table and column names are interpolated; values are parameters.
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608
            f"RETURNING {qn(pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [r[0] for r in cursor.fetchall()]
        # RETURNING gives the rows in the order of VALUES (bulk_create relies on it too).
        for obj, id_ in zip(batch, ids, strict=True):
            obj.pk = id_
            obj._state.adding = False
            obj._state.db = connection.alias


# Defaults that are callables yet give the same (empty) value each time: prepared once per insert.
CONSTANT_DEFAULTS = (list, dict, tuple, str)


def _column_preparer(field, conn) -> Callable | None:
    """Return the function giving ``field``'s values to the driver (None: as they are).

    The few common types get the backend's own adapter directly; the rest go through the field.
    """
    kind = field.get_internal_type()
    if kind in PLAIN:
        return None
    if isinstance(field, JSONField):
        # The JSON text, as adapt_json_value makes it on SQLite (json.dumps with the field's encoder),
        # one encoder per column; PostgreSQL's COPY reads the jsonb value from that text.
        return (field.encoder or json.JSONEncoder)().encode
    if isinstance(field, DateField) and not isinstance(field, DateTimeField):
        return conn.ops.adapt_datefield_value
    if isinstance(field, UUIDField) and not conn.features.has_native_uuid_field:
        return lambda value: value.hex
    if isinstance(field, UUIDField):
        return None
    return lambda value: field.get_db_prep_save(value, connection=conn)


def _encode_json(encode: Callable, values: list) -> list:
    """Return ``values`` encoded for the driver, a value given many times (the same object) encoded once.

    Generators share one dict among rows that hold the same JSON (a screening's reasons), and
    encoding is most of the cost of a JSON column. The values are alive until this returns, so
    no ``id`` is reused meanwhile.
    """
    memo: dict[int, object] = {}
    out = []
    for value in values:
        key = id(value)
        if key not in memo:
            memo[key] = None if value is None else encode(value)
        out.append(memo[key])
    return out


def _rows_per_statement(conn, width: int) -> int:
    """Return how many rows of ``width`` values one INSERT may carry (the driver's parameter limit)."""
    limit = 65535  # PostgreSQL's wire protocol
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        limit = conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(1000, limit // max(width, 1)))


def insert_rows(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence], *, returning: bool = False
) -> list[int]:
    """INSERT ``rows`` (one value per name of ``columns``, an attname such as ``case_id``) into ``model``'s table.

    Return the new primary keys in the order of ``rows`` if ``returning``, else []. Nothing is
    built per row but the tuple of values given to the driver:

    - checks: every column is checked once for the whole insert with
      :func:`~nrm.core.validation.check_column`, the checks ``check_record`` makes on every
      saved record of the project's apps (the same ``ValidationError`` naming the field, raised
      before anything is written), the columns left to their defaults too;
    - columns not named get their default, as a new instance would: creation and modification
      times one instant for the insert, a callable default (the row's ``binding``) called per
      row, any other default the same for every row;
    - ``EncryptedTextField`` values are plaintext, sealed here for their row's binding exactly as
      the field's ``pre_save`` seals them (:meth:`~nrm.core.fields.EncryptedTextField.to_stored`);
    - values are otherwise the Python values the model field takes (dates, dicts for JSON,
      primary keys for foreign keys).
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return []
    meta = model._meta
    conn = connections[DEFAULT_DB_ALIAS]
    by_attname = {f.attname: f for f in meta.concrete_fields}
    try:
        fields = [by_attname[name] for name in columns]
    except KeyError as exc:
        raise ValueError(f"{meta.label} has no column {exc.args[0]!r}") from None
    n = len(rows)
    cols = [list(values) for values in zip(*rows, strict=True)]
    if len(cols) != len(fields):
        raise ValueError(f"{meta.label}: rows of {len(cols)} values for {len(fields)} columns")
    now = timezone.now()
    constants: list[tuple] = []  # (field, value): the same for every row
    for f in meta.concrete_fields:
        if f is meta.pk or f.attname in columns:
            continue
        if _stamped(f):
            constants.append((f, now))
        elif f.has_default() and callable(f.default) and f.default not in CONSTANT_DEFAULTS:
            fields.append(f)
            cols.append([f.default() for _ in range(n)])
        else:
            constants.append((f, f.get_default()))
    if model.__module__.startswith("nrm.") and meta.app_label not in UNCHECKED_APPS:
        with one_day():  # a column of dates of birth checked against one today, read once
            for f, values in zip(fields, cols, strict=True):
                check_column(f, values)
            for f, value in constants:
                check_column(f, (value,))
    encrypted = [i for i, f in enumerate(fields) if isinstance(f, EncryptedTextField)]
    if encrypted:
        bindings = cols[[f.attname for f in fields].index("binding")]
        for i in encrypted:
            cols[i] = list(map(fields[i].to_stored, bindings, cols[i]))
    for i, f in enumerate(fields):
        prepare = _column_preparer(f, conn)
        if prepare is not None and isinstance(f, DateTimeField):
            memo: dict = {}  # an insert's timestamps are few (often one): each converted once
            cols[i] = [None if v is None else memo[v] if v in memo else memo.setdefault(v, prepare(v)) for v in cols[i]]
        elif prepare is not None and isinstance(f, JSONField):
            cols[i] = _encode_json(prepare, cols[i])
        elif prepare is not None:
            cols[i] = [None if v is None else prepare(v) for v in cols[i]]
    fixed = []
    for f, value in constants:
        prepare = _column_preparer(f, conn) if value is not None else None
        fixed.append(value if prepare is None else prepare(value))
    fields += [f for f, _v in constants]
    params = list(zip(*cols, *(repeat(v, n) for v in fixed), strict=False))
    if conn.vendor == "postgresql":
        return _copy_rows(conn, meta, fields, params, returning)
    qn = conn.ops.quote_name
    names = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["?"] * len(fields)) + ")"
    per = _rows_per_statement(conn, len(fields))
    # Only the model's own table and column names are interpolated; values are parameters.
    head = f"INSERT INTO {qn(meta.db_table)} ({names}) VALUES "  # noqa: S608
    tail = f" RETURNING {qn(meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with conn.cursor() as cursor:
        # The driver's own execute with SQLite's own placeholders: Django's turns each "%s" into "?"
        # with a regular expression over the statement, which costs as much as the insert.
        raw = cursor.cursor
        for start in range(0, n, per):
            batch = params[start : start + per]
            sql = head + ", ".join([row] * len(batch)) + tail
            with conn.wrap_database_errors:
                sqlite3.Cursor.execute(raw, sql, list(chain.from_iterable(batch)))
            if returning:
                # RETURNING gives the rows in the order of VALUES (bulk_create relies on it too).
                ids += [r[0] for r in raw.fetchall()]
    return ids


def new_instances(model: type[M], rows: Iterable[dict], *, db: str = DEFAULT_DB_ALIAS) -> list[M]:
    """Return an instance of ``model`` per row of values (by column name), as ``model(**row)`` builds it, marked saved.

    For rows written as tuples (:func:`insert_rows`) whose instances are still wanted: building each
    through ``Model.__init__``, a descriptor and a default per field, cost more than writing the
    row. A value not given is its field's default, drawn for each row as ``Model.__init__`` draws it
    (a new binding per row); a name that is not one of the model's columns is refused. The
    instances are made as loaded ones are (:func:`nrm.core.prepared.maker`), in ``db``.
    """
    columns = [(f.attname, f) for f in model._meta.concrete_fields]
    names = {name for name, _f in columns}
    make = maker(model, [name for name, _f in columns])
    made = []
    for row in rows:
        if not row.keys() <= names:
            unknown = sorted(row.keys() - names)[0]
            raise TypeError(f"{model.__name__} has no column {unknown!r}")
        made.append(make(db, [row[name] if name in row else field.get_default() for name, field in columns]))
    return made


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """Return ``n`` new primary keys of ``model``, ascending, for rows about to be inserted with them.

    So that what is derived from a key (a case's reference) is written with the row, not by an
    UPDATE of every row afterwards. PostgreSQL draws them from the table's sequence (theirs alone,
    whatever else inserts meanwhile). SQLite has no sequence to draw from: the keys follow the
    largest ever given (AUTOINCREMENT's ``sqlite_sequence``) or present, which is safe only inside
    a transaction, whose ``BEGIN IMMEDIATE`` holds the write lock until the rows are in.
    """
    if n <= 0:
        return []
    meta = model._meta
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, n],
            )
            return sorted(r[0] for r in cursor.fetchall())
        if not conn.in_atomic_block:
            raise RuntimeError("reserve_ids() on SQLite needs a transaction (it holds the write lock)")
        qn = conn.ops.quote_name
        cursor.execute(
            f"SELECT MAX(n) FROM (SELECT seq AS n FROM sqlite_sequence WHERE name = %s "  # noqa: S608 - the model's names
            f"UNION ALL SELECT MAX({qn(meta.pk.column)}) FROM {qn(meta.db_table)})",
            [meta.db_table],
        )
        last = cursor.fetchone()[0] or 0
    return list(range(last + 1, last + 1 + n))


def _copy_rows(conn, meta, fields: list, params: list[tuple], returning: bool) -> list[int]:
    """PostgreSQL: write ``params`` with COPY; with ``returning``, primary keys drawn first from the table's sequence.

    A multi-row INSERT is parsed and quoted by the driver on the client, placeholder by
    placeholder, at more cost than the insert; COPY streams the rows, and fires the table's
    statement triggers once, with every row in their transition table (the analytics counts).
    The keys are taken from the sequence in one statement, so they are this insert's alone,
    in the order of the rows.
    """
    qn = conn.ops.quote_name
    ids: list[int] = []
    with conn.cursor() as cursor:
        raw = cursor.cursor
        with conn.wrap_database_errors:
            if returning:
                raw.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(params)],
                )
                ids = [r[0] for r in raw.fetchall()]
                fields = [meta.pk, *fields]
                params = [(pk, *values) for pk, values in zip(ids, params, strict=True)]
            names = ", ".join(qn(f.column) for f in fields)
            with raw.copy(f"COPY {qn(meta.db_table)} ({names}) FROM STDIN") as copy:  # the model's own names
                for values in params:
                    copy.write_row(values)
    return ids
