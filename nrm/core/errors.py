"""Errors raised by services; views and the API turn them into messages and HTTP answers."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class NotFound(Exception):
    """The object does not exist for this user: missing and forbidden are the same answer.

    ``audit`` holds the keyword arguments of a denial's audit row that is still to be written;
    :func:`nrm.audit.services.atomic_audited` writes it after rolling back, so that it stays.
    """

    def __init__(self, *args, audit: dict | None = None) -> None:
        super().__init__(*args)
        self.audit = audit


class Conflict(Exception):
    """The record changed since the user loaded it (optimistic locking) or the state forbids it."""

    def __init__(self, message: str, *, field: str = "version") -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def invalid(field: str, message: str) -> ValidationError:
    """Return a ValidationError naming ``field``."""
    return ValidationError({field: [message]})
