"""The API's own routes: root, token, the caller's tokens, schema and docs (shared harness, ``tests/matrix.py``).

The schema and its docs page describe the API, not its data, and are public; the token endpoint
is how one signs in; the root lists the routes to signed-in users. A token is revoked by its
owner only: another user, an administrator too, finds no such token (the administration pages
are where an administrator revokes someone's token).
"""

from __future__ import annotations

from conftest import PASSWORD, api_token
from nrm.accounts.models import ApiToken
from tests.matrix import OPEN, PUBLIC, Route, Scene, matrix_tests


def build_scene(world) -> Scene:
    api_token(world["police"])
    token = ApiToken.objects.filter(user=world["police"]).latest("pk")
    # The generic state leaves tokens out (every request signs in with one): this one is watched.
    return Scene(
        users={**world, "other_org": world["ngo"], "wrong_role": world["admin"]},
        ids={"token": token},
        state=lambda: list(ApiToken.objects.filter(pk=token.pk).values_list("revoked_at", flat=True)),
    )


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
    Route("get", "/api/v1/auth/tokens/", "police", kind=OPEN, outsiders=()),
    Route("delete", "/api/v1/auth/tokens/{token}/", "police", 204),
    # Signing out revokes the request's own token, which the watched state leaves out.
    Route("post", "/api/v1/auth/logout/", "police", 204, kind=OPEN, outsiders=(), changes=False),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
