"""Holding a signed-in user to what must come first: a password of their own, a second factor, a
session no older than ``NRM_SESSION_MAX_AGE``."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# What such a user may still reach: the change itself, signing out, the language switch, static files.
ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/healthz")
# Plus, for a user who must set up an authenticator app, the set-up page.
ENROL_PREFIXES = (*ALLOWED_PREFIXES, "/accounts/totp/")
# The session key of the sign-in time (seconds since the epoch), set by ``signals.remember_sign_in``.
SIGNED_IN_AT = "nrm_signed_in_at"


def _forbidden(detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": detail},
        status=403,
        content_type="application/problem+json",
    )


def _to(request: HttpRequest, name: str) -> HttpResponse:
    target = reverse(name)
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


class SessionLifetimeMiddleware:
    """End a session ``NRM_SESSION_MAX_AGE`` seconds after its sign-in, however active it has been.

    ``SESSION_COOKIE_AGE`` ends idle sessions only; a session kept busy (or stolen and kept busy)
    would otherwise last for ever. A session without a sign-in time predates this rule and ends.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            if not isinstance(started, int) or time.time() - started > settings.NRM_SESSION_MAX_AGE:
                # Signed out, the request goes on as anonymous: pages send it to sign in.
                logout(request)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Redirect a signed-in user with ``must_change_password`` to ``/accounts/password/``.

    API requests with a session get a 403 problem instead (token requests are refused by the
    token authentication, which this middleware does not see).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return _forbidden("Change your password on the web before using the API.")
            return _to(request, "password_change")
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """With ``NRM_REQUIRE_2FA``, hold a user who needs a second factor (``needs_second_factor``)
    until their session is verified by an authenticator code.

    Without a confirmed device they are sent to set one up (``/accounts/totp/``); with one, a
    session that never gave its code (signed in before the device, or the device reset) is
    signed out and sent to sign in with it. API requests with a session get a 403 problem; token
    requests never get here unverified (the token endpoint asks for the code).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django_otp import user_has_device

        from nrm.accounts.access import needs_second_factor

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not settings.NRM_REQUIRE_2FA
            or request.path.startswith(("/static/", "/i18n/", "/healthz", "/accounts/logout/"))
            or not needs_second_factor(user)
            or user.is_verified()
        ):
            return self.get_response(request)
        api = request.path.startswith("/api/")
        if not user_has_device(user):
            if request.path.startswith(ENROL_PREFIXES):
                return self.get_response(request)
            if api:
                return _forbidden("Set up an authenticator app on the web before using the API.")
            return _to(request, "totp_setup")
        logout(request)
        if api:
            return _forbidden("Sign in again with your authenticator code.")
        return _to(request, "login")
