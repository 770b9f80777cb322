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


def by_year(group: str) -> list[tuple[int, int | None, list[str]]]:
    """Return (first year, last year or None, members) of each version of ``group``, by the year it counts.

    A year counts by the version in force at its end, as Eurostat's EU-28 for 2013-2019 (Croatia
    joined on 1 July 2013) and EU-27 from 2020 (the United Kingdom left on 1 February 2020). A
    version replaced within the year it began counts for no year.
    """
    versions = _groups()[group]
    spans = []
    for i, version in enumerate(versions):
        first = int(version["valid_from"][:4])
        last = int(versions[i + 1]["valid_from"][:4]) - 1 if i + 1 < len(versions) else None
        if last is None or last >= first:
            spans.append((first, last, list(version["members"])))
    return spans
