"""The query planner's statistics on SQLite, which nothing else keeps.

PostgreSQL's autovacuum keeps its statistics; SQLite has none until ``ANALYZE`` is run, and
without them it guesses. At 200,000 cases it chose the index of ``merged_into_id IS NULL`` (every
case) for a case worker's list, then sorted all of them: 171 ms of CPU a page, 86 ms with
statistics. ``ANALYZE`` under ``analysis_limit`` reads a bounded sample of each index (25 ms on a
6 GB database), so it is run where the tables change in bulk or may have grown: after ``nrm
migrate``, after a bulk load, and as a server starts.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# Rows of each index SQLite samples: enough for the planner's choices, whatever the table's size.
ANALYSIS_LIMIT = 1000


def refresh(using: str = DEFAULT_DB_ALIAS) -> bool:
    """On SQLite, refresh the planner's statistics of every table (a bounded sample); return whether it did."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True


def after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    refresh(using)
