"""Sign-ins and failed sign-ins go into the audit log, whichever way they happen (page, API, admin)."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from nrm.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="nrm-audit-sign-in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action="auth.sign_in", object_type="user", object_id=user.pk)


@receiver(user_login_failed, dispatch_uid="nrm-audit-sign-in-failed")
def audit_sign_in_failure(sender, credentials: dict, request=None, **kwargs) -> None:
    # The username tried (never the password, which Django has already masked); django-axes
    # marks the request when the failure is its lockout.
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        actor=None,
        # The token endpoint names its own action, so that its failures stay one row under it.
        action=getattr(request, "nrm_sign_in_action", "auth.sign_in"),
        object_type="user",
        object_id=str(credentials.get("username", ""))[:64],
        outcome="denied",
        reason="locked out" if locked else "bad credentials",
    )


@receiver(user_logged_in, dispatch_uid="nrm-session-sign-in-time")
def remember_sign_in(sender, request, user, **kwargs) -> None:
    # The session's absolute lifetime counts from here (middleware.SessionLifetimeMiddleware).
    from nrm.accounts.middleware import SIGNED_IN_AT

    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())
