"""Schemathesis against the schema the app serves: no 5xx, every answer as documented (issue D).

In-process through WSGI, as three roles that see different parts of the API: a case worker of an
NGO, a police officer and a statistician. The budget is small and fixed (a few derandomized
examples per operation, valid and invalid, no shrinking), so the run is deterministic and short;
it finds the classes of fault (an undocumented status, a 500 on odd input), not every instance.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import api_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ["ngo", "police", "analyst"]
EXAMPLES = 3
# Signing out would revoke the token the rest of the run uses; it has its own tests.
SKIP = {("POST", "/api/v1/auth/logout/")}
BUDGET = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.fixture
def wsgi_app():
    """The Django WSGI application, sharing the test's transaction.

    Django's test client keeps the request signals from closing the connection (which would end
    the test's transaction); a request through WSGI needs the same.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(operation, headers: dict[str, str], mode: GenerationMode) -> None:
    @BUDGET
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def _takes_input(operation) -> bool:
    """Whether the operation takes anything to make invalid (the credentials aside)."""
    headers = [h for h in operation.headers if "x-original-security-type" not in h.definition]
    return bool(headers or len(operation.path_parameters) or len(operation.query) or len(operation.body))


@pytest.mark.parametrize("role", ROLES)
def test_the_api_holds_to_its_schema(world, wsgi_app, role):
    headers = {"Authorization": f"Token {api_token(world[role])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app, headers=headers)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        modes = [GenerationMode.POSITIVE]
        if _takes_input(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _run(operation, headers, mode)
            except (AssertionError, FailureGroup, HypothesisException) as exc:  # report every operation, not the first
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}"[:3000])
        ran += 1
    assert ran > 100, ran
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
