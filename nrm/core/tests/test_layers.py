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
# The top layer: the command line (``nrm`` and its commands), the URLs and the API's router.
TOP = {"cli.py", "urls.py", "settings.py", "wsgi.py", "__main__.py", "api/urls.py"}

# Imports running upward today: (module, app imported).
KNOWN = {
    # Key rotation reads every app's rows through accounts' named bypass of the access rule.
    ("core/keys.py", "accounts"),
    # The statistics engine still defines the populations of cases and external data sets.
    ("reporting/aggregates.py", "cases"),
    ("reporting/engine.py", "cases"),
    ("reporting/engine.py", "exchange"),
    ("reporting/engine.py", "referrals"),
    ("reporting/selectors.py", "cases"),
    ("reporting/selectors.py", "exchange"),
    # The case and referral pages live in web, not in their apps.
    ("web/summary.py", "cases"),
    ("web/views.py", "cases"),
    ("web/views.py", "referrals"),
}


def _imported_apps(path: Path) -> set[str]:
    apps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        apps |= {parts[1] for parts in (n.split(".") for n in names) if parts[0] == "nrm" and len(parts) > 1}
    return apps


def upward_imports() -> set[tuple[str, str]]:
    """Return (module, app) for every import of an app in a layer above the module's own."""
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.as_posix() in TOP or {"tests", "migrations"} & set(relative.parts) or len(relative.parts) < 2:
            continue
        if "management/commands/" in relative.as_posix():  # a command: the command line's layer
            continue
        # An app's demo data (its demo.py) is the demo's layer: STYLE.md's "demo (every app's demo data)".
        own = "demo" if relative.name == "demo.py" else relative.parts[0]
        assert own in RANK, f"nrm/{own} has no layer: place it in RANK (STYLE.md, Layers)"
        found |= {(relative.as_posix(), app) for app in _imported_apps(path) if RANK.get(app, -1) > RANK[own]}
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
