"""The answer to a sign-in while the username is locked out (django-axes' ``AXES_LOCKOUT_CALLABLE``).

One rule for the web and the API, in the user's language: a 429 with ``Retry-After``, saying how
long the pause lasts and that an administrator can lift it. The API gets a problem+json naming
``username``; the web a page, not the bare text axes would send.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _message() -> str:
    minutes = math.ceil(float(settings.AXES_COOLOFF_TIME or 0) * 60)
    if minutes <= 0:
        return _("Too many failed sign-ins: this account is locked. Ask an administrator to unlock it.")
    return ngettext(
        "Too many failed sign-ins: this account is locked for %(n)d minute. "
        "Try again later, or ask an administrator to unlock it.",
        "Too many failed sign-ins: this account is locked for %(n)d minutes. "
        "Try again later, or ask an administrator to unlock it.",
        minutes,
    ) % {"n": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Return the 429 for a locked-out username, as problem+json under /api/, else as a page."""
    message = _message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "type": "about:blank",
                "title": _("Too many failed sign-ins"),
                "status": 429,
                "detail": message,
                "errors": {"username": [message]},
                "invalid_params": [{"name": "username", "reason": message}],
            },
            status=429,
            content_type="application/problem+json",
        )
    else:
        response = render(request, "registration/locked.html", {"message": message}, status=429)
    minutes = math.ceil(float(settings.AXES_COOLOFF_TIME or 0) * 60)
    if minutes > 0:
        response["Retry-After"] = str(minutes * 60)
    return response
