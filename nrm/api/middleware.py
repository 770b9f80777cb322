"""A call to the API with its token skips the middleware that serves signed-in browsers.

Sessions, the CSRF cookie, the session's lifetime, second factor and password holds, flash
messages: each is about a browser's session, and a token call has none (its token is checked by
:class:`nrm.api.authentication.ApiTokenAuthentication`, which refuses what those holds would).
Run for nothing, they took about 190 us of a served API case read's 2 ms of Python.

``TokenCallLane`` and ``TokenCallLaneEnd`` bracket them in ``MIDDLEWARE``: a token call goes
from the first straight past the second. Everything outside the bracket (security headers,
language, lockouts) still runs for every request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from nrm.api.authentication import ApiTokenAuthentication
from nrm.api.errors import is_api

# "Token <secret>", the keyword compared as DRF's TokenAuthentication compares it.
_KEYWORD = ApiTokenAuthentication.keyword.lower() + " "
# How far along the chain the end is looked for: the bracket holds a dozen at most.
_MAX_HOPS = 100


def is_token_call(request: HttpRequest) -> bool:
    """Whether ``request`` is a call to the API authenticated by an ``Authorization: Token`` header."""
    return is_api(request) and request.META.get("HTTP_AUTHORIZATION", "")[: len(_KEYWORD)].lower() == _KEYWORD


class TokenCallLaneEnd:
    """Where a token call rejoins the chain (see the module); does nothing itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class TokenCallLane:
    """Send a token call past everything up to :class:`TokenCallLaneEnd`; anything else through it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.past = _end_of(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_call(request):
            # Until DRF sets the token's user, the request has one as every request has.
            request.user = AnonymousUser()
            return self.past(request)
        return self.get_response(request)


def _end_of(handler: Callable) -> Callable[[HttpRequest], HttpResponse]:
    """Return what follows the :class:`TokenCallLaneEnd` down the chain that starts with ``handler``.

    Django builds the chain inside out, each middleware wrapped (``functools.wraps``: the
    wrapper's ``__wrapped__``) and holding the next as ``get_response``.
    """
    step: object = handler
    for _ in range(_MAX_HOPS):
        if isinstance(step, TokenCallLaneEnd):
            return step.get_response
        following = getattr(step, "__wrapped__", None) or getattr(step, "get_response", None)
        if following is None:
            break
        step = following
    raise ImproperlyConfigured("MIDDLEWARE has nrm.api.middleware.TokenCallLane without TokenCallLaneEnd after it.")
