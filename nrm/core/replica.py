"""Statistics read from a replica when one is configured (``DATABASE_REPLICA_URL``).

Counting a million rows is the heaviest read the system does; on a PostgreSQL streaming replica
it leaves the primary to case work. Only reads made inside :func:`statistics_reads` go there
(the statistics engine wraps its counting in it); every write, every locked read and everything
else stays on the primary, so nobody reads their own case from a replica that lags behind.
Without a replica the alias is the primary and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
_reading_statistics: ContextVar[bool] = ContextVar("nrm_reading_statistics", default=False)


def statistics_alias() -> str:
    """Return the database alias statistics read from: the replica if configured, else the primary."""
    return REPLICA if REPLICA in settings.DATABASES else DEFAULT_DB_ALIAS


@contextmanager
def statistics_reads() -> Iterator[str]:
    """Send the ORM reads made inside to :func:`statistics_alias`; yield that alias for raw SQL."""
    token = _reading_statistics.set(True)
    try:
        yield statistics_alias()
    finally:
        _reading_statistics.reset(token)


class ReplicaRouter:
    """Route statistics reads to the replica; leave every other decision to the default."""

    def db_for_read(self, model, **hints) -> str | None:
        if _reading_statistics.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        # The replica is a copy: schema changes reach it through replication, not migrate.
        return db != REPLICA
