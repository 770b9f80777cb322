"""docs/architecture.md and docs/security.md stay true: what they point to in the code exists.

Each file they name (``core/prepared.py``, ``nrm/cases/access.py``, ``pgloaders.py``), each dotted name that
starts with an app and one of its modules (``cases.access.case_filter``) and each model label
(``reporting.ScreeningCount``). Other dotted words (audit actions such as ``case.view``) are
not names in the code and are left alone.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps

import nrm

PACKAGE = Path(nrm.__file__).parent
REPO = PACKAGE.parent
APPS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
DOCS = ["docs/architecture.md", "docs/security.md"]


def _spans(text: str) -> list[str]:
    """Return the text of every inline code span (code blocks left out)."""
    return re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))


def _path_exists(token: str) -> bool:
    """A path from the repository, the package or an app; a bare file name anywhere in them."""
    if "/" not in token:
        return (REPO / token).exists() or any(PACKAGE.rglob(token))
    places = [REPO, PACKAGE, *(PACKAGE / app for app in APPS)]
    return any((place / token).exists() for place in places)


def _name_resolves(token: str) -> bool | None:
    """Return whether an ``app.module.name`` resolves; None when ``token`` is no such name."""
    parts = token.split(".")
    if parts[0] not in APPS or len(parts) < 2:
        return None
    if parts[1][:1].isupper():  # a model label
        try:
            apps.get_model(parts[0], parts[1])
        except LookupError:
            return False
        return True
    module_path = PACKAGE / parts[0] / parts[1]
    if not (module_path.with_suffix(".py").exists() or (module_path / "__init__.py").exists()):
        return None  # an audit action, a setting... not a module
    obj = importlib.import_module(f"nrm.{parts[0]}.{parts[1]}")
    for attribute in parts[2:]:
        if not hasattr(obj, attribute):
            try:  # a submodule
                obj = importlib.import_module(f"{obj.__name__}.{attribute}")
            except (ImportError, AttributeError):
                return False
            continue
        obj = getattr(obj, attribute)
    return True


def references(doc: str) -> list[tuple[str, str]]:
    """Return (kind, token) for every file path and code name ``doc`` points to."""
    found = []
    for span in _spans((REPO / doc).read_text(encoding="utf-8")):
        for token in re.findall(r"[A-Za-z_][\w./-]*", span):
            token = token.rstrip(".")
            if re.search(r"\.(py|html|json|md|toml)$", token):
                found.append(("path", token))
            elif re.fullmatch(r"[a-z_]+(\.[A-Za-z_]\w*)+", token):
                found.append(("name", token))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_and_name_the_doc_points_to_exists(doc):
    refs = references(doc)
    wrong = [token for kind, token in refs if kind == "path" and not _path_exists(token)]
    wrong += [token for kind, token in refs if kind == "name" and _name_resolves(token) is False]
    assert not wrong, f"{doc} points to what is not in the code: {sorted(set(wrong))}"
    checked = [token for kind, token in refs if kind == "path" or _name_resolves(token)]
    assert len(checked) > 30  # the check reads the doc (a change of format would pass every doc)


def test_the_check_catches_a_name_that_moved():
    assert _name_resolves("cases.access.case_filter") is True
    assert _name_resolves("accounts.access.case_filter") is False  # moved to cases (session 17)
    assert _name_resolves("reporting.ScreeningCount") is True
    assert _name_resolves("audit.rekey") is None  # an audit action, not a name in the code
    assert not _path_exists("web/summary.py")
    assert _path_exists("pgloaders.py") and not _path_exists("summary_views.py")
