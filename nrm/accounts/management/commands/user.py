"""``nrm user add USERNAME --organisation CODE --role ROLE [--password-stdin]``: an account from the command line.

Calls the same service as the administration pages (``nrm.accounts.services.user_create``), as
the server's trusted command line; the audit row says so. Without ``--password-stdin`` a
one-time password is generated and printed once.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nrm.accounts import services
from nrm.accounts.choices import Role
from nrm.accounts.models import Organisation

# The service's field names, as the options that carry them.
OPTION = {"organisation": "--organisation", "role": "--role", "username": "USERNAME", "password": "--password-stdin"}


class Command(BaseCommand):
    help = "Manage accounts: add USERNAME --organisation CODE --role ROLE [--password-stdin]."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        add = sub.add_parser("add", help="create an account with a role in an organisation")
        add.add_argument("username")
        add.add_argument("--organisation", required=True, help="the organisation's code")
        add.add_argument("--role", required=True, help="one of: " + ", ".join(Role.values))
        add.add_argument("--email", default="")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input (one line)"
        )

    def handle(self, *args, operation: str, **options):
        self.add(options)

    def add(self, options: dict) -> None:
        code = options["organisation"]
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            raise CommandError(f"--organisation: no organisation with the code {code!r}")
        if not organisation.is_active:
            raise CommandError(f"--organisation: the organisation {code!r} is inactive")
        if options["role"] not in Role.values:
            raise CommandError(f"--role: unknown role {options['role']!r}; one of: {', '.join(Role.values)}")
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: no password on standard input")
        try:
            user, password = services.user_create(
                actor=None,
                username=options["username"],
                organisation=organisation,
                role=options["role"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                password=password,
            )
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"{OPTION.get(field, '--' + field.replace('_', '-'))}: {' '.join(messages)}") from exc
        self.stdout.write(f"created {user.username}: {options['role']} in {organisation.code}")
        if not options["password_stdin"]:
            self.stdout.write(f"one-time password (shown once): {password}")
