"""Holding a user whose password an administrator set to the change-password page until they choose their own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# What such a user may still reach: the change itself, signing out, the language switch, static files.
ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/healthz")


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
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Forbidden",
                        "status": 403,
                        "detail": "Change your password on the web before using the API.",
                    },
                    status=403,
                    content_type="application/problem+json",
                )
            target = reverse("password_change")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
