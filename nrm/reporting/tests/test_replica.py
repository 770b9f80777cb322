"""Statistics read from the replica named by ``DATABASE_REPLICA_URL``; case work stays on the primary.

The proof uses two real SQLite files that differ: the replica is a copy of the primary taken
before more screenings were added. Counting screenings with the replica configured gives the
copy's number, without it the primary's; reading cases gives the primary's either way, and a
write made while counting lands on the primary.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nrm.core.replica import REPLICA, ReplicaRouter, statistics_reads

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="two SQLite files make the proof; the SQLite leg runs it"
)

ADD = """
import sys
import django
django.setup()
from nrm.demo.bulk import generate_bulk
from nrm.demo.reference import load_reference
load_reference()
generate_bulk(screenings=int(sys.argv[1]), cases=int(sys.argv[2]), seed=int(sys.argv[3]))
"""

COUNT = """
import json
import django
django.setup()
from django.db import connections
from nrm.audit.services import audit_record
from nrm.cases.models import Case
from nrm.core.replica import statistics_reads
from nrm.reporting import engine

cube = engine.compute(by=["sex"], population="screenings")
with statistics_reads():
    audit_record(actor=None, action="test.write", object_type="test")
print(json.dumps({
    "screenings": cube.counts[(engine.TOTAL,)],
    "cases": Case.objects.count(),
    "aliases": sorted(connections.settings),
}))
"""


def _run(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_statistics_count_the_replica_and_case_work_the_primary(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    env.update(NRM_DATA_DIR=str(tmp_path / "data"), NRM_ENV="local", DJANGO_SETTINGS_MODULE="nrm.settings")
    nrm = str(Path(sys.executable).with_name("nrm"))
    subprocess.run([nrm, "migrate", "-v0"], env=env, check=True, timeout=300)
    _run(ADD, env, "40", "10", "1")
    primary, replica = tmp_path / "data" / "nrm.sqlite3", tmp_path / "replica.sqlite3"
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as copy:
        source.backup(copy)  # the replica as it stood: 40 screenings, 10 cases
    _run(ADD, env, "25", "5", "2")  # the primary moves on: 65 screenings, 15 cases

    alone = json.loads(_run(COUNT, env))
    with_replica = json.loads(_run(COUNT, {**env, "DATABASE_REPLICA_URL": f"sqlite://{replica}"}))

    assert alone == {"screenings": 65, "cases": 15, "aliases": ["default"]}
    assert with_replica == {"screenings": 40, "cases": 15, "aliases": ["default", REPLICA]}
    # The audit rows written while counting went to the primary, not the copy.
    with sqlite3.connect(primary) as db:
        assert db.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'test.write'").fetchone() == (2,)
    with sqlite3.connect(replica) as db:
        assert db.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'test.write'").fetchone() == (0,)


def test_the_router_sends_only_statistics_reads_to_the_replica(settings):
    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    assert router.db_for_read(None) is None
    with statistics_reads() as alias:
        assert alias == REPLICA
        assert router.db_for_read(None) == REPLICA
        assert router.db_for_write(None) == "default"
    assert router.db_for_read(None) is None
    assert router.allow_migrate(REPLICA, "cases") is False
    assert router.allow_migrate("default", "cases") is True


def test_without_a_replica_statistics_read_the_primary():
    with statistics_reads() as alias:
        assert alias == "default"
        assert ReplicaRouter().db_for_read(None) is None
