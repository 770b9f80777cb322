"""``nrm user add USERNAME --organisation CODE --role ROLE [--password-stdin]``: an account from the command line;
``nrm user set-password USERNAME [--password-stdin]``: a new password for an existing one;
``nrm user reset-2fa USERNAME``: remove the account's authenticator app (a lost phone, even the
last administrator's).

Calls the same services as the administration pages (``user_create``, ``password_reset``), as
the server's trusted command line; the audit row says so. Without ``--password-stdin`` a
one-time password is generated and printed once. Either way the account's owner must choose
their own password at the next sign-in, and a new password revokes the account's API tokens.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nrm.accounts import services
from nrm.accounts.choices import Role
from nrm.accounts.models import Organisation, User

# The service's field names, as the options that carry them.
OPTION = {"organisation": "--organisation", "role": "--role", "username": "USERNAME", "password": "--password-stdin"}


class Command(BaseCommand):
    help = (
        "Manage accounts: add USERNAME --organisation CODE --role ROLE [--password-stdin]; "
        "set-password USERNAME [--password-stdin]; reset-2fa USERNAME."
    )

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

        reset = sub.add_parser("set-password", help="give an account a new password (its owner changes it at sign-in)")
        reset.add_argument("username")
        reset.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input (one line)"
        )

        totp = sub.add_parser("reset-2fa", help="remove the account's authenticator app (its API tokens are revoked)")
        totp.add_argument("username")

    def handle(self, *args, operation: str, **options):
        if operation == "set-password":
            self.set_password(options)
        elif operation == "reset-2fa":
            self.reset_second_factor(options)
        else:
            self.add(options)

    def _stdin_password(self, options: dict) -> str | None:
        if not options["password_stdin"]:
            return None
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin: no password on standard input")
        return password

    def _user(self, options: dict) -> User:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"USERNAME: no account {options['username']!r}")
        return user

    def reset_second_factor(self, options: dict) -> None:
        user = self._user(options)
        removed = services.second_factor_reset(actor=None, user=user)
        self.stdout.write(f"removed {removed} authenticator device(s) of {user.username}; its API tokens are revoked")

    def set_password(self, options: dict) -> None:
        user = self._user(options)
        try:
            user, password = services.password_reset(actor=None, user=user, password=self._stdin_password(options))
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"{OPTION.get(field, '--' + field.replace('_', '-'))}: {' '.join(messages)}") from exc
        self.stdout.write(f"new password for {user.username}; its API tokens are revoked")
        if not options["password_stdin"]:
            self.stdout.write(f"one-time password (shown once): {password}")

    def add(self, options: dict) -> None:
        code = options["organisation"]
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            raise CommandError(f"--organisation: no organisation with the code {code!r}")
        if not organisation.is_active:
            raise CommandError(f"--organisation: the organisation {code!r} is inactive")
        if options["role"] not in Role.values:
            raise CommandError(f"--role: unknown role {options['role']!r}; one of: {', '.join(Role.values)}")
        password = self._stdin_password(options)
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
