"""The layers of STYLE.md: each app imports only from the layers below it, lazy imports included.

The imports that still run upward are listed below, each a debt to pay by registering instead
(as the access rules, a case's relations, its erasure and the home page's blocks are): a new one
fails this test, and so does a listed one that has gone, so that the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nrm

ROOT = Path(nrm.__file__).parent

# Top to bottom: the higher the number, the higher the layer. The apps STYLE.md does not name
# hang records on a case (documents, transfers, a child's records, protection measures, tasks),
# so they stand above cases and below the apps that use them.
RANK = {
    "demo": 8,
    "exchange": 7,
    "prevention": 7,
    "justice": 7,
    "helpline": 7,
    "earlywarning": 7,
    "programmes": 7,
    "actionplan": 7,
    "documents": 6,
    "transfers": 6,
    "children": 6,
    "protection": 6,
    "tasks": 6,
    "cases": 5,
    "referrals": 5,
    "reporting": 4,  # the statistics engine: apps register their populations
    "web": 3,  # toolkits that import no domain app
    "api": 3,
    "accounts": 2,
    "audit": 1,
    "core": 0,
}
# The statistics engine is reporting's counting, disclosure control, analytics tables, standard
# tables and models; reporting's pages (views, selectors, API, exports, its home blocks) read the
# apps' records to show them, and stand with the programme apps.
ENGINE = {"engine", "protect", "disclosure", "aggregates", "country_groups", "tables", "models"}
PAGES_OF_STATISTICS = 7
# The top layer: the command line (``nrm`` and its commands), the URLs and the API's router.
TOP = {"cli.py", "urls.py", "settings.py", "wsgi.py", "__main__.py", "api/urls.py", "web/urls.py"}

# Imports running upward today: (module, app imported). None: a new one is registered instead.
KNOWN: set[tuple[str, str]] = set()


def _imported_modules(path: Path) -> set[str]:
    """Return the modules of nrm ``path`` imports (``from nrm.x import y`` names ``nrm.x.y`` too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module.count(".") == 1:  # from nrm.app import module
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m.startswith("nrm.") and m.count(".") >= 1}


def _imported_apps(path: Path) -> set[str]:
    return {m.split(".")[1] for m in _imported_modules(path)}


def _rank(app: str, module: str = "") -> int:
    """Return the layer of ``app``'s ``module`` (its first name inside the app: ``engine``, ``views``...)."""
    if app == "reporting" and module and module not in ENGINE:
        return PAGES_OF_STATISTICS
    return RANK.get(app, -1)


def upward_imports() -> set[tuple[str, str]]:
    """Return (module, app) for every import of an app's module in a layer above the importing module's."""
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.as_posix() in TOP or {"tests", "migrations"} & set(relative.parts) or len(relative.parts) < 2:
            continue
        if "management/commands/" in relative.as_posix():  # a command: the command line's layer
            continue
        app = relative.parts[0]
        assert app in RANK, f"nrm/{app} has no layer: place it in RANK (STYLE.md, Layers)"
        # An app's demo data (its demo.py) is the demo's layer: STYLE.md's "demo (every app's demo data)".
        own = RANK["demo"] if relative.name == "demo.py" else _rank(app, Path(relative.parts[1]).stem)
        for module in _imported_modules(path):
            parts = module.split(".")
            if _rank(parts[1], parts[2] if len(parts) > 2 else "") > own:
                found.add((relative.as_posix(), parts[1]))
    return found


def test_no_module_imports_an_app_above_its_own_beyond_the_known_debts():
    found = upward_imports()
    new = sorted(found - KNOWN)
    assert not new, f"imports running up the layers (STYLE.md): {new}; register instead (see docs/architecture.md)"
    paid = sorted(KNOWN - found)
    assert not paid, f"no longer imported upward, take them off KNOWN: {paid}"


def test_the_check_sees_a_lazy_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from nrm.exchange.dedup import propose_links\n    import nrm.demo.bulk\n")
    assert _imported_apps(module) == {"exchange", "demo"}


def test_the_statistics_pages_stand_above_the_engine():
    assert _rank("reporting", "engine") < _rank("cases") < _rank("reporting", "selectors")
