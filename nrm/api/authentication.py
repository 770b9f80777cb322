"""API token authentication: ``Authorization: Token <secret>`` against :class:`nrm.accounts.models.ApiToken`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from nrm.accounts.access import (
    ACCOUNTS_CHANNEL,
    has_device_expression,
    memberships_expression,
    needs_second_factor,
    remember_memberships,
)
from nrm.accounts.models import ApiToken
from nrm.accounts.services import token_hash
from nrm.core import prepared
from nrm.core.listened import ListenedRows

# The token's statement, as nrm.core.prepared remembers it.
STATEMENT = "api_token"
# No token's hash: the probe the prepared statement is compiled beside.
PROBE_HASH = "-" * 64
# ``last_used_at`` is written at most this often per token: a read stays a read most of the time.
TOUCH_EVERY = dt.timedelta(minutes=5)


# The token's row, its user's and their memberships, kept until a write to any table they come
# from is notified on this channel: the triggers of migration accounts 0004 (nrm.core.listened).
TOKEN_ROWS = ListenedRows(ACCOUNTS_CHANNEL)


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing ("Token <secret>"), our own hashed, expiring and revocable tokens.

    Each refusal says why (unknown, revoked, expired, inactive account, password to change, second
    factor to set up), as
    a 401 problem.
    """

    model = ApiToken

    def authenticate_credentials(self, key: str):
        # The user's memberships come in the same statement: the access rule needs them next; and
        # whether the user has an authenticator, which production asks of most roles.
        # Compiled once per process (nrm.core.prepared): only the hash changes. Its row is kept on
        # the connection until a write to what it reads is notified (TOKEN_ROWS): a token call then
        # costs no statement of its own.
        key_hash = token_hash(key)
        token = prepared.first(
            STATEMENT,
            lambda key_hash: (
                ApiToken.objects.select_related("user")
                .annotate(
                    memberships=memberships_expression(OuterRef("user_id")),
                    has_device=has_device_expression(OuterRef("user_id")),
                )
                .filter(key_hash=key_hash)
                .order_by()  # key_hash is unique: no sort of the one row
            ),
            key_hash,
            PROBE_HASH,
            kept=TOKEN_ROWS,
        )
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed("This token has been revoked; sign in again for a new one.")
        if token.expires_at <= now:
            raise AuthenticationFailed("This token has expired; sign in again for a new one.")
        user = token.user
        remember_memberships(user, token.memberships)
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        if user.must_change_password:
            raise AuthenticationFailed("Change your password on the web before using the API.")
        if settings.NRM_REQUIRE_2FA and needs_second_factor(user) and not token.has_device:
            # Issued before the requirement (setting up a device revokes such tokens): every working
            # token of such a user was issued against a code.
            raise AuthenticationFailed("Your role requires an authenticator app: set one up on the web first.")
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            # The touch notifies no one (the trigger leaves last_used_at out): read it anew next time.
            TOKEN_ROWS.discard(ApiToken.objects.db, prepared.kept_key(STATEMENT, key_hash))
        return user, token
