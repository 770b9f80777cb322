"""Behind a TLS proxy: ``nrm serve`` believes X-Forwarded-Proto from the configured proxy only.

Each test runs the real server (waitress, or gunicorn below, with ``nrm serve``'s options) on a free port of
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


# --- gunicorn: ``nrm serve --workers N`` ------------------------------------------------------

GUNICORN = (
    "import sys, django; django.setup()\n"
    "from django.core.handlers.wsgi import WSGIHandler\n"
    "from nrm.core.server import serve_gunicorn\n"
    "serve_gunicorn(WSGIHandler(), host='127.0.0.1', port=int(sys.argv[1]), workers=2, threads=int(sys.argv[2]))\n"
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """Start gunicorn (two worker processes) as ``nrm serve --workers 2`` does, with production's HTTPS rules."""
    import os
    import subprocess
    import sys
    import time

    started = []

    def start(proxy: str, threads: int = 1) -> int:
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "nrm.core.tests.https_settings",
            "NRM_DATA_DIR": str(tmp_path),
            "NRM_TRUSTED_PROXY": proxy,
        }
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen([sys.executable, "-c", GUNICORN, str(port), str(threads)], env=env)
        started.append(process)
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}")
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                return port
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def get(port: int, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/healthz", headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}


def test_gunicorn_believes_the_trusted_proxy_only(gunicorn):
    port = gunicorn("127.0.0.1")
    status, headers = get(port, {"X-Forwarded-Proto": "https"})
    assert status == 200 and headers["strict-transport-security"].startswith("max-age=31536000")
    status, headers = get(port, {"X-Forwarded-Proto": "http"})
    assert status == 301 and headers["location"].startswith("https://127.0.0.1/")
    # The headers gunicorn believes by default besides X-Forwarded-Proto are not believed.
    status, headers = get(port, {"X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"})
    assert status == 301 and "strict-transport-security" not in headers


@pytest.mark.parametrize("threads", [1, 2])
def test_each_request_goes_to_a_free_process_with_one_thread_each(gunicorn, threads):
    """One thread per process (``nrm serve --workers N``'s default): no connection is kept by a process.

    A kept connection stays with the process that accepted it, so a few kept connections split
    unevenly and one process served while the other idled; with threads, connections are kept.
    """
    port = gunicorn("127.0.0.1", threads)
    status, headers = get(port, {"X-Forwarded-Proto": "https"})
    assert status == 200
    assert (headers.get("connection", "").lower() == "close") == (threads == 1)


@pytest.mark.parametrize("proxy", ["", "10.9.8.7"])
def test_gunicorn_drops_the_header_from_anyone_else(gunicorn, proxy):
    """gunicorn's own default trusts 127.0.0.1; NRM's rule (no proxy, or another one) wins."""
    port = gunicorn(proxy)
    status, headers = get(port, {"X-Forwarded-Proto": "https"})
    assert status == 301 and headers["location"].startswith("https://")
    assert "strict-transport-security" not in headers


def test_the_client_address_comes_from_the_trusted_proxy_only():
    from nrm.core.server import trusted_proxy_rule

    def echo(environ, start_response):
        return [environ["REMOTE_ADDR"], environ.get("HTTP_X_FORWARDED_FOR"), environ.get("HTTP_X_FORWARDED_PROTO")]

    def call(trusted: str, peer: str) -> list:
        environ = {
            "REMOTE_ADDR": peer,
            "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9",
            "HTTP_X_FORWARDED_PROTO": "https",
        }
        return trusted_proxy_rule(echo, trusted)(environ, None)

    # The proxy appends the client it saw: the last entry; what the client wrote before is not believed.
    assert call("10.0.0.1", "10.0.0.1")[0] == "203.0.113.9"
    assert call("*", "10.0.0.1")[0] == "203.0.113.9"
    assert call("10.0.0.1", "10.0.0.2") == ["10.0.0.2", None, None]
    assert call("", "10.0.0.1") == ["10.0.0.1", None, None]


def test_serve_refuses_no_workers():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", workers=0)


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "expected"), [({"workers": 2}, ("gunicorn", 1)), ({}, ("waitress", 8))])
def test_serve_runs_one_thread_per_gunicorn_process_and_eight_in_waitress(monkeypatch, args, expected):
    """Several processes: one thread each unless told (a process's threads only contend for it)."""
    import waitress
    from django.core.management import call_command

    from nrm.core import server

    used = []
    monkeypatch.setattr(server, "settle", lambda: None)  # it would freeze the test process's heap
    monkeypatch.setattr(server, "serve_gunicorn", lambda app, **kw: used.append(("gunicorn", kw["threads"])))
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: used.append(("waitress", kw["threads"])))
    call_command("serve", **args)
    assert used == [expected]
    used.clear()
    call_command("serve", threads=3, **args)
    assert used == [(expected[0], 3)]


def test_settling_loads_every_view_and_freezes_what_is_loaded():
    """Before serving: the URL configuration is imported and the heap frozen (in a process of its own)."""
    import subprocess
    import sys

    script = (
        "import gc, os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'nrm.settings'; django.setup()\n"
        "before = ('nrm.cases.api' in sys.modules, gc.get_freeze_count())\n"
        "from nrm.core.server import settle\n"
        "settle()\n"
        "print(before, 'nrm.cases.api' in sys.modules, gc.get_freeze_count() > 100000)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "(False, 0) True True"
