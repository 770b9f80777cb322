"""An audited read outside a caller's transaction: one view of the data, then its audit row, or no answer."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from conftest import drop_server_connection, personas
from nrm.audit import services
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, open_case

pytestmark = pytest.mark.usefixtures("triggers_back_after_flush", "flushable")

INSERT = 'INSERT INTO "audit_auditentry"'


def _views(case) -> int:
    return AuditEntry.objects.filter(action="case.view", object_id=str(case.pk)).count()


def test_the_case_read_appends_its_row_after_the_read_in_no_transaction():
    """SQLite reads in a snapshot holding no write lock; PostgreSQL at READ COMMITTED needs no BEGIN or COMMIT.

    On PostgreSQL the row goes with the read's last statement, its relations' (``carried_append``).
    """
    police = personas()["police"]
    case = open_case(police)
    states = []

    def observe(execute, sql, params, many, context):
        if INSERT in sql:
            carried = not sql.startswith(INSERT)
            states.append(("case.view" in params, connection.in_atomic_block, connection.get_autocommit(), carried))
        return execute(sql, params, many, context)

    before = _views(case)
    with connection.execute_wrapper(observe):
        answer = api(police).get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == case.pk
    # One row, appended outside any transaction: with the relations on PostgreSQL, after them on SQLite.
    assert states == [(True, False, True, connection.vendor == "postgresql")]
    assert _views(case) == before + 1


def test_a_case_read_whose_row_cannot_be_appended_answers_nothing(monkeypatch):
    police = personas()["police"]
    case = open_case(police)
    before = _views(case)

    monkeypatch.setattr(services, "_role_of", lambda *a, **k: None)  # NOT NULL: the database refuses the row
    with pytest.raises(DatabaseError):
        api(police).get(f"/api/v1/cases/{case.pk}/")
    monkeypatch.undo()
    assert _views(case) == before


def _stored(pk: int) -> tuple:
    """The row as the database holds it, every column but the id (raw: no field converts it back)."""
    columns = [f.column for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM audit_auditentry WHERE id = %s", [pk])
        return cursor.fetchone()


def test_a_read_appends_its_row_as_the_orm_would_save_it():
    """The read's INSERT prepares each value as the ORM's: texts, lazy texts, numbers as text, time, detail."""
    from django.utils.translation import gettext_lazy

    police = personas()["police"]
    fields = {
        "actor": police,
        "action": "case.view",
        "object_type": "case",
        "object_id": 42,
        "organisation_id": str(police.memberships.first().organisation_id),  # a number given as text
        "reason": gettext_lazy("Case closed: %(r)s"),  # a lazy text
        "detail": {"identity": True, "ime": "Đorđe Ђорђе", "n": [1, 2.5, None]},
    }
    at = services._now_ms()
    inserted = services._entry(at, {}, fields)
    services._insert_entries([inserted])
    read_row = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    saved = services._entry(at, {}, fields)
    saved.save(force_insert=True)
    assert saved.pk != read_row
    assert _stored(read_row) == _stored(saved.pk)
    assert AuditEntry.objects.get(pk=read_row).organisation_id == int(fields["organisation_id"])


def test_an_entry_is_made_as_the_models_constructor_makes_it():
    police = personas()["police"]
    fields = {"actor": police, "action": "case.view", "object_type": "case", "object_id": 7, "detail": {"a": 1}}
    at = services._now_ms()
    made = services._entry(at, {}, fields)
    values = {column: made.__dict__[column] for column in services.ENTRY_COLUMNS}
    constructed = AuditEntry(**values)

    def contents(entry):
        return {k: v for k, v in entry.__dict__.items() if k != "_state"}, (entry._state.adding, entry._state.db)

    assert contents(made) == contents(constructed)
    assert made.pk is None and made.seq is None and made.hash == made.prev_hash == ""
    made.save(force_insert=True)
    assert AuditEntry.objects.get(pk=made.pk).object_id == "7"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server connection that the server closed")
def test_a_case_read_on_a_kept_connection_the_server_closed_reconnects():
    """A kept connection the server dropped between requests: the next read opens another, as Django's own check does.

    The hot statements run on the driver's connection (``nrm.core.prepared``): the check Django makes
    before a request's first statement must happen before theirs, not after.
    """
    from django.db import close_old_connections

    police = personas()["police"]
    case = open_case(police)
    client = api(police)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    drop_server_connection(connection)
    close_old_connections()  # what the server does as each request starts (the test client does not)
    answer = client.get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == case.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on the PostgreSQL server")
def test_the_reads_audit_row_is_a_statement_prepared_on_the_server():
    """The audit row's INSERT is the same text on every read: prepared once per connection, as the read's own are."""
    police = personas()["police"]
    case = open_case(police)
    client = api(police)
    for _ in range(2):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        on_server = [row[0] for row in cursor.fetchall()]
    assert any(INSERT in sql and "json_agg" in sql for sql in on_server)  # carried by the relations' statement


def _read_inserts(client, case) -> list[str]:
    """Each statement of an API case read that appends audit rows: the setting its transaction commits under.

    Each is run again, as it was sent, in a transaction rolled back, and the setting read before
    the rollback: what it set lasts until its transaction ends.
    """
    sent = []

    def observe(execute, sql, params, many, context):
        if INSERT in sql:
            sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(observe):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    found = []
    for sql, params in sent:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            found.append(_synchronous_commit())
            transaction.set_rollback(True)
    return found


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_a_reads_audit_row_commits_without_waiting_for_the_disk_and_later_writes_still_wait():
    """The read's own transaction commits as soon as its WAL is written; the connection's setting is unchanged."""
    police = personas()["police"]
    case = open_case(police)
    assert _synchronous_commit() == "on"
    assert _read_inserts(api(police), case) == ["off"]  # in effect for the INSERT's own transaction
    assert _synchronous_commit() == "on"  # and for nothing after it: a write on this connection waits
    assert _views(case) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_a_reads_audit_row_waits_for_the_disk_when_the_deployment_asks(settings):
    settings.NRM_AUDIT_READS_WAIT_FOR_DISK = True
    police = personas()["police"]
    case = open_case(police)
    assert _read_inserts(api(police), case) == ["on"]
    assert _views(case) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_a_reads_audit_row_inside_a_callers_transaction_leaves_its_commit_waiting():
    """Inside a caller's transaction the setting would reach the caller's writes: the row is appended as any."""
    police = personas()["police"]
    at = services._now_ms()
    row = services._entry(at, {}, {"actor": police, "action": "case.view", "object_type": "case", "object_id": 1})
    with transaction.atomic():
        services._insert_entries([row], read=True)
        assert _synchronous_commit() == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement that reads and writes: PostgreSQL's WITH")
def test_rows_handed_to_a_statement_that_never_ran_are_appended_as_any():
    police = personas()["police"]
    handed = []

    @services.audited_read
    def read():
        services.audit_record(actor=police, action="case.view", object_type="case", object_id="handed")
        handed.append(services.carried_append())  # and no statement carries it

    read()
    assert handed[0] is not None and not handed[0].done
    assert AuditEntry.objects.filter(object_id="handed").count() == 1
