"""Query parameters that pages, the API and commands parse the same way, with errors naming the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nrm.core.errors import invalid

# A year a record of this system can carry; a filter outside it is a typing error, not an empty list.
YEAR_MIN, YEAR_MAX = 1900, 2100


def year_param(value: object, *, field: str = "year") -> int | None:
    """Return the year in ``value`` (None when empty); refuse anything else, naming ``field``.

    A bare ``int(...)`` let ``?year=10000`` reach the database, which cannot form the date and
    answered 500.
    """
    if value is None or (text := str(value).strip()) == "":
        return None
    if not text.isdigit() or not YEAR_MIN <= int(text) <= YEAR_MAX:
        raise invalid(field, _("Enter a year from %(low)d to %(high)d.") % {"low": YEAR_MIN, "high": YEAR_MAX})
    return int(text)


def year_or_none(value: object) -> int | None:
    """Return the year in ``value``, or None when it is empty or not a usable year (lenient page filters)."""
    try:
        return year_param(value)
    except ValidationError:  # a page's filter link ignores what it cannot use
        return None


def int_param(
    value: object,
    *,
    field: str,
    default: int | None = None,
    required: bool = False,
    low: int = 0,
    high: int = 10**6,
) -> int | None:
    """Return the whole number in ``value`` from ``low`` to ``high``, or ``default`` when empty.

    Refuse anything else naming ``field``: text, a fraction, a number out of range (a huge one
    would reach the database or a date computation and answer 500), or nothing when ``required``.
    """
    text = "" if value is None else str(value).strip()
    if text == "":
        if required:
            raise invalid(field, _("This field is required."))
        return default
    # True is an int to Python, never a count to a person; int() alone would accept "1_000".
    if isinstance(value, bool) or not text.lstrip("-").isdigit() or not text.isascii():
        raise invalid(field, _("Enter a whole number."))
    number = int(text)
    if not low <= number <= high:
        raise invalid(field, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return number
