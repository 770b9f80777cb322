"""The access matrix: every route against its outsiders, with one harness for every app.

An app's ``tests/test_access_matrix.py`` describes its routes and builds a scene; the harness
turns them into the same tests for every app:

- **anonymous**: a page sends to the sign-in page, an API call answers 401 (problem+json);
- **outsiders** (another organisation, the same organisation with the wrong role, and any other
  persona the route names): the answer a missing record gets (404, or an empty list), none of the
  scene's secrets in it, nothing changed, and a refused record is an audited denial;
- **the right role**: the expected status; a read changes nothing, a write changes something.

Usage, in an app's ``tests/test_access_matrix.py``::

    ROUTES = [Route("get", "/things/{thing}/", right="owner"), ...]

    def build_scene(world) -> Scene: ...

    test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)

``build_scene`` runs once per module and worker (the ``scene`` fixture of the root conftest), so
a matrix module holds only tests that use the scene: a test without it would still see it.

``nrm/api/tests/test_route_coverage.py`` fails when a URL pattern of the URLconf or an operation
of the OpenAPI schema is in no matrix: a new route cannot skip the outsiders.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import resolve
from rest_framework.test import APIClient

from conftest import api_token
from nrm.accounts.models import ApiToken, User
from nrm.audit.models import AuditEntry

# Kinds of route: what an outsider gets.
OBJECT = "object"  # one record: 404 like a missing one, and an audited denial
AREA = "area"  # a page or endpoint of an area the outsider is not in: 404, nothing to audit
LIST = "list"  # a list: 200, with none of the scene's records in it
OPEN = "open"  # every signed-in user may use it (reference lists, the directory)
PUBLIC = "public"  # no sign-in needed (sign-in page, health check, API schema)

PROBLEM = "application/problem+json"

_PLACEHOLDER = re.compile(r"{(\w+)}")
REGISTERED: list[Route] = []


@dataclass(frozen=True)
class Route:
    """One operation of one route, and who may use it.

    ``path`` names the scene's records in braces (``/cases/{case}/``); ``right`` is the persona
    that may use it and gets ``ok``; ``outsiders`` are the personas refused (``refused``: the status
    they get, per persona or for all; an ``OBJECT`` refusal is also an audited denial when
    ``audited``). ``data`` is the JSON body (API) or the form (pages). ``changes``: whether the
    right role's request changes stored data (default: every method but GET).
    """

    method: str
    path: str
    right: str
    ok: int = 200
    kind: str = OBJECT
    data: dict | None = None
    outsiders: tuple[str, ...] = ("other_org", "wrong_role")
    refused: int | dict[str, int] | None = None
    audited: bool = True
    changes: bool | None = None
    name: str = ""
    # A refusal known not to hold yet: its outsider tests are expected to fail (strict), naming why.
    known_gap: str = ""

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        return self.name or f"{self.method.upper()} {self.path}"

    def refused_status(self, persona: str) -> int:
        if isinstance(self.refused, dict):
            return self.refused.get(persona, 404)
        if self.refused is not None:
            return self.refused
        return 200 if self.kind in (LIST, OPEN, PUBLIC) else 404

    def writes(self) -> bool:
        return self.changes if self.changes is not None else self.method != "get"

    def pattern(self) -> tuple[str, str]:
        """Return (METHOD, the URLconf route) this operation exercises: what coverage counts."""
        return self.method.upper(), route_of(self.path)


@dataclass
class Scene:
    """The records a matrix tries its routes on, and the people who try.

    ``ids`` fill the braces of the routes' paths (records or plain values); ``secrets`` are texts
    that only the right personas may ever receive; ``state`` adds app-specific details to the
    generic snapshot of stored data (row counts, versions, last updates of every table).
    """

    users: dict[str, User]
    ids: dict[str, Any]
    secrets: list[str] = field(default_factory=list)
    state: Callable[[], Any] | None = None

    def path(self, route: Route) -> str:
        return _PLACEHOLDER.sub(lambda m: str(_id(self.ids[m.group(1)])), route.path)

    def body(self, route: Route) -> Any:
        return _fill(route.data, self.ids)

    def snapshot(self) -> tuple:
        return stored_state(), self.state() if self.state else None


def _id(value: Any) -> Any:
    return getattr(value, "pk", value)


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Put the scene's ids into a body: ``"{case}"`` alone becomes the id itself, not a string."""
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return _id(ids[whole.group(1)])
        return _PLACEHOLDER.sub(lambda m: str(_id(ids[m.group(1)])), value)
    return value


def route_of(path: str) -> str:
    """Return the URLconf route that ``path`` (braces filled with 1) resolves to."""
    return resolve(_PLACEHOLDER.sub("1", path).split("?")[0]).route


@functools.cache
def _state_query() -> str:
    """Return one query over every counted table: a snapshot is a single round trip."""
    parts = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or model in (AuditEntry, ApiToken) or not model.__module__.startswith("nrm."):
            continue
        qn = connection.ops.quote_name
        names = {f.name: f.column for f in meta.concrete_fields}
        version = f"SUM({qn(names['version'])})" if "version" in names else "0"
        updated = f"CAST(MAX({qn(names['updated_at'])}) AS TEXT)" if "updated_at" in names else "NULL"
        parts.append(
            f"SELECT '{meta.label}' AS t, COUNT(*) AS n, {version} AS v, {updated} AS u FROM {qn(meta.db_table)}"
        )
    return " UNION ALL ".join(parts)


def stored_state() -> dict[str, tuple]:
    """Return, for every table of the project's apps, its row count, version sum and last update.

    The audit log is left out: a refusal is meant to write to it. So are the sessions and API
    tokens, which signing the personas in writes to.
    """
    with connection.cursor() as cursor:
        cursor.execute(_state_query())
        return {label: (n, v, u) for label, n, v, u in cursor.fetchall()}


def client_for(route: Route, user: User | None) -> Client | APIClient:
    """Return a client signed in as ``user`` (a token for the API, a session for pages)."""
    if route.api:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _with_files(body: Any) -> tuple[Any, bool]:
    """Turn a body's ``(name, bytes, content type)`` values into uploaded files; say whether there were any.

    A file is read once: each request gets its own, so a scene can send it again and again.
    """
    if not isinstance(body, dict) or not any(isinstance(v, tuple) for v in body.values()):
        return body, False
    return {k: SimpleUploadedFile(*v) if isinstance(v, tuple) else v for k, v in body.items()}, True


def request(scene: Scene, route: Route, user: User | None):
    """Send ``route``'s request as ``user`` (None: anonymous); a body with files goes as multipart."""
    client = client_for(route, user)
    path = scene.path(route)
    body, files = _with_files(scene.body(route))
    if route.method == "get":
        response = client.get(path, body or {})
    elif route.api and route.method in ("patch", "put"):
        # The matrix is about who may write, not about stale writes: "*" matches the current record.
        response = getattr(client, route.method)(path, body or {}, format="json", HTTP_IF_MATCH="*")
    elif route.api:
        response = getattr(client, route.method)(path, body or {}, format="multipart" if files else "json")
    else:
        response = getattr(client, route.method)(path, body or {})
    if getattr(response, "streaming", False):
        # A streamed export (CSV) is read whole, so that every check can look at its content.
        joined = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
        for header, value in response.items():
            joined[header] = value
        return joined
    return response


def send(scene: Scene, routes: Iterable[Route], method: str, path: str, who: str, data: dict | None = None):
    """Send the request of the route of ``routes`` with ``method`` and ``path`` as ``who``, with other data if given."""
    matches = [r for r in routes if (r.method, r.path) == (method, path)]
    if not matches:
        raise LookupError(f"no route {method.upper()} {path} in the matrix")
    route = matches[0]
    if data is not None:
        route = replace(route, data=data)
    return request(scene, route, scene.users[who])


def _last_seq() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _assert_nothing_leaked(scene: Scene, response, who: str) -> None:
    content = response.content
    for secret in scene.secrets:
        assert secret.encode() not in content, f"{who} received {secret!r}"


def check_anonymous(scene: Scene, route: Route) -> None:
    """Assert an anonymous request is sent to sign in, leaks nothing and changes nothing."""
    before = scene.snapshot()
    response = request(scene, route, None)
    if route.kind == PUBLIC:
        assert response.status_code == route.ok, response.content[:500]
        return
    if route.api:
        assert response.status_code == 401, response.content[:500]
        assert response["Content-Type"].startswith(PROBLEM)
    else:
        assert response.status_code == 302, response.content[:500]
        assert response["Location"].startswith("/accounts/login/")
    _assert_nothing_leaked(scene, response, "anonymous")
    assert scene.snapshot() == before


def check_outsider(scene: Scene, route: Route, persona: str) -> None:
    """Assert ``persona`` gets what a missing record gets, learns nothing and changes nothing."""
    user = scene.users[persona]
    before, start = scene.snapshot(), _last_seq()
    response = request(scene, route, user)
    expected = route.refused_status(persona)
    assert response.status_code == expected, (persona, response.status_code, response.content[:500])
    _assert_nothing_leaked(scene, response, persona)
    assert scene.snapshot() == before, f"{persona}'s refused request changed stored data"
    if expected == 404 and route.api:
        assert response["Content-Type"].startswith(PROBLEM)
    if expected == 404 and route.kind == OBJECT and route.audited:
        # The test client's sign-in is audited too (auth.sign_in); it is not part of the request.
        written = list(
            AuditEntry.objects.filter(id__gt=start).exclude(action="auth.sign_in").values_list("actor", "outcome")
        )
        assert written, f"{persona}'s refusal was not audited"
        assert set(written) == {(user.username, AuditEntry.Outcome.DENIED)}, written


def check_right_role(scene: Scene, route: Route) -> None:
    """Assert the right persona gets ``ok``; a read changes nothing, a write changes something."""
    before = scene.snapshot()
    response = request(scene, route, scene.users[route.right])
    assert response.status_code == route.ok, (route.right, response.status_code, response.content[:1000])
    if route.writes():
        assert scene.snapshot() != before, f"{route.id} by {route.right} changed nothing"
    else:
        assert scene.snapshot() == before, f"{route.id} by {route.right} changed stored data"


def matrix_tests(routes: Iterable[Route]) -> tuple[Callable, Callable | None, Callable]:
    """Return the three parametrised tests of a matrix (anonymous, outsiders, the right role).

    The module that calls this must provide a ``scene`` fixture returning a :class:`Scene`.
    A matrix whose routes have no outsiders (public and open routes) gets no outsiders test.
    """
    routes = list(routes)
    REGISTERED.extend(routes)
    ids = [r.id for r in routes]
    outsiders = [
        pytest.param(r, p, id=f"{r.id} as {p}", marks=[pytest.mark.xfail(strict=True, reason=r.known_gap)])
        if r.known_gap
        else pytest.param(r, p, id=f"{r.id} as {p}")
        for r in routes
        if r.kind != PUBLIC
        for p in r.outsiders
    ]

    @pytest.mark.parametrize("route", routes, ids=ids)
    def test_anonymous(scene: Scene, route: Route) -> None:
        check_anonymous(scene, route)

    @pytest.mark.parametrize(("route", "persona"), outsiders)
    def test_outsiders(scene: Scene, route: Route, persona: str) -> None:
        check_outsider(scene, route, persona)

    @pytest.mark.parametrize("route", routes, ids=ids)
    def test_right_role(scene: Scene, route: Route) -> None:
        check_right_role(scene, route)

    return test_anonymous, test_outsiders if outsiders else None, test_right_role
