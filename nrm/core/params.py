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
