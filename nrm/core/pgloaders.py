"""PostgreSQL: timestamps with time zone read by psycopg's own (C) loader, not Django's Python one.

Django reads every ``timestamptz`` through a loader of its own, derived from psycopg's pure-Python
one so as to set the time zone it wants: 4-5 microseconds a value, where psycopg's default loader
(compiled, in psycopg[binary]) takes under 1. A case read loads a dozen; a list of 50 cases a few
hundred. Where Django's connection time zone is UTC (``USE_TZ`` without a database ``TIME_ZONE``:
this project's setting), each new connection reads them with psycopg's default loader and gives
the value in UTC, as Django's does. Django's per-cursor check finds the same ``timezone`` and
keeps it. Unlike Django's, the value stays the right instant if the session's time zone is ever
changed (Django's only relabels the time it was given).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.UTC


def _default_loader() -> type:
    from psycopg import adapters
    from psycopg.postgres import types
    from psycopg.pq import Format

    return adapters.get_loader(types["timestamptz"].oid, Format.TEXT)


def utc_loader_class() -> type:
    """The loader class: psycopg's default for ``timestamptz``, its values in UTC."""
    from psycopg.adapt import Loader

    fast = _default_loader()

    class UtcTimestamptzLoader(Loader):
        # What Django's create_cursor compares with the connection's time zone.
        timezone = UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._load = fast(oid, context).load

        def load(self, data: Any) -> dt.datetime:
            value = self._load(data)
            return value if value.tzinfo is UTC else value.astimezone(UTC)

    return UtcTimestamptzLoader


_loader: type | None = None


def use_fast_timestamptz(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On a new PostgreSQL connection whose time zone is UTC, read ``timestamptz`` with :func:`utc_loader_class`'s."""
    global _loader
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    if _loader is None:
        _loader = utc_loader_class()
    connection.connection.adapters.register_loader("timestamptz", _loader)
