"""axe-core on one page of every page type, as the role that may see it, on a desktop and a phone screen.

The page types are the access matrices' pages (``tests/matrix.py``): every URL pattern of the
web interface is in a matrix, with the persona that may open it and a scene of records to open it
on. Each matrix's scene is built here, in the live server's database, and each page the right
persona may open (200) is visited once and checked at each screen size; downloads (CSV, Excel, PDF, XML) and the
API are not pages. The sign-in page and the "not found" page are added.

The rules: WCAG 2.0/2.1 A and AA, and axe's best practices (landmarks, headings, regions).
"""

from __future__ import annotations

import importlib
import pkgutil
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

import nrm
import tests.matrix as matrix
from conftest import personas
from tests.browser.conftest import CHROMIUM_VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2.0 and 2.1, A and AA, and the best practices on landmarks and headings (the rest of axe's
# best practices cost a fifth more time per page for little a template can get wrong).
BEST_PRACTICES = [
    "landmark-unique",
    "landmark-one-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main",
    "landmark-banner-is-top-level",
    "landmark-main-is-top-level",
    "landmark-complementary-is-top-level",
    "region",
    "page-has-heading-one",
    "heading-order",
    "empty-heading",
    "skip-link",
]
RULES = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {rule: {"enabled": True} for rule in BEST_PRACTICES},
}
AXE = Axe()  # axe-core's script, bundled by axe-playwright-python: nothing fetched at run time
NOT_PAGES = (".csv", ".xlsx", ".pdf", ".xml", "/export/", "/download/")


def matrix_modules() -> list:
    """Return every app's access-matrix module (importing one registers its routes)."""
    names = [
        f"nrm.{app.name}.tests.{mod.name}"
        for app in pkgutil.iter_modules(nrm.__path__)
        if app.ispkg
        for mod in pkgutil.iter_modules([f"{nrm.__path__[0]}/{app.name}/tests"])
        if mod.name.startswith("test_access_matrix")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def page_routes(modules: list) -> list[tuple[object, matrix.Route]]:
    """Return (module, route): one route per URL pattern, an HTML page its right persona opens (200)."""
    seen: set[str] = set()
    chosen = []
    for module in modules:
        for route in _routes_of(module):
            if route.method != "get" or route.api or route.ok != 200 or route.kind == matrix.PUBLIC:
                continue
            pattern = matrix.route_of(route.path)
            if route.path.split("?")[0].endswith(NOT_PAGES) or pattern in seen:
                continue
            seen.add(pattern)
            chosen.append((module, route))
    return chosen


def _routes_of(module) -> list[matrix.Route]:
    """Return the routes a matrix module lists (its lists of routes, whatever their names)."""
    lists = [value for value in vars(module).values() if isinstance(value, list)]
    return [r for value in lists for r in value if isinstance(r, matrix.Route)]


def session_cookie(user, url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}


def check(page, url: str, who: str, found: list[str]) -> None:
    """Open ``url`` and run axe at each screen size (the layout changes what is shown and how)."""
    response = page.goto(url)
    assert response is not None and response.status in (200, 404), (url, who, response and response.status)
    page.evaluate(AXE.axe_script)  # once per page: parsing axe costs as much as a run
    for name, size in CHROMIUM_VIEWPORTS.items():
        page.set_viewport_size(size)
        results = page.evaluate("options => axe.run(document, options)", RULES)
        for violation in results["violations"]:
            for node in violation["nodes"]:
                found.append(f"{violation['id']}: {node['target']} on {url} as {who}, {name} ({violation['help']})")


def test_no_axe_violation_on_any_page_type(browser, live_server, world):
    routes = page_routes(matrix_modules())
    assert len(routes) > 60, f"only {len(routes)} page types found"
    # Only the matrices with pages: the API-only ones' scenes are not needed.
    modules = {module.__name__: module for module, _route in routes}
    scenes = {name: module.build_scene(personas()) for name, module in modules.items()}
    base = live_server.url
    by_persona: dict[tuple[str, str], list[str]] = {}
    for module, route in routes:
        scene = scenes[module.__name__]
        path = scene.path(route)
        if route.data:
            path += "?" + urlencode(scene.body(route), doseq=True)
        by_persona.setdefault((module.__name__, route.right), []).append(path)
    visits = [(None, "anonymous", ["/accounts/login/"])]
    visits += [(scenes[name].users[who], who, paths) for (name, who), paths in by_persona.items()]
    visits.append((world["police"], "police", ["/no-such-page/"]))
    found: list[str] = []
    # One browser context per persona, signed in by its session cookie.
    for user, who, paths in visits:
        context = browser.new_context(viewport=CHROMIUM_VIEWPORTS["phone"], locale="en")
        if user is not None:
            context.add_cookies([session_cookie(user, base)])
        page = context.new_page()
        for path in paths:
            check(page, base + path, who, found)
        context.close()
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
