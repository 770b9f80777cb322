"""Helpers shared by the exchange commands: the acting user and the error report."""

from __future__ import annotations

from django.core.management.base import CommandError

from nrm.accounts.models import User
from nrm.exchange.ctdc import ImportFailed


def acting_user(username: str | None, what: str) -> User:
    """Return the active user the command acts as; the access rule applies to them."""
    if not username:
        raise CommandError(f"{what} acts as a user: give --user USERNAME")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user named {username}")
    return user


def report(command, exc: ImportFailed) -> CommandError:
    """Print every row error to stderr and return the one-line failure to raise."""
    for error in exc.errors:
        command.stderr.write(f"  {error}")
    if exc.total > len(exc.errors):
        command.stderr.write(f"  ... and {exc.total - len(exc.errors)} more")
    return CommandError(str(exc))
