"""An audited read outside a caller's transaction: one view of the data, then its audit row, or no answer."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from conftest import drop_server_connection, personas
from nrm.audit import services
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, open_case

pytestmark = pytest.mark.usefixtures("triggers_back_after_flush", "flushable")


def _views(case) -> int:
    return AuditEntry.objects.filter(action="case.view", object_id=str(case.pk)).count()


def test_the_case_read_appends_its_row_after_the_read_in_no_transaction():
    """SQLite reads in a snapshot holding no write lock; PostgreSQL at READ COMMITTED needs no BEGIN or COMMIT."""
    police = personas()["police"]
    case = open_case(police)
    states = []

    def observe(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "audit_auditentry"'):
            states.append(("case.view" in params, connection.in_atomic_block, connection.get_autocommit()))
        return execute(sql, params, many, context)

    before = _views(case)
    with connection.execute_wrapper(observe):
        answer = api(police).get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == case.pk
    assert states == [(True, False, True)]  # one row, appended outside any transaction
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
    assert any(sql.startswith('INSERT INTO "audit_auditentry"') for sql in on_server)


def _read_inserts(client, case) -> list[list]:
    """Each audit INSERT of an API case read: what it returned (the commit's setting, when it asks for it)."""
    returned = []

    def observe(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "audit_auditentry"'):
            cursor = context["cursor"]
            returned.append(cursor.fetchall() if cursor.description else [])
        return result

    with connection.execute_wrapper(observe):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    return returned


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
    assert _read_inserts(api(police), case) == [[("off",)]]  # in effect for the INSERT's own transaction
    assert _synchronous_commit() == "on"  # and for nothing after it: a write on this connection waits
    assert _views(case) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_a_reads_audit_row_waits_for_the_disk_when_the_deployment_asks(settings):
    settings.NRM_AUDIT_READS_WAIT_FOR_DISK = True
    police = personas()["police"]
    case = open_case(police)
    assert _read_inserts(api(police), case) == [[]]
    assert _views(case) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_a_reads_audit_row_inside_a_callers_transaction_leaves_its_commit_waiting():
    """Inside a caller's transaction the setting would reach the caller's writes: the row is appended as any."""
    from django.db import transaction

    police = personas()["police"]
    at = services._now_ms()
    row = services._entry(at, {}, {"actor": police, "action": "case.view", "object_type": "case", "object_id": 1})
    with transaction.atomic():
        services._insert_entries([row], read=True)
        assert _synchronous_commit() == "on"
