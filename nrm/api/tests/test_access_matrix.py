"""The API's own routes: root, token, schema and docs (shared harness, ``tests/matrix.py``).

The schema and its docs page describe the API, not its data, and are public; the token endpoint
is how one signs in; the root lists the routes to signed-in users.
"""

from __future__ import annotations

from conftest import PASSWORD
from tests.matrix import OPEN, PUBLIC, Route, Scene, matrix_tests


def build_scene(world) -> Scene:
    return Scene(users=world, ids={})


ROUTES = [
    Route("get", "/api/v1/", "analyst", kind=OPEN, outsiders=()),
    Route("get", "/api/v1/schema/", "analyst", kind=PUBLIC),
    Route("get", "/api/v1/docs/", "analyst", kind=PUBLIC),
    # Signing in writes the token (a table the state leaves out) and nothing else.
    Route(
        "post",
        "/api/v1/auth/token/",
        "police",
        kind=PUBLIC,
        data={"username": "police", "password": PASSWORD},
        changes=False,
    ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
