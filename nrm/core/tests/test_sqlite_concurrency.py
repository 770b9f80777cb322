"""Property 26: two server processes x eight connections of audited reads and writes on one SQLite file.

The real thing, not a simulation: a fresh data directory is migrated and given a few synthetic
cases, then two ``nrm serve`` processes (waitress, eight threads each) serve the same SQLite file
while sixteen client threads read a case (an audited read) and add a note to it (a write and its
audit row), interleaved. Every request must succeed, every read and write must have its one audit
row, and the audit chain must verify afterwards: SQLite's single writer queues the writers
(``transaction_mode=IMMEDIATE`` with a timeout) instead of failing with "database is locked" or
forking the chain.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the property is about SQLite's single writer: the SQLite leg runs it",
)

SERVERS = 2
CLIENT_THREADS = 16  # eight per server
ROUNDS = 6  # each thread: ROUNDS x (one read, one write)

SETUP = """
import json
import django
django.setup()
from nrm.accounts import services as accounts
from nrm.cases.models import Case
from nrm.demo.bulk import generate_bulk
from nrm.demo.reference import load_reference

load_reference()
generate_bulk(screenings=20, cases=5, seed=7)
case = Case.objects.order_by("pk").first()
user = case.owner.memberships.first().user
_, secret = accounts.token_issue(user=user, label="drill")
print(json.dumps({"case": case.pk, "token": secret}))
"""

CHECK = """
import json
import django
django.setup()
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import CaseNote

result = audit_verify()
print(json.dumps({
    "ok": result.ok,
    "views": AuditEntry.objects.filter(action="case.view").count(),
    "document_lists": AuditEntry.objects.filter(action="document.list").count(),
    "denials": AuditEntry.objects.filter(action="case.view", outcome="denied").count(),
    "notes_audited": AuditEntry.objects.filter(action="case.note").count(),
    # Note texts are encrypted: count them decrypted.
    "notes": sum(note.text.startswith("drill ") for note in CaseNote.objects.all()),
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _python(code: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not start")


def _request(method: str, url: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_servers_eight_connections_each_read_and_write_without_error(tmp_path: Path):
    env = {
        **os.environ,
        "NRM_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "nrm.settings",
        "NRM_ENV": "local",
    }
    env.pop("DATABASE_URL", None)
    nrm = str(Path(sys.executable).with_name("nrm"))
    subprocess.run([nrm, "migrate", "-v0"], env=env, check=True, timeout=300)
    scene = _python(SETUP, env)
    ports = [_free_port() for _ in range(SERVERS)]
    servers = [
        subprocess.Popen(
            [nrm, "serve", "--port", str(port), "--threads", "8"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        base = f"http://127.0.0.1:{ports[index % SERVERS]}/api/v1/cases/{scene['case']}/"
        for round_ in range(ROUNDS):
            got = [
                _request("GET", base, scene["token"]),
                # Reads in a snapshot that holds no write lock (audited_read), one nested in another,
                # and a refused one: each still leaves its audit row.
                _request("GET", base + "documents/", scene["token"]),
                _request("GET", base.replace(f"/{scene['case']}/", "/999999/"), scene["token"]),
                _request("POST", base + "notes/", scene["token"], {"text": f"drill {index}-{round_}"}),
            ]
            with lock:
                statuses.extend(got)

    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_until_up(port, server)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    expected = CLIENT_THREADS * ROUNDS
    assert len(statuses) == 4 * expected
    assert sorted(statuses).count(404) == expected
    assert set(statuses) <= {200, 201, 404}, sorted(statuses)
    after = _python(CHECK, env)
    assert after["ok"], "the audit chain does not verify after concurrent writers"
    assert after["notes"] == expected
    assert after["notes_audited"] == expected
    assert after["views"] >= expected
    assert after["document_lists"] == expected
    assert after["denials"] == expected
