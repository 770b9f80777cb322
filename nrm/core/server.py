"""How ``nrm serve`` runs the WSGI application (waitress or gunicorn) and which proxy it believes."""

from __future__ import annotations

import gc
import ipaddress
from collections.abc import Callable

from django.conf import settings

# The headers a TLS-terminating proxy sets that change what the application sees: the scheme
# (so HTTPS is known, the redirect does not loop and HSTS is sent) and the client's address (so
# lockouts and the audit log name the client, not the proxy).
PROXY_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-for"})


def settle() -> None:
    """Load what every request needs, then keep the loaded objects out of the cyclic collector's way.

    The URL configuration imports every view, serializer and form: done here, once, not in each
    worker's first request. ``gc.freeze`` then puts the objects alive now (the application's
    ~170,000) where the collector no longer walks them: a full collection walked them all a few
    times per thousand requests, 50 microseconds a request on average (of an API case read's
    1.8 ms). Forked workers inherit the frozen heap, untouched, so it also stays shared.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
    gc.collect()
    gc.freeze()


def server_options(*, threads: int = 8) -> dict:
    """Return waitress's options: the trusted proxy, if any; proxy headers from anyone else dropped."""
    options: dict = {"threads": threads, "ident": "nrm", "clear_untrusted_proxy_headers": True}
    if settings.NRM_TRUSTED_PROXY:
        options |= {"trusted_proxy": settings.NRM_TRUSTED_PROXY, "trusted_proxy_headers": set(PROXY_HEADERS)}
    return options


def _is_trusted(peer: str, trusted: str) -> bool:
    if not trusted:
        return False
    if trusted == "*":
        return True
    try:
        return ipaddress.ip_address(peer) == ipaddress.ip_address(trusted)
    except ValueError:
        return False


def trusted_proxy_rule(application: Callable, trusted: str) -> Callable:
    """Wrap a WSGI application with waitress's rule for gunicorn, which keeps every header.

    From the trusted proxy, the last X-Forwarded-For entry (the client the proxy saw) becomes
    REMOTE_ADDR; from anyone else both proxy headers are removed, so nothing downstream can
    believe them. The scheme itself is gunicorn's (``forwarded_allow_ips``, see below).
    """

    def wrapped(environ: dict, start_response: Callable):
        if _is_trusted(environ.get("REMOTE_ADDR", ""), trusted):
            client = environ.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
        else:
            for header in PROXY_HEADERS:
                environ.pop("HTTP_" + header.upper().replace("-", "_"), None)
        return application(environ, start_response)

    return wrapped


def gunicorn_options(*, host: str, port: int, workers: int, threads: int) -> dict:
    """Return gunicorn's settings for ``nrm serve --workers N``: the same proxy rule as waitress.

    One thread per process is gunicorn's sync worker: each request goes to a process that is
    free. A threaded worker keeps connections alive, and a kept connection stays with the process
    that accepted it: eight of them split 6/2 or 7/1 as often as not, and the busy process
    served while the other idled (153-316 audited reads/s from one run to the next, same data;
    sync workers 270-294, p95 39-41 ms). Behind the TLS proxy, which keeps the client's
    connection, nothing is lost.
    """
    sync = threads == 1
    return {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "sync" if sync else "gthread",
        # A sync worker busy longer than this is restarted: room for the longest page (an export,
        # an upload), less than a proxy's wait. Threaded workers are only watched for hanging.
        "timeout": 120 if sync else 30,
        "proc_name": "nrm",
        # Only the configured proxy may set the scheme, and only through X-Forwarded-Proto
        # (gunicorn's default also believes two other headers, and 127.0.0.1 without asking).
        "forwarded_allow_ips": settings.NRM_TRUSTED_PROXY or "",
        "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"},
        "forwarder_headers": "",
        "accesslog": None,
        "errorlog": "-",
        "graceful_timeout": 10,
    }


def serve_gunicorn(application: Callable, *, host: str, port: int, workers: int, threads: int) -> None:
    """Run ``application`` under gunicorn with ``workers`` processes of ``threads`` threads; return on exit."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(host=host, port=port, workers=workers, threads=threads)
    app = trusted_proxy_rule(application, settings.NRM_TRUSTED_PROXY)
    # The workers are forked: none may inherit a database connection opened before.
    connections.close_all()
    settle()

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable:
            return app

    Server().run()
