"""Cells a spreadsheet will not run: every CSV and XLSX export writes its values through here.

Follows the OWASP guidance on CSV injection: text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading apostrophe, so Excel and LibreOffice show it as text
instead of evaluating it. Numbers, dates and booleans pass unchanged: they stay numeric (a
negative number is not a formula) and still sum and sort.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.functional import Promise

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = (bool, int, float, Decimal, dt.date, dt.time, dt.timedelta)


def safe_cell(value: object) -> object:
    """Return ``value`` fit for a spreadsheet cell, with any formula neutralised.

    None stays None (an empty cell; ``csv.writer`` writes it as ""). Any other value that is
    not a number, date or boolean is written as its text, so it is checked as text.
    """
    if value is None or isinstance(value, _PLAIN):
        return value
    text = str(value) if isinstance(value, Promise) or not isinstance(value, str) else value
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
