"""Issue E: concurrent writers append without waiting for each other, and the chain still verifies.

Several threads, each on its own connection, commit audited transactions at the same time; each
commit wakes the process's sealer thread, which seals what is committed in batches (under the
head row's lock, off the writers' threads). Afterwards every row must be sealed exactly once, by
that thread alone and in fewer seals than commits, in one contiguous chain that verifies.
On PostgreSQL the threads share the test database; on SQLite (whose in-memory test database
cannot take concurrent writers) a subprocess migrates a fresh SQLite file and runs them there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

WRITERS = 6
TRANSACTIONS = 12  # per writer, each with two audit rows
SEAL_MS = 20  # short, so that the writers' commits span several batches


def run_writers() -> dict:
    """Run the writers; return what the assertions need (also printed by the SQLite subprocess)."""
    from django.db import connection, connections, transaction

    from nrm.audit import services
    from nrm.audit.models import AuditEntry

    before = AuditEntry.objects.count()
    barrier, lock = threading.Barrier(WRITERS), threading.Lock()
    sealed: list[tuple[str, int]] = []
    errors: list[str] = []
    real_seal = services.audit_seal

    def counting_seal(*args, **kwargs) -> int:
        count = real_seal(*args, **kwargs)
        with lock:
            sealed.append((threading.current_thread().name, count))
        return count

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for i in range(TRANSACTIONS):
                with transaction.atomic():
                    for part in range(2):
                        services.audit_record(
                            actor=None, action="case.view", object_type="case", object_id=f"{writer}-{i}-{part}"
                        )
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
        finally:
            connection.close()

    # The connections the sealer thread opens: one, kept from one interval to the next.
    wrapper_class = type(connections["default"])
    real_connect = wrapper_class.connect

    def counting_connect(self, *args, **kwargs):
        if threading.current_thread().name == "nrm-audit-sealer":
            with lock:
                sealer_connects.append(1)
        return real_connect(self, *args, **kwargs)

    sealer_connects: list[int] = []
    services.audit_seal = counting_seal
    wrapper_class.connect = counting_connect
    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        flushed = services.seal_pending(timeout=60)
    finally:
        services.audit_seal = real_seal
        wrapper_class.connect = real_connect
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "id"))
    result = services.audit_verify(seal=False)  # no seal here: the sealer thread did it all
    return {
        "errors": errors,
        "flushed": flushed,
        "written": len(rows) - before,
        "seqs": [seq for seq, _id in rows],
        "sealed": sum(count for _name, count in sealed),
        "sealers": sorted({name for name, _count in sealed}),
        "seals": len(sealed),
        "sealer_connects": len(sealer_connects),
        "ok": result.ok,
        "problem": result.problem,
        "checked": result.checked,
    }


def check(outcome: dict) -> None:
    assert outcome["errors"] == [] and outcome["flushed"]
    total = WRITERS * TRANSACTIONS * 2
    assert outcome["written"] == total
    seqs = outcome["seqs"]
    assert None not in seqs and seqs == list(range(1, len(seqs) + 1))  # contiguous, each once
    # Every row sealed by the sealer thread, none on a writer's (request's) thread, in batches.
    assert outcome["sealed"] == total and outcome["sealers"] == ["nrm-audit-sealer"]
    assert 1 <= outcome["seals"] < WRITERS * TRANSACTIONS
    # Its connection kept between seals (none if it had one from an earlier test already).
    assert outcome["sealer_connects"] <= 1 < outcome["seals"]
    assert outcome["ok"], outcome["problem"]
    assert outcome["checked"] == len(seqs)


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="the SQLite leg runs in a subprocess below")
def test_concurrent_writers_on_postgresql_leave_one_chain_that_verifies(transactional_db, settings):
    settings.NRM_AUDIT_SEAL_MS = SEAL_MS
    try:
        check(run_writers())
    finally:
        # The sealer thread keeps its connection (as a server's does); the test database is
        # dropped at the end of the run, which PostgreSQL refuses while a connection is open.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


SQLITE_SCRIPT = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from nrm.audit.tests.test_concurrency import run_writers
print("RESULT " + json.dumps(run_writers()))
"""


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the PostgreSQL leg runs in the test database")
def test_concurrent_writers_on_sqlite_leave_one_chain_that_verifies(tmp_path):
    env = {
        **os.environ,
        "NRM_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "nrm.settings",
        "NRM_AUDIT_SEAL_MS": str(SEAL_MS),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    check(json.loads(line.removeprefix("RESULT ")))


@pytest.mark.skipif(os.name != "posix", reason="the file lock is POSIX's flock")
def test_sqlite_writers_of_several_processes_queue_on_a_file_lock(tmp_path, monkeypatch):
    """While one process holds the turn to write, another process cannot take it."""
    from django.db import connection

    from nrm.audit import services

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL queues writers itself")
    name = str(tmp_path / "db.sqlite3")
    monkeypatch.setitem(connection.settings_dict, "NAME", name)
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    print('held')\n"
        "else:\n    print('free')\n"
    )

    def other_process() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe, f"{name}.writer"], capture_output=True, text=True, check=True
        ).stdout.strip()

    with services._sqlite_writer_turn():
        assert other_process() == "held"
        with services._sqlite_writer_turn():  # nested: the outer turn, not a deadlock
            pass
        assert other_process() == "held"
    assert other_process() == "free"
