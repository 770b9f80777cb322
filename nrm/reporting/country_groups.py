"""Country groups as data (``data/country_groups.json``): which countries were EU members, when.

Eurostat groups victims' citizenship as own country / other EU / non-EU. The list of member
states is data with the date each version is valid from, so a change of membership is a new
version in the file, not a change of code. The national country is ``settings.NRM_COUNTRY``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

FILE = Path(__file__).resolve().parent / "data" / "country_groups.json"


@cache
def _groups() -> dict[str, list[dict]]:
    data = json.loads(FILE.read_text(encoding="utf-8"))
    groups = data["groups"]
    for name, versions in groups.items():
        for version in versions:
            dt.date.fromisoformat(version["valid_from"])  # a bad date fails loudly, naming nothing silently
            members = version["members"]
            if any(len(code) != 2 or not code.isalpha() or code != code.upper() for code in members):
                raise ValueError(f"country group {name!r}: members must be ISO 3166 alpha-2 codes")
        versions.sort(key=lambda v: v["valid_from"])
    return groups


def members(group: str, on: dt.date | None = None) -> list[str]:
    """Return the ISO alpha-2 codes of ``group`` in force ``on`` (default today); [] before its first version."""
    day = (on or dt.date.today()).isoformat()
    found: list[str] = []
    for version in _groups()[group]:
        if version["valid_from"] <= day:
            found = list(version["members"])
    return found


def valid_from(group: str, on: dt.date | None = None) -> str | None:
    """Return the date the version of ``group`` in force ``on`` is valid from (for a table's note)."""
    day = (on or dt.date.today()).isoformat()
    dates = [v["valid_from"] for v in _groups()[group] if v["valid_from"] <= day]
    return dates[-1] if dates else None
