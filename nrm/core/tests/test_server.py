"""Behind a TLS proxy: ``nrm serve`` believes X-Forwarded-Proto from the configured proxy only.

Each test runs the real server (waitress, with ``nrm serve``'s options) on a free port of
127.0.0.1 and sends one request, with production's HTTPS settings in force. The health check's
database is out of the tests' reach, so it answers 503: what counts is the redirect and HSTS.
"""

from __future__ import annotations

import http.client
import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from waitress import create_server, wasyncore

from nrm.core.server import server_options

PRODUCTION_HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
}


def fetch(proxy: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Serve one request to /healthz through waitress with ``NRM_TRUSTED_PROXY=proxy``; return status and headers."""
    with override_settings(NRM_TRUSTED_PROXY=proxy, **PRODUCTION_HTTPS):
        server = create_server(WSGIHandler(), host="127.0.0.1", port=0, **server_options(threads=1))
        stop = threading.Event()

        def run() -> None:
            # waitress's own loop, a step at a time, so that it stops before the socket closes.
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=60)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            stop.set()
            thread.join(timeout=10)
            server.close()


def test_https_from_the_trusted_proxy_is_believed_and_gets_hsts():
    status, headers = fetch("127.0.0.1", {"X-Forwarded-Proto": "https"})
    assert status in (200, 503)  # served, not redirected again (the loop)
    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_plain_http_through_the_proxy_is_redirected_once_to_https():
    status, headers = fetch("127.0.0.1", {"X-Forwarded-Proto": "http"})
    assert status == 301 and headers["location"].startswith("https://127.0.0.1/")
    assert "strict-transport-security" not in headers


@pytest.mark.parametrize("proxy", ["", "10.9.8.7"])
def test_the_header_from_anyone_else_is_dropped(proxy):
    """No proxy configured, or another one: a client cannot claim HTTPS by sending the header itself."""
    status, headers = fetch(proxy, {"X-Forwarded-Proto": "https"})
    assert status == 301 and headers["location"].startswith("https://")
    assert "strict-transport-security" not in headers


def test_a_bad_proxy_address_is_refused_at_start():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nrm.settings'; django.setup()",
        ],
        env={**__import__("os").environ, "NRM_TRUSTED_PROXY": "proxy.example"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "NRM_TRUSTED_PROXY must be an IP address" in result.stderr
