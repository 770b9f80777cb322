"""How ``nrm serve`` runs the WSGI application: waitress, and which proxy it believes."""

from __future__ import annotations

from django.conf import settings

# The headers a TLS-terminating proxy sets that change what the application sees: the scheme
# (so HTTPS is known, the redirect does not loop and HSTS is sent) and the client's address (so
# lockouts and the audit log name the client, not the proxy).
PROXY_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-for"})


def server_options(*, threads: int = 8) -> dict:
    """Return waitress's options: the trusted proxy, if any; proxy headers from anyone else dropped."""
    options: dict = {"threads": threads, "ident": "nrm", "clear_untrusted_proxy_headers": True}
    if settings.NRM_TRUSTED_PROXY:
        options |= {"trusted_proxy": settings.NRM_TRUSTED_PROXY, "trusted_proxy_headers": set(PROXY_HEADERS)}
    return options
