"""One gate for every page: who may enter an area, and what a refusal looks like.

A user outside an area finds nothing there: a 404, the same as a missing record, and an attempt
at a particular record (a ``pk`` in the URL) is an audited denial. A ``NotFound`` raised by a
selector or a service below becomes the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from nrm.accounts.models import User
from nrm.audit.services import audit_record
from nrm.core.errors import NotFound


def role_gate(
    allowed: Callable[[User], bool],
    *,
    record: str | Callable[[str], str | None] | None = None,
    reason: str = "role without access",
    action: str | Callable[[str], str] = "",
    every_attempt: bool = False,
) -> Callable[[Callable], Callable]:
    """Return a decorator letting in signed-in users for whom ``allowed(user)`` holds.

    ``record`` names the kind of record a ``pk`` in the URL points to (``"case"``), or maps the
    view's name to it (None: no record, nothing to audit); the denial is audited as ``action``
    (default ``<kind>.view``; a callable maps the view's name to it) with ``reason``. With
    ``every_attempt`` a refusal is audited even without a ``pk`` (a form that creates a record).
    """

    def decorator(view: Callable) -> Callable:
        kind = record(view.__name__) if callable(record) else record
        audited_as = action(view.__name__) if callable(action) else action or f"{kind}.view"

        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not allowed(request.user):
                if kind and ("pk" in kwargs or every_attempt):
                    audit_record(
                        actor=request.user,
                        action=audited_as,
                        object_type=kind,
                        object_id=kwargs.get("pk", ""),
                        outcome="denied",
                        reason=reason,
                    )
                raise Http404
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None

        return login_required(wrapped)

    return decorator
