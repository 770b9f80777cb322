"""Shared test fixtures: reference data, a small indicator list, and the personas of the BRIEF."""

from __future__ import annotations

import pytest

from nrm.accounts.models import Organisation, User
from nrm.cases.models import IndicatorList

# A small list with the ILO shape: two indicators of each strength per dimension.
MINI_DIMENSIONS = [
    ("deceptive_recruitment", "recruitment"),
    ("coercive_recruitment", "recruitment"),
    ("abuse_vulnerability_recruitment", "recruitment"),
    ("exploitative_conditions", "exploitation"),
    ("coercion_destination", "coercion"),
    ("abuse_vulnerability_destination", "coercion"),
]
MINI_LIST = {
    "code": "mini",
    "version": 1,
    "title": "Test list",
    "dimensions": [{"code": c, "title": c.replace("_", " ").capitalize(), "group": g} for c, g in MINI_DIMENSIONS],
    "indicators": [
        {"code": f"{c}_{s}{i}", "dimension": c, "strength": s, "applies_to": ["adult", "child"], "text": f"{c} {s} {i}"}
        for c, _g in MINI_DIMENSIONS
        for s in ("strong", "medium", "weak")
        for i in (1, 2, 3)
    ],
    "dimension_rule": {
        "any_of": [{"strong": 2}, {"strong": 1, "medium_or_weak": 1}, {"medium": 3}, {"medium": 2, "weak": 1}]
    },
    "victim_rule": {
        "adult": {"all_of_groups": ["recruitment", "exploitation", "coercion"]},
        "child": {"all_of_groups": ["recruitment", "exploitation"]},
    },
}
PRESUMED_ADULT = [
    "deceptive_recruitment_strong1",
    "deceptive_recruitment_strong2",
    "exploitative_conditions_strong1",
    "exploitative_conditions_medium1",
    "coercion_destination_strong1",
    "coercion_destination_weak1",
]
PASSWORD = "correct-horse-battery"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_world() -> None:
    """Load the reference data, Serbia's action plan, the test indicator list (the only active one) and the personas."""
    from nrm.actionplan.services import load_plan
    from nrm.demo.generator import demo_users
    from nrm.demo.reference import load_reference

    load_reference()
    load_plan()
    IndicatorList.objects.update(is_active=False)
    IndicatorList.objects.create(code="mini", version=1, title="Test list", definition=MINI_LIST)
    demo_users(PASSWORD)


@pytest.fixture(scope="session", autouse=True)
def _fast_passwords():
    """Hash passwords cheaply for the whole run: Argon2 (the production hasher) per persona would dominate it.

    ``nrm.core.tests.test_foundation`` checks that production settings keep Argon2 first.
    """
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


@pytest.fixture(scope="session", autouse=True)
def _seal_at_commit():
    """Seal audit rows at each commit, on the committing thread: tests check the chain right after.

    The batched sealer thread (production's default) has its own tests in ``nrm/audit/tests``.
    """
    from django.test.utils import override_settings

    with override_settings(NRM_AUDIT_SEAL_MS=0):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, _fast_passwords):
    """Load the world once per test database (one per xdist worker), not once per test.

    Each test still runs in its own transaction, rolled back afterwards, so the reference data a
    test changes is back for the next one.
    """
    with django_db_blocker.unblock():
        load_world()


def personas() -> dict[str, User]:
    """Return the demo personas by name, loading the world first if the database lacks it.

    A live-server test's database is flushed after each test; the next one loads the world again.
    """
    from nrm.demo.generator import DEMO_USERS

    names = [row[0] for row in DEMO_USERS]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    if len(users) < len(names):
        load_world()
        users = {u.username: u for u in User.objects.filter(username__in=names)}
    return users


@pytest.fixture
def triggers_back_after_flush(django_db_blocker):
    """Set up before ``transactional_db``, so this runs after its flush: the audit triggers come back."""
    from django.db import connection

    from nrm.audit import triggers

    yield
    with django_db_blocker.unblock():
        triggers.install(connection)


@pytest.fixture
def flushable(transactional_db):
    """The append-only triggers refuse the flush of a transactional test's database: drop them before it.

    With ``triggers_back_after_flush`` first, which puts them back after the flush.
    """
    from django.db import connection

    from nrm.audit import triggers

    yield
    triggers.remove(connection)


@pytest.fixture
def world(db):
    """Return the demo personas by name (the reference data is loaded once, by ``django_db_setup``)."""
    return personas()


@pytest.fixture(scope="module")
def _scene_once(request, django_db_setup, django_db_blocker):
    """Build the test module's scene (``build_scene(personas)``) once per module and worker.

    The scene is made inside a transaction that stays open while the module's tests run, each in
    its own savepoint (the ``db`` fixture) rolled back after it; it is rolled back after the
    module. Every test starts from the same scene, and the services that make it run once
    instead of once per route and persona.
    """
    from django.db import transaction

    build = getattr(request.module, "build_scene", None)
    if build is None:
        pytest.fail(f"{request.module.__name__} uses the scene fixture but defines no build_scene(world)")
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(personas())
        transaction.set_rollback(True)


@pytest.fixture
def scene(_scene_once, db):
    """Return the module's scene (see ``_scene_once``); the test runs in a savepoint inside it."""
    return _scene_once


@pytest.fixture
def orgs(world):
    return {o.code: o for o in Organisation.objects.select_related("type")}


def fresh(user: User) -> User:
    """Return the user re-read, without the per-request membership cache."""
    return User.objects.get(pk=user.pk)


@pytest.fixture(autouse=True)
def _english():
    """Start every test in English: a page rendered in Serbian must not leave its language behind.

    Django keeps the active language per thread, and a worker runs many tests in one thread.
    """
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


def api_token(user: User, **fields) -> str:
    """Give ``user`` a working API token and return its secret, as ``force_login`` gives a session.

    A test's credential, not a sign-in: no audit row and no rotation, so that a matrix test sees
    only what the request under test writes. ``fields`` set the row (``expires_at`` in the past...).
    """
    import datetime as dt
    import secrets

    from django.conf import settings
    from django.utils import timezone

    from nrm.accounts.models import ApiToken
    from nrm.accounts.services import token_hash

    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    # Marked as just used, so a test's first request does not write ``last_used_at`` (query counts).
    values = {
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=settings.NRM_API_TOKEN_TTL),
        "last_used_at": now,
        **fields,
    }
    ApiToken.objects.create(user=user, key_hash=token_hash(secret), **values)
    return secret


def drop_server_connection(wrapper) -> int:
    """Have PostgreSQL terminate ``wrapper``'s connection, as a restart or an idle timeout does; return its pid.

    Waits until the server process is gone, so the next statement on it meets a dropped connection.
    """
    import time

    pid = wrapper.connection.info.backend_pid
    other = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            if other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] == 0:
                break
            time.sleep(0.05)
    finally:
        other.close()
    return pid
