"""Field checks shared by the services of every app; each raises a ValidationError naming the field.

The ``check_*`` functions that return a value return it cleaned (stripped, in capitals, as a
Decimal...): services store what they return. Empty input is ``None`` or ``""``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import JSONField, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.core.errors import invalid

# Set by one_day(): the date today() returns meanwhile.
_day: ContextVar[dt.date | None] = ContextVar("nrm_validation_day", default=None)


def today() -> dt.date:
    """Return today's date in the configured time zone (the date :func:`one_day` holds, inside it)."""
    return _day.get() or timezone.localdate()


@contextlib.contextmanager
def one_day() -> Iterator[dt.date]:
    """Within, :func:`today` is the date on entering: one day for a whole bulk write.

    A bulk write checks several dates of every row against today; reading the time zone each
    time costs more than the check. Its rows are then also checked against one date, even
    across midnight.
    """
    token = _day.set(_day.get() or timezone.localdate())
    try:
        yield _day.get()
    finally:
        _day.reset(token)


def _empty(value: Any) -> bool:
    return value is None or value == ""


# Control characters other than tab, line feed and carriage return: NUL is refused by PostgreSQL in
# text (a 500), and the others are never typed by a person, only smuggled in.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The earliest birth date a living person's record can carry; anything before is a typing error.
BIRTH_DATE_MIN = dt.date(1900, 1, 1)


def check_characters(field: str, value: str) -> str:
    """Return ``value``; refuse it if it holds a control character (NUL...) other than tab and newlines."""
    if CONTROL.search(value):
        raise invalid(field, _("Remove the control characters (such as NUL) from this text."))
    return value


def check_choice(field: str, value: str, choices) -> str:
    """Return ``value`` if it is one of the ``choices`` (a TextChoices class); refuse anything else."""
    # The members by value: ``choices.values`` builds a list at every call.
    if value not in choices._value2member_map_:
        raise invalid(field, _("“%(value)s” is not a valid choice.") % {"value": value})
    return value


def check_text(field: str, value: str | None, max_length: int, *, required: bool = False) -> str:
    """Return ``value`` stripped; refuse it longer than ``max_length``, empty when ``required``, or
    holding control characters (see :func:`check_characters`)."""
    value = check_characters(field, (value or "").strip())
    if required and not value:
        raise invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise invalid(field, _("Use at most %(n)s characters.") % {"n": max_length})
    return value


# Free text without a column length (notes, grounds, summaries): long enough for any note a person
# writes, short enough that a pasted file is refused rather than stored.
TEXT_MAX_LENGTH = 20000


def check_model_text(model: type[Model], name: str, value: str | None, *, required: bool = False) -> str:
    """Return ``value`` as :func:`check_text` does, against the length of ``model``'s field ``name``.

    A field without a ``max_length`` (a TextField, encrypted or not) gets ``TEXT_MAX_LENGTH``.
    """
    max_length = model._meta.get_field(name).max_length or TEXT_MAX_LENGTH
    return check_text(name, value, max_length, required=required)


def check_date(field: str, value: Any, *, required: bool = True) -> dt.date | None:
    """Return ``value`` if it is a date (not a datetime); None when empty and not ``required``."""
    if _empty(value):
        if required:
            raise invalid(field, _("This field is required."))
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise invalid(field, _("Enter a date."))
    return value


def check_birth_date(field: str, value: Any, *, required: bool = False) -> dt.date | None:
    """Return a date of birth (a date or YYYY-MM-DD) from 1900-01-01 to today; None when empty and allowed."""
    if isinstance(value, str):
        value = value.strip()
        if value:
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise invalid(field, _("Enter the date of birth as YYYY-MM-DD.")) from None
    born = check_date(field, value, required=required)
    if born is not None and born < BIRTH_DATE_MIN:
        raise invalid(field, _("Enter a date of birth from 1900-01-01 on."))
    check_not_future(field, born)
    return born


def check_birth_year(field: str, value: int | None) -> int | None:
    """Return a year of birth from 1900 to this year; None when empty."""
    if _empty(value):
        return None
    year = check_count(field, value, minimum=BIRTH_DATE_MIN.year)
    if year > today().year:
        raise invalid(field, _("The year of birth cannot be in the future."))
    return year


def check_period(
    start_field: str,
    start: Any,
    end_field: str,
    end: Any,
    *,
    start_required: bool = True,
    end_required: bool = True,
) -> tuple[dt.date | None, dt.date | None]:
    """Return ``(start, end)`` checked as dates; refuse an end before the start (on ``end_field``)."""
    start = check_date(start_field, start, required=start_required)
    end = check_date(end_field, end, required=end_required)
    if start is not None and end is not None and end < start:
        raise invalid(end_field, _("The end date is before the start date."))
    return start, end


def check_count(
    field: str, value: Any, *, minimum: int = 1, maximum: int | None = None, required: bool = True
) -> int | None:
    """Return ``value`` as a whole number from ``minimum`` to ``maximum`` (if any); None when empty and allowed."""
    if _empty(value):
        if required:
            raise invalid(field, _("This field is required."))
        return None
    # True is an int to Python, never a count to a person.
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise invalid(field, _("Enter a whole number.")) from None
    if value < minimum:
        raise invalid(field, _("Enter a number of at least %(n)s.") % {"n": minimum})
    if maximum is not None and value > maximum:
        raise invalid(field, _("Enter a number of at most %(n)s.") % {"n": maximum})
    return value


def check_decimal(field: str, value: Any, low: Decimal, high: Decimal, *, required: bool = False) -> Decimal | None:
    """Return ``value`` as a Decimal from ``low`` to ``high`` with two decimals (percentages, scores, money).

    None when empty and not ``required``.
    """
    if _empty(value):
        if required:
            raise invalid(field, _("This field is required."))
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field, _("Enter a number.")) from None
    if not number.is_finite() or number < low or number > high:
        raise invalid(field, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return number.quantize(Decimal("0.01"))


def check_language(field: str, value: str | None) -> str:
    """Return an ISO 639-1 code in lowercase, or refuse anything else."""
    value = (value or "").strip().lower()
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise invalid(field, _("Use an ISO 639-1 language code, such as sr or en."))
    return value


def check_instance(field: str, value: Any, model: type[Model]) -> Any:
    """Return a ``model`` instance given as itself or its primary key; None when empty."""
    if _empty(value):
        return None
    if isinstance(value, model):
        return value
    found = model.objects.filter(pk=value).first() if str(value).isdigit() else None
    if found is None:
        raise invalid(field, _("No such record."))
    return found


@functools.cache
def _country_codes() -> frozenset[str]:
    """The codes django-countries knows (its list and the project's ``COUNTRIES_OVERRIDE``), fixed at start-up.

    Asking ``countries`` itself looks up the active language for every code checked: a twentieth
    of a bulk import checking two countries a row.
    """
    from django_countries import countries

    return frozenset(countries.countries)


def check_country(field: str, value: str) -> str:
    """Return an ISO 3166 alpha-2 code in capitals, or refuse anything else (empty is allowed)."""
    value = (value or "").strip().upper()
    if value and (len(value) != 2 or not value.isalpha() or value not in _country_codes()):
        raise invalid(field, _("Use a two-letter ISO 3166 country code, such as RS."))
    return value


def check_currency(field: str, value: str | None, *, required: bool = False) -> str:
    """Return an ISO 4217 code in capitals, or refuse anything else (empty unless ``required``)."""
    value = (value or "").strip().upper()
    if (value or required) and (len(value) != 3 or not value.isascii() or not value.isalpha()):
        raise invalid(field, _("Use a three-letter ISO 4217 currency code, such as RSD or EUR."))
    return value


def check_not_future(field: str, value: dt.date | None) -> None:
    """Refuse a date after today."""
    if value and value > today():
        raise invalid(field, _("The date cannot be in the future."))


# In JSON text: an escaped control character other than tab, LF and CR (backspace and form feed
# have their own escapes), or DEL (not escaped). It may
# also match text that only looks like one (a backslash followed by "u0001"): then the value is walked.
_JSON_CONTROL = re.compile(r"\\u00(?:0[0-8bcef]|1[0-9a-f])|\\[bf]|\x7f")


def check_json_text(field: str, value: Any) -> None:
    """Refuse control characters in any string (key or value) of a JSON value, naming ``field``."""
    if isinstance(value, dict | list):
        # Encoding is done in C: one pass over the text instead of one check per string.
        try:
            if not _JSON_CONTROL.search(json.dumps(value, ensure_ascii=False)):
                return
        except (TypeError, ValueError):
            pass
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_characters(field, item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


# Fields of any model that hold a date or year of birth: their values are checked as such.
BIRTH_DATE_FIELDS = frozenset({"date_of_birth"})
BIRTH_YEAR_FIELDS = frozenset({"birth_year"})


def check_record(instance: Model, fields: Any = None) -> None:
    """Refuse a record about to be stored whose values break the field checks, naming the field.

    Every text (encrypted ones too, checked before encryption) is checked for control characters
    and against the model field's ``max_length``, every JSON value for control characters, dates
    and years of birth as such. Services check their input first, with their own messages; this
    runs on every save (``core.apps``) and in ``save_versioned``, so no write path can skip it.
    Rows inserted without instances are checked a column at a time by :func:`check_column`.
    """
    for model_field in instance._meta.concrete_fields:
        name = model_field.name
        if fields is not None and name not in fields and model_field.attname not in fields:
            continue
        value = getattr(instance, model_field.attname, None)
        if value is None or hasattr(value, "resolve_expression"):  # F(), Now(): computed by the database
            continue
        check_column(model_field, (value,))


def check_column(model_field: Any, values: Sequence[Any]) -> None:
    """Refuse values about to be stored in ``model_field`` that break :func:`check_record`'s checks.

    The same checks as :func:`check_record` makes on one value, made on a whole column of a bulk
    insert (:func:`nrm.core.bulk.insert_rows`) at once: one search for control characters over
    the column's texts joined by a line feed (which the search allows, so a hit lies inside a
    value), their longest against ``max_length``, a column of JSON values encoded once. The error
    names the field, as for one record. ``None`` is not checked (SQL NULL).
    """
    name = model_field.name
    if isinstance(model_field, JSONField):
        # A value given many times (the same object, as generators share one) is checked once.
        present = list({id(v): v for v in values if v is not None}.values())
        if present:
            check_json_text(name, present)
        return
    texts = [v for v in values if isinstance(v, str)]
    if texts:
        check_characters(name, "\n".join(texts))
        max_length = model_field.max_length
        if max_length and max(map(len, texts)) > max_length:
            raise invalid(name, _("Use at most %(n)s characters.") % {"n": max_length})
    if name in BIRTH_DATE_FIELDS:
        for value in values:
            if (isinstance(value, str) and value) or isinstance(value, dt.date):
                check_birth_date(name, value)
    elif name in BIRTH_YEAR_FIELDS:
        for value in values:
            if isinstance(value, int):
                check_birth_year(name, value)
