"""Rows kept between requests until PostgreSQL says they may have changed (LISTEN/NOTIFY).

A statement read on every request whose answer rarely changes (an API token, its user and their
memberships) may keep its rows for the next request on the same connection, if every write that
could change them makes the database notify a channel: triggers on the tables read, statement by
statement, so that no write path (a service, the admin, a command, a hand-typed UPDATE) can
forget. The rows are then kept per database connection, which listens on the channel from before
its first read, and dropped whenever a notification arrives: at the start of each use (what has
arrived on the connection's socket since its last statement, read without a round trip) and
during any statement (psycopg hands them to the connection's handler). A change committed by
another process is seen by the next request that begins after its notification reaches the
connection, about as soon as the next statement would have seen it.

Only on PostgreSQL's primary, with connections kept by Django (``NRM_LISTENED_ROWS``: not behind
PgBouncer or a pool, where a connection's LISTEN is not its own), outside transactions (a transaction's
notifications wait for its end, and what it sees is its own). Anywhere else nothing is kept and
every read goes to the database.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

# Rows kept per channel and connection, at most; the oldest go first.
MAX_KEPT = 4096


class _Kept:
    """What one driver connection keeps for one channel, and how often it was told to drop it."""

    __slots__ = ("generation", "rows")

    def __init__(self) -> None:
        self.rows: dict[Hashable, Any] = {}
        self.generation = 0

    def drop(self) -> None:
        self.generation += 1
        self.rows.clear()


# What a connection that could not LISTEN on a channel keeps for it: nothing, ever.
_REFUSED = _Kept()

# Driver connection -> channel -> what it keeps. A connection's LISTEN ends with it, and so do its rows.
_by_connection: weakref.WeakKeyDictionary[Any, dict[str, _Kept]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _driver(db: str) -> Any | None:
    """The driver connection of ``db`` if rows may be kept on it now; None otherwise."""
    connection = connections[db]
    if (
        not settings.NRM_LISTENED_ROWS
        or db != DEFAULT_DB_ALIAS  # a replica cannot LISTEN (nrm.core.replica reads statistics there)
        or connection.vendor != "postgresql"
        or connection.connection is None
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        return None
    return connection.connection


def _heard(driver: Any, channels: dict[str, _Kept]) -> bool:
    """Drop what the notifications that reached ``driver`` since its last statement name; False if it is broken."""
    pgconn = driver.pgconn
    try:
        pgconn.consume_input()  # what is on the socket, without waiting: no round trip
    except Exception:  # noqa: BLE001 - a dropped connection: keep nothing, the next statement finds out
        for kept in channels.values():
            kept.drop()
        return False
    while (notify := pgconn.notifies()) is not None:
        kept = channels.get(notify.relname.decode())
        if kept is not None:
            kept.drop()
    return True


def _channels(db: str, channel: str) -> _Kept | None:
    """What ``db``'s connection keeps for ``channel`` (listening from now on if it was not), or None."""
    driver = _driver(db)
    if driver is None:
        return None
    with _lock:
        channels = _by_connection.get(driver)
        if channels is None:
            channels = _by_connection[driver] = {}

            def heard(notify: Any) -> None:  # during a statement: psycopg passes it here
                kept = channels.get(notify.channel)
                if kept is not None:
                    kept.drop()

            driver.add_notify_handler(heard)
    kept = channels.get(channel)
    if kept is None:
        # Listening before the first read: a change committed after it is notified, whatever the read saw.
        try:
            with connections[db].cursor() as cursor:
                cursor.execute(f'LISTEN "{channel}"')
        except DatabaseError:
            # A proxy that refuses LISTEN: nothing is kept on this connection, nor asked again.
            channels[channel] = _REFUSED
            return None
        kept = channels[channel] = _Kept()
        return kept
    if kept is _REFUSED:
        return None
    return kept if _heard(driver, channels) else None


class ListenedRows:
    """Rows of one channel's tables, kept per connection until the channel is notified.

    ``get`` before the read: the rows kept under ``key`` and a ticket; on a miss, read them and
    ``put`` them back with the ticket, which keeps them only if no notification came in between.
    """

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def get(self, db: str, key: Hashable) -> tuple[Any | None, tuple[_Kept, int] | None]:
        kept = _channels(db, self.channel)
        if kept is None:
            return None, None
        return kept.rows.get(key), (kept, kept.generation)

    def put(self, ticket: tuple[_Kept, int] | None, key: Hashable, rows: Any) -> None:
        if ticket is None:
            return
        kept, generation = ticket
        if kept.generation != generation:
            return  # told to drop while they were read: they may be older than the notification
        if len(kept.rows) >= MAX_KEPT:
            kept.rows.pop(next(iter(kept.rows)))
        kept.rows[key] = rows

    def discard(self, db: str, key: Hashable) -> None:
        """Forget ``key``'s rows on this connection (a write of this request that notifies no one)."""
        driver = _driver(db)
        channels = _by_connection.get(driver) if driver is not None else None
        if channels and (kept := channels.get(self.channel)) is not None:
            kept.rows.pop(key, None)
