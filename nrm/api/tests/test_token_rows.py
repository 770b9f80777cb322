"""Issue E: an API token call's rows kept on its connection until PostgreSQL notifies a change.

The token's statement (the token, its user, their memberships, whether they have an
authenticator) ran on every API call. Its rows are now kept on the connection (nrm.core.listened)
and dropped when a write to any table they come from is notified (migration accounts 0004).
These tests change each of those tables by every path (a service, the ORM, SQL by hand, another
connection) and check that the next call sees the change.
"""

from __future__ import annotations

import select
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import device_classes
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import api_token
from nrm.accounts import services as account_services
from nrm.accounts.access import ACCOUNTS_CHANNEL
from nrm.accounts.models import ApiToken, Membership, Organisation, User
from nrm.api.authentication import TOKEN_ROWS
from nrm.cases.tests.helpers import rich_case, statements

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's LISTEN/NOTIFY")


def kept_between_requests(test):
    """PostgreSQL, outside any transaction (a notification is sent when its transaction commits)."""
    for mark in (
        pytest.mark.usefixtures("triggers_back_after_flush", "flushable"),
        pytest.mark.django_db(transaction=True),
        on_postgresql,
    ):
        test = mark(test)
    return test


def _client(secret: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def _read(client, case) -> tuple[int, list[str]]:
    """The answer's status and the read's statements, up to the sealing of its audit row after it."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/cases/{case.pk}/")
    sqls = statements(captured)
    sealing = next((i for i, sql in enumerate(sqls) if "FROM audit_auditentry WHERE seq IS NULL" in sql), len(sqls))
    return response.status_code, sqls[:sealing]


def _reads_the_token(sqls: list[str]) -> bool:
    return any('FROM "accounts_apitoken"' in sql for sql in sqls)


@kept_between_requests
def test_a_token_is_read_once_then_its_calls_cost_no_statement_of_their_own(world):
    case = rich_case(world)
    client = _client(api_token(world["socialwork"]))
    status, first = _read(client, case)
    assert status == 200 and _reads_the_token(first)
    status, second = _read(client, case)
    assert status == 200 and not _reads_the_token(second)
    # The first call listened, then read the token; the next ones run only what the read itself runs.
    left_out = [sql for sql in first if sql not in second]
    assert len(left_out) == len(first) - len(second) == 2, left_out
    assert left_out[0] == f'LISTEN "{ACCOUNTS_CHANNEL}"' and _reads_the_token(left_out[1:])
    # Each call still has its own user: what one request remembers of it is not the next one's.
    assert client.get("/api/v1/me/").json()["username"] == world["socialwork"].username


def _revoke_by_service(user: User, secret: str) -> None:
    token = ApiToken.objects.get(key_hash=account_services.token_hash(secret))
    account_services.token_revoke(actor=user, token_id=token.pk)


def _expire_by_hand(user: User, secret: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_apitoken SET expires_at = now() - interval '1 minute' WHERE user_id = %s", [user.pk]
        )


def _deactivate_by_orm(user: User, secret: str) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def _password_to_change(user: User, secret: str) -> None:
    User.objects.filter(pk=user.pk).update(must_change_password=True)


def _membership_ended(user: User, secret: str) -> None:
    Membership.objects.filter(user=user).update(is_active=False)


def _organisation_closed(user: User, secret: str) -> None:
    Organisation.objects.filter(memberships__user=user).update(is_active=False)


# change -> the answer the next call gets (a user with no active membership sees no case: 404)
CHANGES = {
    "token revoked (service)": (_revoke_by_service, 401),
    "token expired (SQL by hand)": (_expire_by_hand, 401),
    "user deactivated (ORM, tokens left)": (_deactivate_by_orm, 401),
    "password to change": (_password_to_change, 401),
    "membership ended (ORM)": (_membership_ended, 404),
    "organisation closed": (_organisation_closed, 404),
}


def _in_another_connection(work) -> None:
    """Run ``work`` on another thread, thus another database connection, committed when it returns."""
    errors = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not errors, errors


def _until_notified() -> None:
    """Wait until a notification reached this connection's socket (it is sent when the other commits)."""
    readable, _w, _x = select.select([connection.connection.fileno()], [], [], 10)
    assert readable, "no notification arrived within 10 s"


# Made where: on the connection that reads next (its own notification comes back with its commit),
# or on another, committed there (the notification reaches this connection's socket later).
WHERE = ["this connection", "another connection"]


@kept_between_requests
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_is_seen_by_the_next_call(world, change, where):
    make, expected = CHANGES[change]
    case = rich_case(world)
    user = world["socialwork"]
    secret = api_token(user)
    client = _client(secret)
    assert [_read(client, case)[0] for _ in range(2)] == [200, 200]  # the second from the kept rows
    if where == "this connection":
        make(user, secret)
    else:
        _in_another_connection(lambda: make(User.objects.get(pk=user.pk), secret))
        _until_notified()
    assert _read(client, case)[0] == expected


@kept_between_requests
def test_an_authenticator_removed_by_hand_stops_the_token_where_one_is_required(world, settings):
    settings.NRM_REQUIRE_2FA = True
    user = world["socialwork"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    case = rich_case(world)
    client = _client(api_token(user))
    assert [_read(client, case)[0] for _ in range(2)] == [200, 200]
    TOTPDevice.objects.filter(user=user).delete()  # not through the service, which revokes the tokens too
    status, _sqls = _read(client, case)
    assert status == 401


@kept_between_requests
def test_the_token_is_read_anew_after_its_last_use_is_written(world, monkeypatch):
    """The touch of ``last_used_at`` notifies no one (calls write it): the call that wrote it drops the row itself."""
    from nrm.api import authentication

    case = rich_case(world)
    client = _client(api_token(world["socialwork"]))
    assert _read(client, case)[0] == 200
    assert not _reads_the_token(_read(client, case)[1])
    later = timezone.now() + 2 * authentication.TOUCH_EVERY
    monkeypatch.setattr(authentication.timezone, "now", lambda: later)
    status, touched = _read(client, case)
    assert status == 200 and not _reads_the_token(touched)  # from the kept row, which said: long ago
    assert ApiToken.objects.get().last_used_at == later  # so that call wrote it
    status, after = _read(client, case)
    assert status == 200 and _reads_the_token(after)  # read anew, with its new last use
    assert not _reads_the_token(_read(client, case)[1])


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_rows_read_while_a_notification_came_are_not_kept(world):
    key = ("test", 1)
    rows, ticket = TOKEN_ROWS.get("default", key)  # listens
    assert rows is None and ticket is not None
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {ACCOUNTS_CHANNEL}")  # as a write committed while the rows were read
    TOKEN_ROWS.put(ticket, key, [("row",)])
    assert TOKEN_ROWS.get("default", key)[0] is None
    rows, ticket = TOKEN_ROWS.get("default", key)
    TOKEN_ROWS.put(ticket, key, [("row",)])
    assert TOKEN_ROWS.get("default", key)[0] == [("row",)]


@kept_between_requests
def test_where_listen_is_refused_nothing_is_kept_and_calls_still_answer(world, monkeypatch):
    """A proxy in front of PostgreSQL may refuse LISTEN: every call then reads its token, as before."""
    from django.db import DatabaseError
    from django.db.backends.utils import CursorWrapper

    real = CursorWrapper.execute

    refused = []

    def refusing(self, sql, params=None):
        if sql.startswith("LISTEN"):
            refused.append(sql)
            raise DatabaseError("LISTEN is not supported")
        return real(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", refusing)
    case = rich_case(world)
    client = _client(api_token(world["socialwork"]))
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
        assert _reads_the_token([query["sql"] or "" for query in captured])  # (the refused LISTEN has none)
    assert len(refused) == 1  # asked once per connection, not on every call


@pytest.mark.django_db
def test_nothing_is_kept_in_a_transaction_or_on_sqlite():
    """In a transaction notifications wait for its end; SQLite has none."""
    connection.ensure_connection()
    assert connection.in_atomic_block  # the test's transaction
    assert TOKEN_ROWS.get("default", ("test", 1)) == (None, None)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_nothing_is_kept_behind_a_pool(settings):
    """A pooled connection's LISTEN is not its own (``NRM_DB_POOL`` set: ``NRM_LISTENED_ROWS`` off)."""
    connection.ensure_connection()
    assert TOKEN_ROWS.get("default", ("test", 1))[1] is not None  # kept connections keep
    settings.NRM_LISTENED_ROWS = False
    assert TOKEN_ROWS.get("default", ("test", 1)) == (None, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")
@pytest.mark.django_db
def test_every_table_a_token_call_reads_notifies_the_channel():
    """The token statement's tables, and every authenticator model's: a new device plugin needs its trigger."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'nrm_notify_accounts' AND NOT t.tgisinternal"
        )
        notified = {row[0] for row in cursor.fetchall()}
    read = {model._meta.db_table for model in (ApiToken, User, Membership, Organisation)}
    read |= {Organisation._meta.get_field("type").related_model._meta.db_table}
    read |= {model._meta.db_table for model in device_classes()}
    assert read <= notified, read - notified
