"""Issue E: the hot reads' statements are compiled once per reader, and stay the ones compiled afresh."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from conftest import drop_server_connection
from nrm.accounts.access import Action, reader_key, restrict
from nrm.accounts.models import Membership, User
from nrm.cases.models import Case
from nrm.cases.tests.helpers import api, move, open_case, refer, rich_case, share
from nrm.core import prepared
from nrm.core.jsonrows import PROBE_PK


def test_a_statement_is_compiled_once_and_only_its_value_changes():
    calls = []

    def compile_for(value):
        calls.append(value)
        return "SELECT %s, %s", [7, value], "extra"

    prepared.forget()
    # SQLite: the constant is written into the text (see the next test).
    sql = "SELECT 7, %s" if connection.vendor == "sqlite" else "SELECT %s, %s"
    constants = [] if connection.vendor == "sqlite" else [7]
    assert prepared.prepare("k", compile_for, 1, PROBE_PK) == (sql, [*constants, 1], "extra")
    assert prepared.prepare("k", compile_for, 2, PROBE_PK) == (sql, [*constants, 2], "extra")
    assert calls == [1, PROBE_PK]  # the second call compiled nothing


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite prepares again a statement whose plan read a value")
def test_on_sqlite_a_remembered_statements_constants_are_in_its_text_and_answer_the_same():
    """SQLite planned the case read again on every read for one bound text (a partial index's status)."""
    from nrm.referrals.choices import ReferralStatus

    constants = ["it's", "100%", "50%s off", ReferralStatus.ACCEPTED, 7, True, 2.5, None]

    def compile_for(value):
        return "SELECT " + ", ".join(["%s"] * 9), [constants[0], value, *constants[1:]], None

    prepared.forget()
    prepared.prepare("k", compile_for, 1, PROBE_PK)
    sql, params, _extra = prepared.prepare("k", compile_for, 3, PROBE_PK)
    assert params == [3, True, 2.5, None]  # the value, and what is not a number or a text
    assert "'it''s'" in sql and "'50%%s off'" in sql and "'accepted'" in sql
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone() == ("it's", 3, "100%", "50%s off", "accepted", 7, 1, 2.5, None)


def test_the_case_read_with_its_constants_in_the_text_answers_as_with_them_bound(world, monkeypatch):
    case = rich_case(world)  # services given on referrals accepted by two NGOs, the Centre's decision
    readers = [world[who] for who in ("socialwork", "ngo", "centre")]
    answers = []
    for inline in (True, False):
        if not inline:
            monkeypatch.setattr(prepared, "_inline_constants", lambda sql, params, slots: (sql, params, slots))
        prepared.forget()
        for reader in readers:
            client = api(reader)
            assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200  # compiles
            answers.append(client.get(f"/api/v1/cases/{case.pk}/").json())  # from the remembered statement
    assert answers[:3] == answers[3:]
    owner, ngo, _centre = answers[:3]
    assert len(owner["services"]) > len(ngo["services"]) > 0  # the rule's constants at work: each sees its own


@pytest.mark.parametrize(
    "compile_for",
    [
        lambda v: (f"SELECT {v}", [], None),  # the value in the SQL itself
        lambda v: ("SELECT %s", [v + 1], None),  # a parameter derived from the value, not the value
    ],
)
def test_a_statement_that_is_not_the_value_in_one_slot_is_never_remembered(compile_for):
    prepared.forget()
    prepared.prepare("k", compile_for, 1, PROBE_PK)
    assert prepared.prepare("k", compile_for, 5, PROBE_PK) == compile_for(5)


def test_the_prepared_case_read_is_the_statement_compiled_afresh(world):
    police = world["police"]
    first, second = open_case(police), open_case(police)
    prepared.forget()
    client = api(police)
    assert client.get(f"/api/v1/cases/{first.pk}/").status_code == 200
    answer = client.get(f"/api/v1/cases/{second.pk}/")  # from the statement prepared for the first
    assert answer.status_code == 200 and answer.json()["id"] == second.pk
    prepared.forget()
    assert client.get(f"/api/v1/cases/{second.pk}/").json() == answer.json()  # compiled afresh: the same
    fresh = restrict(Case.objects.all(), police, Action.VIEW).filter(pk=second.pk).order_by("pk")
    found = prepared.first(
        "test", lambda pk: restrict(Case.objects.all(), police, Action.VIEW).filter(pk=pk), second.pk, PROBE_PK
    )
    assert found == fresh.get()


def test_several_values_each_fill_their_own_slots():
    def compile_for(values):
        pk, owner = values
        return "SELECT %s, %s, %s, %s", [owner, 7.5, pk, owner], None  # 7.5: a parameter on SQLite too

    prepared.forget()
    assert prepared.prepare("k", compile_for, (3, 3), (PROBE_PK, PROBE_PK - 1))[1] == [3, 7.5, 3, 3]
    assert prepared.prepare("k", compile_for, (5, 9), (PROBE_PK, PROBE_PK - 1))[1] == [9, 7.5, 5, 9]


def test_one_statement_reads_the_cases_of_every_owner_and_each_as_compiled_afresh(world):
    """The owner is a parameter of the case read's statement (the NGO sees the owner's services)."""
    from nrm.referrals.choices import ReferralStatus

    police, ngo = world["police"], world["ngo"]
    other = open_case(police)  # owned by the police, referred to the NGO
    share(police, other, "ngo-sigurna")
    move(ngo, refer(police, other, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    rich = rich_case(world)  # owned by a centre for social work, with services of its own
    prepared.forget()
    client = api(ngo)
    assert client.get(f"/api/v1/cases/{other.pk}/").status_code == 200
    remembered = len(prepared._statements)
    answer = client.get(f"/api/v1/cases/{rich.pk}/").json()  # the statement prepared for the other owner's case
    assert len(prepared._statements) == remembered  # nothing compiled for this owner
    assert rich.owner_id in {s["organisation"] for s in answer["services"]}  # the owner's own service
    prepared.forget()
    assert client.get(f"/api/v1/cases/{rich.pk}/").json() == answer  # compiled afresh: the same


def test_a_reader_whose_memberships_change_gets_a_new_statement(world):
    police = world["police"]
    case = open_case(police)
    client = api(police)
    before = reader_key(police)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    Membership.objects.filter(user=police, organisation=case.owner).update(is_active=False)
    assert reader_key(User.objects.get(pk=police.pk)) != before
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404  # at once, not from the old statement


def _server_prepared() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on the PostgreSQL server")
def test_the_remembered_statements_are_prepared_on_the_server_and_still_counted(world, django_assert_num_queries):
    police = world["police"]
    first, second = open_case(police), open_case(police)
    prepared.forget()
    client = api(police)
    client.get(f"/api/v1/cases/{first.pk}/")
    # Counted and logged as any other statement: the read's savepoint and its release, the token,
    # the case, its relations carrying the audit row.
    with django_assert_num_queries(5):
        answer = client.get(f"/api/v1/cases/{second.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == second.pk
    on_server = _server_prepared()
    assert any("json_agg" in sql for sql in on_server)  # the relations of the case
    assert any(sql.startswith('SELECT "cases_case"."id"') for sql in on_server)  # the case, through the rule


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on the PostgreSQL server")
def test_nothing_is_prepared_on_the_server_behind_pgbouncer(world, settings):
    settings.NRM_PREPARED_STATEMENTS = False
    police = world["police"]
    case = open_case(police)
    prepared.forget()
    client = api(police)
    before = _server_prepared()
    for _ in range(2):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert _server_prepared() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's conversion of a statement's placeholders")
def test_a_remembered_statement_is_converted_for_postgresql_once_however_long(world, monkeypatch):
    """psycopg keeps the conversion (``%s`` to ``$1``) of statements under 4 KB only; the case's relations are 19 KB."""
    import psycopg._queries

    case = rich_case(world)
    client = api(world["socialwork"])
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    split = []
    real = psycopg._queries._split_query

    def counted(query, *args, **kwargs):
        split.append(len(query))
        return real(query, *args, **kwargs)

    monkeypatch.setattr(psycopg._queries, "_split_query", counted)
    answer = client.get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == case.pk
    assert split == [], split  # not the relations' statement, not any other


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the driver's cursors of remembered statements")
def test_a_remembered_statement_runs_again_on_its_kept_cursor_and_the_kept_are_bounded(world, monkeypatch):
    """Each remembered statement keeps its driver cursor (psycopg then keeps its loaders); at most KEPT_CURSORS."""
    import psycopg

    case = rich_case(world)
    client = api(world["socialwork"])
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    made = []
    real_init = psycopg.Cursor.__init__

    def counted(self, *args, **kwargs):
        made.append(type(self).__name__)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "__init__", counted)
    answer = client.get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer.json()["id"] == case.pk
    assert "PreparingCursor" not in made  # the token, the case, its relations and the audit row: kept cursors

    monkeypatch.setattr(prepared, "KEPT_CURSORS", 2)
    for n in range(4):
        sql = prepared.remember(f"SELECT {n} + %s")
        with prepared.statement_cursor("default", sql) as cursor:
            cursor.execute(sql, [1])
            assert cursor.fetchone() == (n + 1,)
    wrapper = connections["default"]
    driver, kept = wrapper.__dict__["_nrm_kept_cursors"]
    assert driver is wrapper.connection and len(kept) == 2


def _kept_connection_at_a_requests_start():
    """The default connection as Django leaves it between two requests: kept, its health unchecked."""
    wrapper = connections["default"]
    wrapper.ensure_connection()
    wrapper.health_check_enabled = True
    wrapper.health_check_done = False
    return wrapper


def _organisation_named(pk):
    from nrm.accounts.models import Organisation

    return prepared.first("test_health_check", lambda v: Organisation.objects.filter(pk=v), pk, PROBE_PK)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a kept PostgreSQL connection's health check")
@pytest.mark.django_db(transaction=True)
def test_a_requests_first_remembered_read_is_its_health_check_and_no_ping_goes_before_it(world, monkeypatch):
    """An API read paid a round trip for ``SELECT 1`` before its first statement: the statement itself tells."""
    organisation = world["police"].memberships.first().organisation
    _organisation_named(organisation.pk)  # remembered
    wrapper = _kept_connection_at_a_requests_start()
    pings = []
    monkeypatch.setattr(type(wrapper), "is_usable", lambda self: pings.append(1) or True)
    assert _organisation_named(organisation.pk) == organisation
    assert pings == [] and wrapper.health_check_done  # checked, by the read, without a ping


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a kept PostgreSQL connection's health check")
@pytest.mark.django_db(transaction=True)
def test_a_dropped_kept_connection_is_replaced_and_the_read_answers(world):
    organisation = world["police"].memberships.first().organisation
    _organisation_named(organisation.pk)
    wrapper = _kept_connection_at_a_requests_start()
    dropped = drop_server_connection(wrapper)  # between two requests
    assert _organisation_named(organisation.pk) == organisation
    assert wrapper.connection.info.backend_pid != dropped


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a kept PostgreSQL connection's health check")
@pytest.mark.django_db(transaction=True)
def test_a_statement_that_writes_is_never_sent_twice_and_its_connection_is_checked_before_it(world):
    """A read carrying a write (``writes``) does not stand for the check: a dropped connection is replaced first."""
    sql = prepared.remember("SELECT 1")
    sent = []

    def counted(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    for writes, sends in ((False, 2), (True, 1)):  # a read: sent, failed, sent again; a write: sent once
        wrapper = _kept_connection_at_a_requests_start()
        dropped = drop_server_connection(wrapper)
        sent.clear()
        with wrapper.execute_wrapper(counted):
            assert prepared.fetch("default", sql, [], lambda cursor: cursor.fetchone(), writes=writes) == (1,)
        assert len(sent) == sends and wrapper.connection.info.backend_pid != dropped


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a kept PostgreSQL connection's health check")
@pytest.mark.django_db(transaction=True)
def test_a_read_that_fails_on_a_working_connection_fails_and_is_not_run_again(world):
    """An operational error (here a statement timeout) on a connection that works is the read's own: raised."""
    from django.db import OperationalError

    sql = prepared.remember("SELECT pg_sleep(%s)")
    wrapper = _kept_connection_at_a_requests_start()
    kept = wrapper.connection.info.backend_pid
    sent = []

    def counted(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    wrapper.connection.execute("SET statement_timeout = 50")
    try:
        with wrapper.execute_wrapper(counted), pytest.raises(OperationalError):
            prepared.fetch("default", sql, [5], lambda cursor: cursor.fetchone())
    finally:
        wrapper.connection.execute("RESET statement_timeout")
    assert sent == [sql]  # run once
    assert wrapper.connection.info.backend_pid == kept  # and the connection, working, was kept


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the driver's cursors of remembered statements")
@pytest.mark.django_db(transaction=True)
def test_a_remembered_read_nobody_watches_runs_on_the_driver_cursor_and_fails_with_djangos_errors(world):
    """Without Django's wrapper where nothing watches; with it, counted, where something does (the suite's counts)."""
    from django.db import DataError
    from django.db.backends.utils import CursorWrapper
    from django.test.utils import CaptureQueriesContext

    sql = prepared.remember("SELECT 10 / %s")
    wrapper = _kept_connection_at_a_requests_start()
    wrapper.health_check_done = True  # checked: this request's first statement has run
    given = []

    def read(cursor):
        given.append(cursor)
        return cursor.fetchone()

    prepared.fetch("default", sql, [1], read)  # a new connection's first: made ready for preparing
    assert prepared.fetch("default", sql, [2], read) == (5,)
    assert type(given[-1]) is prepared._preparing_cursor_class()  # the driver's own
    with pytest.raises(DataError):  # division by zero, as Django's wrapper raises it
        prepared.fetch("default", sql, [0], read)
    with CaptureQueriesContext(wrapper) as captured:
        assert prepared.fetch("default", sql, [5], read) == (2,)
    assert isinstance(given[-1], CursorWrapper) and [q["sql"] for q in captured] == ["SELECT 10 / $1"]
