"""Every route is in an access matrix: a URL pattern or API operation no matrix names fails here.

The matrices live in each app's ``tests/test_access_matrix*.py`` and are built with the shared
harness (``tests/matrix.py``); importing them registers their routes.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.matrix import REGISTERED, route_of

ROOT = Path(__file__).resolve().parents[3]
METHODS = ("get", "post", "put", "patch", "delete")


def _import_matrices() -> None:
    for path in sorted(ROOT.glob("nrm/*/tests/test_access_matrix*.py")):
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


def url_routes() -> set[str]:
    """Return every route of the URLconf, as ``ResolverMatch.route`` spells it.

    The API's format-suffix twins (``.json``, ``.api``) serve the same views and are left out.
    """

    def walk(patterns, prefix: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, URLResolver._join_route(prefix, str(p.pattern)))
            elif isinstance(p, URLPattern) and not re.search(r"\(\?P<format>|:format>", str(p.pattern)):
                yield URLResolver._join_route(prefix, str(p.pattern))

    return set(walk(get_resolver().url_patterns))


def api_operations() -> set[tuple[str, str]]:
    """Return every operation of the OpenAPI schema as (METHOD, URLconf route)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), route_of(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_url_pattern_is_in_a_matrix():
    _import_matrices()
    covered = {route for _method, route in (r.pattern() for r in REGISTERED)}
    missing = sorted(url_routes() - covered)
    assert not missing, f"{len(missing)} URL patterns are in no access matrix:\n" + "\n".join(missing)


def test_every_api_operation_is_in_a_matrix():
    _import_matrices()
    covered = {r.pattern() for r in REGISTERED}
    missing = sorted(api_operations() - covered)
    assert not missing, f"{len(missing)} API operations are in no access matrix:\n" + "\n".join(
        f"{m} {r}" for m, r in missing
    )


def test_the_guard_sees_routes():
    """The guard could fail: the URLconf and the schema it reads are not empty."""
    assert len(url_routes()) > 150
    assert len(api_operations()) > 100
