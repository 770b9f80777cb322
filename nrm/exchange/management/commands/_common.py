"""Helpers shared by the exchange commands: the acting user and the error report."""

from __future__ import annotations

from django.core.management.base import CommandError

from nrm.accounts.models import User
from nrm.exchange.ctdc import ImportFailed


def import_account(organisation_code: str | None) -> User:
    """Return the organisation's import account, for imports run on the server's command line.

    The command line is trusted (as ``nrm stats --raw`` is), but its writes still go through the
    services and the audit as a named account: ``import-<organisation code>``, with no password,
    holding the role that organisation's case managers hold.
    """
    from nrm.accounts.choices import Role
    from nrm.accounts.models import Membership, Organisation

    if not organisation_code:
        raise CommandError("name the organisation the cases belong to: --organisation CODE (or act as --user USERNAME)")
    organisation = Organisation.objects.select_related("type").filter(code=organisation_code, is_active=True).first()
    if organisation is None:
        raise CommandError(f"no active organisation with the code {organisation_code}")
    role = Role.IDENTIFIER if organisation.type.is_identification_authority else Role.CASEWORKER
    user, created = User.objects.get_or_create(username=f"import-{organisation.code}")
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role, "is_active": True}
    )
    return User.objects.get(pk=user.pk)


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
