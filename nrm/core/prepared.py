"""Statements of the hot reads compiled once per process, not once per request.

Building a queryset and compiling it (the ORM's SQL compiler) cost most of an audited case
read's time; the statement is the same from one request to the next but for one value (the
case's id, the token's hash). :func:`prepare` compiles ``compile_for(value)`` once per ``key``,
also for a probe value, and keeps the SQL with its parameters, noting which of them is the
value (those that differ between the two); later calls only put the value in. The key must
hold everything else the statement depends on (the reader's memberships, the case's owner...):
whoever builds the key names those inputs, and ``nrm/core/tests/test_prepared.py`` checks that
a prepared statement is the one compiled afresh. The querysets still come from the selectors and
the access rule; only their compilation is remembered.

On PostgreSQL the database plans each statement too, every time it gets its text: 3 ms of an
API case read (2.3 ms for the relations statement alone, which runs in 1.4). A remembered
statement is therefore also prepared on the server (:func:`statement_cursor`), once per
connection, so the database plans it once as well. Not behind PgBouncer in transaction mode
(``NRM_DB_POOL=pgbouncer``), where a prepared statement would not outlive its transaction.
"""

from __future__ import annotations

import collections
import contextlib
import re
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import RelatedPopulator
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from nrm.core.fields import EncryptedAttribute

if TYPE_CHECKING:
    from nrm.core.listened import ListenedRows

T = TypeVar("T")
# Bound on remembered statements per process (keys name readers: a busy server has a few thousand).
MAX_STATEMENTS = 4096
_statements: dict[Hashable, tuple[str, list, list[int], Any]] = {}
_remembered_sql: set[str] = set()  # their texts (a string keeps its hash: the lookup is cheap)
_lock = threading.Lock()


def prepare(
    key: Hashable,
    compile_for: Callable[[Any], tuple[str, list, T]],
    value: Any,
    probe: Any,
    *,
    db: str | None = None,
) -> tuple[str, list, T]:
    """Return ``compile_for(value)``: SQL, parameters and what else it returns (its compilers).

    Compiled once per ``key``; ``probe`` is a value of the same kind that no real row has.
    ``value`` may be a tuple of several values (a case's id and its owner's), ``probe`` then a
    tuple of as many probes, all different: each slot is then the value whose probe it holds.
    A statement whose SQL depends on the value, or whose value slots do not hold a value
    itself, is not remembered (compiled every time, as before). On SQLite (``db``, by default
    the database of the compiler ``compile_for`` returns) the remembered statement's constants
    are written into its text (:func:`_inline_constants`).
    """
    values, probes = (value, probe) if isinstance(value, tuple) else ((value,), (probe,))
    found = _statements.get(key)
    if found is not None:
        sql, template, slots, extra = found
        params = list(template)
        for i, k in slots:
            params[i] = values[k]
        return sql, params, extra
    sql, params, extra = compile_for(value)
    probe_sql, probe_params, _extra = compile_for(probe)
    if probe_sql == sql and len(probe_params) == len(params):
        slots = _slots(params, probe_params, values, probes)
        if slots:
            if connections[db or getattr(extra, "using", DEFAULT_DB_ALIAS)].vendor == "sqlite":
                sql, params, slots = _inline_constants(sql, params, slots)
            with _lock:
                if len(_statements) >= MAX_STATEMENTS:
                    _statements.clear()
                    _remembered_sql.clear()
                _statements[key] = (sql, list(params), slots, extra)
                _remembered_sql.add(sql)
    return sql, list(params), extra


_PLACEHOLDER = re.compile(r"(?<!%)%s")  # as Django's SQLite backend finds them (``%%`` is a percent sign)


def _literal(value: Any) -> str | None:
    """Return ``value`` as an SQLite literal in Django's ``%s`` format, or None to keep it a parameter."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)  # an IntegerChoices member too: its number
    if isinstance(value, str) and "\x00" not in value:
        text = str.__str__(value)  # a TextChoices member too: its text
        return "'" + text.replace("'", "''").replace("%", "%%") + "'"
    return None


def _inline_constants(sql: str, params: list, slots: list[tuple[int, int]]) -> tuple[str, list, list[tuple[int, int]]]:
    """Write a remembered statement's constant parameters (numbers, texts) into its text, SQLite only.

    SQLite prepares a statement again, every time it is run, when its plan looked at a bound
    value: a partial index's condition (``status = 'pending'``) tested against ``status = ?``.
    The case read's relations statement was prepared anew on each read for its transfers' status
    (0.8 ms of its 1 ms). What stays a parameter is the statement's values (the slots: ids that
    change from call to call) and what is neither a number nor a text. The constants are the
    statement's own, the same for every call under its key (:func:`prepare`).
    """
    matches = list(_PLACEHOLDER.finditer(sql))
    if len(matches) != len(params):
        return sql, params, slots  # placeholders and parameters do not pair up: left as it was
    value_of = dict(slots)  # parameter -> the value it holds
    pieces, kept, new_slots, last = [], [], [], 0
    for i, match in enumerate(matches):
        literal = None if i in value_of else _literal(params[i])
        if literal is None:
            if i in value_of:
                new_slots.append((len(kept), value_of[i]))
            kept.append(params[i])
            continue
        pieces += [sql[last : match.start()], literal]
        last = match.end()
    pieces.append(sql[last:])
    return "".join(pieces), kept, new_slots


def _slots(params: list, probe_params: list, values: tuple, probes: tuple) -> list[tuple[int, int]] | None:
    """Return (parameter, value) pairs: where ``params`` hold value k and the probe's statement probe k.

    None if a parameter differs in any other way (derived from a value, not the value itself).
    """
    slots = []
    for i, (a, b) in enumerate(zip(params, probe_params, strict=True)):
        if a == b:
            continue
        k = next((k for k, (v, p) in enumerate(zip(values, probes, strict=True)) if a == v and b == p), None)
        if k is None:
            return None
        slots.append((i, k))
    return slots


_preparing_cursor = None
_remembering_cursor = None
# psycopg's threshold (executions before a statement is prepared of itself): never reached.
NEVER_BY_COUNT = 2**31 - 1


def _preparing_cursor_class():
    """Django's server-binding cursor, made to prepare every statement it runs (PostgreSQL only)."""
    global _preparing_cursor
    if _preparing_cursor is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparingCursor(ServerBindingCursor):
            _query_cls = _remembered_query_class() or ServerBindingCursor._query_cls

            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

            def _send_query_prepared(self, name, pgq, *, binary=None):
                # Django logs (and the suite counts) the statement from ``_query``, which psycopg
                # sets for a statement sent as text only.
                self._query = pgq
                return super()._send_query_prepared(name, pgq, binary=binary)

        _preparing_cursor = PreparingCursor
    return _preparing_cursor


def _remembered_query_class():
    """psycopg's query, its conversion (``%s`` to ``$1``...) kept per remembered statement; None if psycopg has changed.

    psycopg keeps the conversions of statements under 4 KB only; the case's relations statement
    (19 KB) was converted again on every read, 0.12 ms of a PostgreSQL case read. A remembered
    statement's text never changes. This reads psycopg's own conversion and the attributes it
    sets (``PostgresQuery.convert``); if a release renames them, statements convert as before.
    """
    try:
        from psycopg._queries import PostgresQuery, _query2pg_nocache
    except ImportError:
        return None
    if not {"query", "_want_formats", "_order", "_parts"} <= set(PostgresQuery.__slots__):
        return None
    converted: dict[tuple[str, str], tuple] = {}

    class RememberedQuery(PostgresQuery):
        __slots__ = ()

        def convert(self, query, vars) -> None:
            if vars is None or not isinstance(query, str):
                return super().convert(query, vars)
            encoding = self._tx.encoding
            found = converted.get((query, encoding))
            if found is None:
                if len(converted) >= MAX_STATEMENTS:
                    converted.clear()
                found = converted[(query, encoding)] = _query2pg_nocache(query.encode(encoding), encoding)
            self.query, self._want_formats, self._order, self._parts = found
            self.dump(vars)
            return None

    return RememberedQuery


def _remembering_cursor_class():
    """Django's SQLite cursor, keeping the qmark form of the remembered statements' texts (SQLite only).

    Django turns ``%s`` into ``?`` with a regular expression on every execution: 0.2 ms of an API
    case read for its 17 KB relations statement, whose text never changes.
    """
    global _remembering_cursor
    if _remembering_cursor is None:
        from django.db.backends.sqlite3.base import SQLiteCursorWrapper

        converted: dict[str, str] = {}

        class RememberingCursor(SQLiteCursorWrapper):
            def convert_query(self, query, *, param_names=None):
                if param_names is not None or query not in _remembered_sql:
                    return super().convert_query(query, param_names=param_names)
                found = converted.get(query)
                if found is None:
                    if len(converted) >= MAX_STATEMENTS:
                        converted.clear()
                    found = converted[query] = super().convert_query(query)
                return found

        _remembering_cursor = RememberingCursor
    return _remembering_cursor


@contextlib.contextmanager
def statement_cursor(db: str, sql: str) -> Iterator[Any]:
    """Return a cursor to run ``sql`` on: for a remembered statement on PostgreSQL, one that prepares it on the server.

    The database keeps a prepared statement's plan for the connection's life (psycopg remembers
    the last 100 per connection), and connections live on (``CONN_MAX_AGE`` or the pool). The
    cursor is the driver's own where nothing watches the statements (:func:`_unwatched`), its
    errors still Django's; else wrapped as Django wraps its own, so the statements are counted
    and logged alike. Otherwise (a statement compiled for this call only, SQLite, PgBouncer in
    transaction mode) an ordinary cursor.
    """
    connection = connections[db]
    remembered = sql in _remembered_sql
    if remembered and connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection.cursor(factory=_remembering_cursor_class())
        with contextlib.closing(connection._prepare_cursor(raw)) as cursor:
            yield cursor
        return
    if not remembered or connection.vendor != "postgresql" or not settings.NRM_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    if _unwatched(connection):
        connection.validate_thread_sharing()
        with connection.wrap_database_errors:  # Django's errors, as its wrapper raises them
            yield _kept_cursor(connection, sql)
        return
    # Django checks a kept connection before a request's first statement (CONN_HEALTH_CHECKS) in
    # its own cursor(); this one is the driver's, and usually that first statement: check here, or
    # a connection the server dropped fails the request instead of being replaced.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django's default (None) refuses even a requested preparation; other statements go
        # through client-side binding cursors, which never prepare whatever the threshold.
        connection.connection.prepare_threshold = NEVER_BY_COUNT
    yield connection._prepare_cursor(_kept_cursor(connection, sql))


# Driver cursors kept per connection, one per remembered statement, the most recently used.
KEPT_CURSORS = 32


def _kept_cursor(connection, sql: str):
    """The connection's driver cursor for ``sql``, made once and kept while the connection lasts.

    psycopg makes a cursor's adapters and its result's loaders anew for each cursor, and for
    each statement unless it runs the same one again: a kept cursor per statement runs it with
    what it made the last time. Bounded (a cursor keeps its last result until its next run).
    """
    driver = connection.connection
    kept = connection.__dict__.get("_nrm_kept_cursors")
    if kept is None or kept[0] is not driver:
        kept = connection.__dict__["_nrm_kept_cursors"] = (driver, collections.OrderedDict())
    cursors = kept[1]
    cursor = cursors.get(sql)
    if cursor is None or cursor.closed:
        cursor = cursors[sql] = _preparing_cursor_class()(driver)
        while len(cursors) > KEPT_CURSORS:
            cursors.popitem(last=False)[1].close()
    else:
        cursors.move_to_end(sql)
    return cursor


def remember(sql: str) -> str:
    """Have a statement the application writes itself, fixed text and values as parameters, run as remembered ones are.

    On PostgreSQL it is then prepared on the server once per connection, its placeholders
    converted once per process (:func:`statement_cursor`): the audited read's audit row, an
    INSERT written out once (``nrm.audit.services``), went through Django's client-side binding,
    its text converted and its values quoted one by one on every read.
    """
    if sql not in _remembered_sql:
        with _lock:
            _remembered_sql.add(sql)
    return sql


def forget() -> None:
    """Forget every prepared statement (tests; a schema change in a running process)."""
    with _lock:
        _statements.clear()
        _remembered_sql.clear()
        _carrying.clear()


def compiled(queryset: QuerySet) -> tuple[str, list, Any]:
    """Return the SQL, parameters and compiler of ``queryset`` (a ``compile_for`` of :func:`prepare`)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return sql, list(params), compiler


def rows_plan(compiler, db: str, converters: Callable[[Any, list], Any], *, cache: str) -> tuple:
    """Return what building instances from ``compiler``'s rows needs: worked out once per compiler and database.

    How to make the model's instance of a row's values (:func:`maker`), where they are in a row,
    ``converters(compiler, columns)`` (of the selected expressions) and Django's populators of the
    joined rows. A remembered statement keeps its compiler, so later reads ask no column's field
    again (a case row with its joined rows has a hundred columns). Kept on the compiler under
    ``cache``.
    """
    plan = compiler.__dict__.get(cache)
    if plan is None or plan[0] != db:
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        model_cls = klass_info["model"]
        init_list = [s[0].target.attname for s in select[start:end]]
        plan = (
            db,
            maker(model_cls, init_list),
            start,
            end,
            converters(compiler, [s[0] for s in select[0 : compiler.col_count]]),
            _populators(klass_info, select, db),
        )
        setattr(compiler, cache, plan)
    return plan[1:]


# The descriptors of concrete fields that store a value set on a new instance as it is.
PLAIN_ATTRIBUTES = frozenset({DeferredAttribute, ForeignKeyDeferredAttribute, EncryptedAttribute})


def maker(model_cls: type[Model], init_list: list[str]) -> Callable[[str, Any], Model]:
    """Return ``make(db, values)``: ``model_cls.from_db(db, init_list, values)``, or its result made directly.

    ``Model.__init__`` sets each value through its field's descriptor and sends ``pre_init`` and
    ``post_init``: for a model with neither receivers nor an ``__init__`` or ``from_db`` of its
    own, whose fields' descriptors store a value as given (Django's, and the encrypted field's,
    which on a new instance does the same), the values go into the instance's dictionary at
    once. A fifth of building a case's rows.
    """

    def from_db(db: str, values: Any) -> Model:
        return model_cls.from_db(db, init_list, values)

    plain = model_cls.__init__ is Model.__init__ and model_cls.from_db.__func__ is Model.from_db.__func__
    plain = plain and all(type(model_cls.__dict__.get(name)) in PLAIN_ATTRIBUTES for name in init_list)
    if not plain:
        return from_db
    new = object.__new__

    def make(db: str, values: Any) -> Model:
        # No receiver of either signal at all (the lists' truth, before asking for this model's).
        if (pre_init.receivers or post_init.receivers) and (
            pre_init.has_listeners(model_cls) or post_init.has_listeners(model_cls)
        ):
            return from_db(db, values)
        obj = new(model_cls)
        state = ModelState()
        state.adding = False
        state.db = db
        obj.__dict__.update(zip(init_list, values, strict=True), _state=state)
        return obj

    return make


class _Populator(RelatedPopulator):
    """Django's populator of a ``select_related`` model, its instances made by :func:`maker`.

    Django's calls ``from_db`` (``Model.__init__``) for each joined row: a case read joins a
    handful of organisations and users.
    """

    def __init__(self, klass_info: dict, select: list, db: str) -> None:
        super().__init__(klass_info, select, db)
        self.related_populators = _populators(klass_info, select, db)
        self.make = maker(self.model_cls, self.init_list)

    def populate(self, row: Any, from_obj: Model) -> None:
        obj_data = self.reorder_for_init(row) if self.reorder_for_init else row[self.cols_start : self.cols_end]
        if obj_data[self.pk_idx] is None:
            obj = None
        else:
            obj = self.make(self.db, obj_data)
            for related in self.related_populators:
                related.populate(row, obj)
        self.local_setter(from_obj, obj)
        if obj is not None:
            self.remote_setter(obj, from_obj)


def _populators(klass_info: dict, select: list, db: str) -> list[_Populator]:
    """What ``get_related_populators`` returns, each a :class:`_Populator`."""
    return [_Populator(related, select, db) for related in klass_info.get("related_klass_infos", [])]


def _db_converters(compiler, columns: list) -> dict:
    """Return the database's converters of ``columns``, as ``results_iter`` asks them."""
    if compiler.has_composite_fields(columns):
        raise ValueError("a prepared statement selects no composite primary key")
    return compiler.get_converters(columns)


def instances(compiler, rows: list[tuple], db: str) -> list[Model]:
    """Build model instances from ``rows`` of ``compiler``'s statement, as ``ModelIterable`` does.

    Its ``select_related`` objects and annotations included.
    """
    if not rows:
        return []
    plan = rows_plan(compiler, db, _db_converters, cache="_nrm_rows_plan")
    make, start, end, converters, populators = plan
    annotation_col_map = compiler.annotation_col_map
    if converters:
        rows = compiler.apply_converters(rows, converters)
    out = []
    for row in rows:
        obj = make(db, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotation_col_map.items():
            setattr(obj, name, row[position])
        out.append(obj)
    return out


def fetch(db: str, sql: str, params: list, how: Callable[[Any], T], *, writes: bool = False) -> T:
    """Run the read ``sql`` on its :func:`statement_cursor` and return ``how(cursor)`` (its rows).

    A kept connection's first statement of a request is its health check (``CONN_HEALTH_CHECKS``)
    when it is a remembered read on PostgreSQL, outside any transaction: instead of a ``SELECT 1``
    before it, a round trip of every API request, the read itself, run again once on a new
    connection if the one kept had been dropped (the server restarted, a proxy closed it). A
    read run twice changes nothing. Anywhere else (a write, such as a read carrying one
    (``writes``), or in a transaction) Django's check runs.

    ``how`` gets the cursor :func:`statement_cursor` gives: it reads rows, nothing else.
    """
    connection = connections[db]

    def run() -> T:
        with statement_cursor(db, sql) as cursor:
            cursor.execute(sql, params)
            return how(cursor)

    if (
        connection.connection is not None
        and not writes
        and connection.health_check_enabled
        and not connection.health_check_done
        and connection.vendor == "postgresql"
        and sql in _remembered_sql
        and connection.get_autocommit()
        and not connection.in_atomic_block
    ):
        connection.health_check_done = True  # this read is the check
        try:
            return run()
        except (OperationalError, InterfaceError):
            if connection.is_usable():
                raise  # the connection works: the statement failed of itself
            connection.close()  # dropped: once more, on a new connection
    return run()


def _unwatched(connection) -> bool:
    """Whether a remembered statement may run on its kept driver cursor without Django's wrapper around it.

    The wrapper (a new one per statement, and per ``fetchone``: each call wrapped anew for its
    errors) cost 25 microseconds a statement, a twentieth of an API case read's own time on
    PostgreSQL. It does more only when something watches: ``execute_wrapper`` hooks, the debug
    cursor (``DEBUG``, the tests' query counts), a transaction to roll back, or a connection
    still to check, open or prepare for preparing (:func:`statement_cursor` does those).
    """
    driver = connection.connection
    return (
        driver is not None
        and not connection.execute_wrappers
        and not connection.queries_logged
        and not connection.needs_rollback
        and (connection.health_check_done or not connection.health_check_enabled)
        and driver.prepare_threshold is not None
    )


def first(
    key: Hashable, queryset_for: Callable[[Any], QuerySet], value: Any, probe: Any, *, kept: ListenedRows | None = None
) -> Model | None:
    """Return the first row of ``queryset_for(value)`` (ordered as given), its statement prepared under ``key``.

    ``kept``: its rows kept between requests until their tables' channel is notified
    (:mod:`nrm.core.listened`); each call still builds its own instances from them.
    """

    def compile_for(v: Any) -> tuple[str, list, Any]:
        return compiled(queryset_for(v)[:1])

    try:
        sql, params, compiler = prepare(key, compile_for, value, probe)
    except EmptyResultSet:  # a rule that lets this reader see nothing: no row, nothing to ask
        return None
    db = compiler.using
    rows, ticket = kept.get(db, kept_key(key, value)) if kept is not None else (None, None)
    if rows is None:
        rows = fetch(db, sql, params, _first_row)
        if rows and kept is not None:  # a miss is not kept: the row may be written next
            kept.put(ticket, kept_key(key, value), rows)
    found = instances(compiler, rows, db)
    return found[0] if found else None


def kept_key(key: Hashable, value: Any) -> tuple:
    """What :func:`first` keeps its rows under in ``kept``: to drop them (``ListenedRows.discard``)."""
    return (key, value)


def _first_row(cursor: Any) -> list:
    return cursor.fetchmany(1)


# The name a carried write's rows go by in the statement carrying it.
CARRIED = "_nrm_carried"


@dataclass
class Carried:
    """A write that a read's next statement makes too, on PostgreSQL: one round trip and one commit for both.

    ``clause`` is ``WITH "_nrm_carried" AS (INSERT ... RETURNING ...)``, ``params`` its values and
    ``rows`` how many rows it writes. The statement carrying it (:func:`carrying`) answers first
    how many it wrote, and sets ``done``; until then the write is not made (whoever made it
    makes it on its own if the statement never ran).
    """

    clause: str
    params: list
    rows: int
    done: bool = False


_carrying: dict[tuple[str, str], str] = {}


def carrying(carried: Carried, sql: str) -> str:
    """Return the remembered statement ``sql`` (a ``SELECT``) carrying ``carried``; its first column: the rows written.

    The column reads the write's rows before anything else is read, so the write is made, and
    its ``RETURNING`` evaluated, before the read's own columns; a data-modifying ``WITH`` is
    made once and to the end whatever reads it. The text, the same for every read of one
    shape, is made once (the statements are many kilobytes).
    """
    key = (carried.clause, sql)
    found = _carrying.get(key)
    if found is None:
        if not sql.startswith("SELECT "):
            raise ValueError("only a SELECT carries a write")
        if len(_carrying) >= MAX_STATEMENTS:
            _carrying.clear()
        # Only the callers' own statement texts are joined here; values stay parameters.
        found = _carrying[key] = remember(
            f'{carried.clause} SELECT (SELECT count(*) FROM "{CARRIED}"), {sql[len("SELECT ") :]}'  # noqa: S608
        )
    return found
