"""The screenings' analytics table (:class:`~nrm.reporting.models.ScreeningCount`), kept exact.

Database triggers on ``cases_screening`` add and subtract each written row's combination in
the writer's own transaction: one mechanism for every writer (the services, the bulk
generator, imports, retention, deletes, a raw ``UPDATE``), where code in each writer could be
forgotten in one. SQLite runs a trigger per row (an upsert on the unique key); PostgreSQL one
per statement over its transition tables, so a bulk insert of 1,000 rows is one grouped
upsert. :func:`rebuild` recounts from the screenings (``nrm stats --rebuild``, restore, the
migration that creates the table); :func:`differences` compares without writing.

The table is only ever read by :mod:`nrm.reporting.engine` for the screenings population,
whose counts are additive (rows, not persons), so any grouping of it sums to what a GROUP BY
of the screenings gives.
"""

# ruff: noqa: S608 - the SQL here is built from this module's constant names, never from input.
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum

SOURCE = "cases_screening"
# The screening's expression of each count column (``{r}`` is NEW, OLD or a table alias).
_YEAR = {
    "sqlite": "CAST(substr({r}.screened_on, 1, 4) AS integer)",
    "postgresql": "CAST(EXTRACT(YEAR FROM {r}.screened_on) AS integer)",
}


@dataclass(frozen=True)
class Level:
    """One analytics table: its name and the screening columns it counts by (its unique key)."""

    table: str
    columns: tuple[str, ...]

    @property
    def names(self) -> str:
        return ", ".join(self.columns)

    def key(self, vendor: str, r: str) -> list[str]:
        return [_YEAR[vendor].format(r=r) if c == "year" else f"{r}.{c}" for c in self.columns]

    def match(self, vendor: str, r: str) -> str:
        return " AND ".join(f"{self.table}.{c} = {e}" for c, e in zip(self.columns, self.key(vendor, r), strict=True))


# Every dimension, then the standard tables' few (no citizenship, no organisation): a few
# hundred rows, whatever the number of screenings.
LEVELS = (
    Level(
        "reporting_screeningcount",
        ("year", "sex", "age_band", "is_child", "citizenship", "region", "organisation_id"),
    ),
    Level("reporting_screeningcountcoarse", ("year", "sex", "age_band", "is_child", "region")),
)
FINEST = LEVELS[0]


def _sqlite() -> list[str]:
    adds, removes = [], []
    for level in LEVELS:
        cols = level.names
        adds.append(
            f"INSERT INTO {level.table} ({cols}, n) VALUES ({', '.join(level.key('sqlite', 'NEW'))}, 1) "
            f"ON CONFLICT ({cols}) DO UPDATE SET n = n + 1;"
        )
        # The last screening of a combination takes its row away: no zero rows.
        removes.append(
            f"DELETE FROM {level.table} WHERE {level.match('sqlite', 'OLD')} AND n = 1; "
            f"UPDATE {level.table} SET n = n - 1 WHERE {level.match('sqlite', 'OLD')};"
        )
    add, remove = " ".join(adds), " ".join(removes)
    old, new = FINEST.key("sqlite", "OLD"), FINEST.key("sqlite", "NEW")
    moved = " OR ".join(f"{o} IS NOT {n}" for o, n in zip(old, new, strict=True))
    return [
        f"CREATE TRIGGER IF NOT EXISTS screening_count_insert AFTER INSERT ON {SOURCE} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS screening_count_delete AFTER DELETE ON {SOURCE} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS screening_count_update AFTER UPDATE ON {SOURCE} WHEN {moved} "
        f"BEGIN {remove} {add} END",
    ]


def _postgres_level(level: Level, op: str) -> str:
    cols = level.names
    key = ", ".join(level.key("postgresql", "r"))
    groups = ", ".join(str(i) for i in range(1, len(level.columns) + 1))
    new = f"SELECT {key}, 1 FROM new_rows r"
    old = f"SELECT {key}, -1 FROM old_rows r"
    rows = {"INSERT": new, "DELETE": old, "UPDATE": f"{new} UNION ALL {old}"}[op]
    deltas = f"SELECT {cols}, sum(d) AS d FROM ({rows}) AS x ({cols}, d) GROUP BY {groups}"
    statements = []
    if op != "DELETE":
        # Sorted, so that concurrent writers lock count rows in one order (no deadlock).
        statements.append(
            f"INSERT INTO {level.table} AS c ({cols}, n) SELECT {cols}, d FROM ({deltas}) AS g WHERE d > 0 "
            f"ORDER BY {groups} ON CONFLICT ({cols}) DO UPDATE SET n = c.n + EXCLUDED.n;"
        )
    if op != "INSERT":
        # Subtracted by UPDATE, not upserted: an upsert checks n >= 0 on the row it would insert.
        same = " AND ".join(f"c.{c} = g.{c}" for c in level.columns)
        statements.append(f"UPDATE {level.table} AS c SET n = c.n + g.d FROM ({deltas}) AS g WHERE g.d < 0 AND {same};")
        # A combination whose last screening went takes its row away: no zero rows.
        emptied = f"{level.match('postgresql', 'r')} AND {level.table}.n = 0"
        statements.append(f"DELETE FROM {level.table} USING old_rows r WHERE {emptied};")
    return " ".join(statements)


def _postgres() -> list[str]:
    branches = [
        f"IF TG_OP = '{op}' THEN {' '.join(_postgres_level(level, op) for level in LEVELS)} END IF;"
        for op in ("INSERT", "DELETE", "UPDATE")
    ]
    function = (
        "CREATE OR REPLACE FUNCTION screening_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + " ".join(branches)
        + " RETURN NULL; END $$"
    )
    statements = [function]
    for op, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        statements += [
            f"DROP TRIGGER IF EXISTS screening_count_{op.lower()} ON {SOURCE}",
            f"CREATE TRIGGER screening_count_{op.lower()} AFTER {op} ON {SOURCE} REFERENCING {tables} "
            "FOR EACH STATEMENT EXECUTE FUNCTION screening_count_apply()",
        ]
    return statements


_DROP = {
    "sqlite": [f"DROP TRIGGER IF EXISTS screening_count_{op}" for op in ("insert", "delete", "update")],
    "postgresql": [f"DROP TRIGGER IF EXISTS screening_count_{op} ON {SOURCE}" for op in ("insert", "delete", "update")],
}


def _run(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection=default_connection) -> None:
    """Create the triggers that keep the counts on this connection's database."""
    build = {"sqlite": _sqlite, "postgresql": _postgres}.get(connection.vendor)
    if build is None:
        raise NotImplementedError(f"no screening count triggers for {connection.vendor}")
    _run(connection, build())


def remove(connection=default_connection) -> None:
    """Drop the triggers (restore, for its duration; it rebuilds the counts after)."""
    _run(connection, _DROP.get(connection.vendor, []))


# The screenings through the ORM, for :func:`fresh`: a count made apart from the triggers'
# expressions. Registered by the app that keeps them (``nrm.cases.statistics``): the statistics
# engine imports no domain app.
_screenings: Callable[[str], QuerySet] | None = None


def register_screenings(screenings: Callable[[str], QuerySet]) -> None:
    """Have :func:`fresh` count ``screenings(using)``, every screening of that database."""
    global _screenings
    _screenings = screenings


def fresh(level: Level = FINEST, using: str = "default") -> dict[tuple, int]:
    """Return the counts of ``level`` as a GROUP BY of the screenings gives them now: {key: n}."""
    from nrm.reporting.engine import Year

    if _screenings is None:
        raise RuntimeError("no screenings registered (nrm.reporting.aggregates.register_screenings)")
    rows = (
        _screenings(using)
        .annotate(year=Year("screened_on"))
        .values(*level.columns)
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(*level.columns, "n")
    )
    return {tuple(row[:-1]): row[-1] for row in rows}


def stored(level: Level = FINEST, using: str = "default") -> dict[tuple, int]:
    """Return the counts ``level``'s table holds: {key: n}."""
    quote = transaction.get_connection(using).ops.quote_name
    with transaction.get_connection(using).cursor() as cursor:
        cursor.execute(f"SELECT {level.names}, n FROM {quote(level.table)}")
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def differences(using: str = "default") -> dict[tuple, tuple[int, int]]:
    """Return where a table and a fresh GROUP BY differ: {(table, *key): (stored, fresh)}."""
    found = {}
    for level in LEVELS:
        have, want = stored(level, using), fresh(level, using)
        for k in have.keys() | want.keys():
            if have.get(k) != want.get(k):
                found[(level.table, *k)] = (have.get(k, 0), want.get(k, 0))
    return found


def rebuild(using: str = "default") -> int:
    """Recount the tables from the screenings, in one transaction; return how many counts were wrong."""
    with transaction.atomic(using=using):
        wrong = len(differences(using))
        recount(transaction.get_connection(using))
    return wrong


def recount(connection) -> None:
    """Replace the tables' rows by GROUP BYs of the screenings, in plain SQL (the triggers' expressions).

    No model is used, so that the migrations creating the tables can run it whatever the models become.
    """
    with connection.cursor() as cursor:
        for level in LEVELS:
            key = ", ".join(level.key(connection.vendor, SOURCE))
            groups = ", ".join(str(i) for i in range(1, len(level.columns) + 1))
            cursor.execute(f"DELETE FROM {level.table}")
            cursor.execute(
                f"INSERT INTO {level.table} ({level.names}, n) SELECT {key}, count(*) FROM {SOURCE} GROUP BY {groups}"
            )


def total(using: str = "default") -> int:
    """Return how many screenings the finest table counts."""
    from nrm.reporting.models import ScreeningCount

    return ScreeningCount.objects.using(using).aggregate(n=Sum(F("n")))["n"] or 0


def after_restore(connection) -> None:
    """Once a backup's rows are back: the triggers, then every count made afresh (``nrm.core.backup``)."""
    install(connection)
    recount(connection)
