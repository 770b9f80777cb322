"""Field checks shared by the services of every app; each raises a ValidationError naming the field."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.core.errors import invalid


def today() -> dt.date:
    """Return today's date in the configured time zone."""
    return timezone.localdate()


def check_choice(field: str, value: str, choices) -> None:
    """Refuse ``value`` unless it is one of the ``choices`` (a TextChoices class)."""
    if value not in choices.values:
        raise invalid(field, _("“%(value)s” is not a valid choice.") % {"value": value})


def check_country(field: str, value: str) -> str:
    """Return an ISO 3166 alpha-2 code in capitals, or refuse anything else (empty is allowed)."""
    value = (value or "").strip().upper()
    if value and (len(value) != 2 or not value.isalpha()):
        raise invalid(field, _("Use a two-letter ISO 3166 country code, such as RS."))
    return value


def check_currency(field: str, value: str) -> str:
    """Return an ISO 4217 code in capitals, or refuse anything else (empty is allowed)."""
    value = (value or "").strip().upper()
    if value and (len(value) != 3 or not value.isalpha()):
        raise invalid(field, _("Use a three-letter ISO 4217 currency code, such as RSD or EUR."))
    return value


def check_not_future(field: str, value: dt.date | None) -> None:
    """Refuse a date after today."""
    if value and value > today():
        raise invalid(field, _("The date cannot be in the future."))
