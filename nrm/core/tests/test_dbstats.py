"""SQLite's planner statistics, which nothing else keeps, are refreshed after a bulk load and on demand."""

from __future__ import annotations

import pytest
from django.db import connection

from nrm.core import dbstats


def _stats() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {tbl for (tbl,) in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its statistics")
def test_a_bulk_load_leaves_the_planner_statistics_of_its_tables(db):
    from nrm.demo.bulk import generate_bulk
    from nrm.demo.reference import load_reference

    load_reference()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    generate_bulk(screenings=60, seed=3)
    assert {"cases_case", "cases_screening", "cases_person", "audit_auditentry"} <= _stats()


def test_refresh_runs_on_sqlite_only(db):
    assert dbstats.refresh() is (connection.vendor == "sqlite")
