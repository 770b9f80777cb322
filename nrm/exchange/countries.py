"""ISO 3166-1 country codes: alpha-2 and alpha-3, and the legacy codes external data sets still use."""

from __future__ import annotations

import functools
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "iso3166.json"

# Codes found in CTDC releases and older registers that are not (or no longer) ISO 3166-1:
# Kosovo as Y1, Tibet as TB (counted with China by CTDC), East Timor, Montenegro and Serbia
# under their 2003-2006 codes, Zaire.
LEGACY = {"Y1": "XK", "TB": "CN", "TP": "TL", "TMP": "TL", "Y2": "ME", "Y3": "RS", "ZR": "CD", "ZAR": "CD"}
# Codes that mean "unknown country" rather than a country.
UNKNOWN = {"00", "ZZ", "ZZZ", "XX", "XXX", "UNK"}


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    alpha2 = {code: name for code, (_a3, name) in raw.items()}
    alpha3 = {a3: code for code, (a3, _name) in raw.items()}
    return alpha2, alpha3, {name.casefold(): code for code, name in alpha2.items()}


def is_alpha2(code: str) -> bool:
    """Return True if ``code`` is an assigned ISO 3166-1 alpha-2 code (or XK, Kosovo)."""
    return code in _tables()[0]


def to_alpha2(value: str) -> str | None:
    """Return the alpha-2 code of an alpha-2 or alpha-3 code, or of a legacy code; None if unknown.

    Returns "" for the codes that stand for an unknown country (00, ZZ).
    """
    code = (value or "").strip().upper()
    alpha2, alpha3, _names = _tables()
    if code in UNKNOWN:
        return ""
    if code in LEGACY:
        return LEGACY[code]
    if len(code) == 2 and code in alpha2:
        return code
    if len(code) == 3 and code in alpha3:
        return alpha3[code]
    return None


def name(code: str) -> str:
    """Return the English short name of an alpha-2 code (the code itself if unknown)."""
    return _tables()[0].get(code, code)
