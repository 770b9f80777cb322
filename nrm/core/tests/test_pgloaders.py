"""PostgreSQL reads ``timestamptz`` with psycopg's own loader, in UTC, as Django's loader gave them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL driver setting")


def _loader():
    from psycopg.pq import Format

    return connection.connection.adapters.get_loader(1184, Format.TEXT)


def test_timestamps_are_read_in_utc_by_the_fast_loader_and_django_keeps_it(db):
    from nrm.audit.models import AuditEntry
    from nrm.audit.services import audit_record
    from nrm.core.pgloaders import utc_loader_class

    connection.ensure_connection()
    assert _loader().__name__ == utc_loader_class().__name__
    audit_record(actor=None, action="system.check", object_type="system", object_id="")
    with connection.cursor() as cursor:  # Django's cursor: its check of the loader's time zone keeps ours
        cursor.execute("SELECT now(), clock_timestamp() - now() < interval '1 hour'")
        now, _recent = cursor.fetchone()
    assert _loader().__name__ == utc_loader_class().__name__
    assert now.tzinfo is dt.UTC
    at = AuditEntry.objects.order_by("-id").values_list("at", flat=True).first()
    assert at.tzinfo is dt.UTC and abs(at - now) < dt.timedelta(minutes=5)


def test_the_instant_stays_right_whatever_the_sessions_time_zone(db):
    """Django's loader relabels the session's local time as UTC; this one converts it."""
    instant = dt.datetime(2026, 12, 6, 8, 41, 12, 123456, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Belgrade'")
        try:
            cursor.execute("SELECT %s::timestamptz", [instant])
            (read,) = cursor.fetchone()
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert read == instant and read.tzinfo is dt.UTC and read.hour == 8
