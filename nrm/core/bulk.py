"""Inserting many new rows at once, with the checks ``save()`` would have run.

``QuerySet.bulk_create`` spends most of its time in the SQL compiler, preparing each value
through the generic field machinery. Here each field's preparation is chosen once per model:
plain values (text, numbers, flags, foreign keys) go to the driver as they are, the others
through the field. Each field's ``pre_save`` still runs (timestamps; encryption of
``EncryptedTextField``, bound to the row's binding set when the instance was built), and so
does ``check_record`` on every project record (``bulk_create`` sends no ``pre_save`` signal:
see ``nrm/core/apps.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateTimeField, Model
from django.utils import timezone

from nrm.core.apps import UNCHECKED_APPS
from nrm.core.validation import check_record

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
