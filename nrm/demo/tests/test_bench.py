"""``nrm bench`` prints its figures; it asserts nothing about speed (figures, never pass/fail)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from nrm.demo.bulk import generate_bulk
from nrm.demo.management.commands.bench import KEYS


def test_bench_runs_from_a_fresh_data_directory_and_ends_with_every_figure_as_json(tmp_path):
    """As from a fresh clone: it migrates, loads, generates, starts the real server and measures."""
    env = {**os.environ, "NRM_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # SQLite in the fresh directory, whatever database the suite uses
    reads = 20
    scale = ["--screenings", "60", "--reads", str(reads), "--import-rows", "40", "--htcds-rows", "3"]
    result = subprocess.run(
        [sys.executable, "-m", "nrm.cli", "bench", *scale, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {*KEYS, "screenings", "cases", "database"}
    for key in KEYS:
        assert figures[key] is None or isinstance(figures[key], int | float), key
    assert figures["demo_seconds"] is None  # only with --demo
    assert (figures["screenings"], figures["cases"], figures["database"]) == (60, 12, "sqlite")
    # Measured, not skipped: the server answered and the baselines ran (duckdb is in the test extra).
    for key in KEYS:
        if key != "demo_seconds":
            assert figures[key] > 0, key
    assert "audited case read (served)" in result.stdout and "bare pk read, same server" in result.stdout
    # Where a read's time goes, beside the bare read's: the server's CPU (SQLite's inside it), the client's.
    cpu = next(line for line in lines if "CPU ms per read" in line).split(": ", 2)[-1]
    audited, bare = ([float(x) for x in part.split(" ", 1)[1].split(" / ")] for part in cpu.split("; "))
    assert audited[0] > 0 and audited[1] == bare[1] == 0 and bare[2] > 0
    # Each turn's audited rate beside that turn's bare rate: three ratios, as the turns' rates give them.
    turns = next(line for line in lines if "served reads/s by turn" in line).split(": ", 2)[-1]
    rates, paired = turns.split("; audited / bare by turn: ")
    audited_rates, bare_rates = (
        [float(x.replace(",", "")) for x in part.split(" ", 1)[1].split(", ")] for part in rates.split("; ")
    )
    ratios = [float(x.rstrip("x")) for x in paired.split(", ")]
    assert len(ratios) == 3
    for ratio, audited_rate, bare_rate in zip(ratios, audited_rates, bare_rates, strict=True):
        assert ratio == pytest.approx(audited_rate / bare_rate, abs=0.01 + 1 / bare_rate)  # rates printed rounded
    # Each import's figure is the median of its runs, each run undone.
    for name in ("CTDC", "HTCDS"):
        runs = next(line for line in lines if f"{name} rows/s by run" in line).split(": ", 2)[-1].split(", ")
        assert len(runs) == 3, runs
    # Every served read was a real, audited read (plus one warm-up read of each reader's case and
    # the three counted in-process), by readers of several organisations; the imports were rolled back.
    with sqlite3.connect(tmp_path / "nrm.sqlite3") as db:
        views = db.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'case.view'").fetchone()[0]
        warmed, readers = db.execute(
            "SELECT count(DISTINCT actor_id || '-' || object_id), count(DISTINCT actor_id) "
            "FROM audit_auditentry WHERE action = 'case.view'"
        ).fetchone()
        imports = db.execute("SELECT count(*) FROM audit_auditentry WHERE action LIKE 'exchange.%'").fetchone()[0]
        # The readers hold an authenticator: the server asked for it, as production does.
        with_devices = db.execute(
            "SELECT count(DISTINCT user_id) FROM otp_totp_totpdevice WHERE confirmed AND user_id IN "
            "(SELECT actor_id FROM audit_auditentry WHERE action = 'case.view')"
        ).fetchone()[0]
        datasets = db.execute("SELECT count(*) FROM exchange_externaldataset").fetchone()[0]
    assert views == reads + warmed + 3
    assert readers >= 3
    assert with_devices == readers and "as in production (NRM_REQUIRE_2FA=1)" in result.stdout
    assert (imports, datasets) == (0, 0)


def test_the_baseline_view_is_not_served_without_nrm_bench(world):
    """The bench's unauthenticated primary-key view exists only in the server the bench starts."""
    generate_bulk(screenings=10, seed=1)
    from nrm.cases.models import Case

    pk = Case.objects.values_list("pk", flat=True).first()
    response = Client().get(f"/_bench/read/{pk}")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


def test_the_statistics_figures_hold_with_no_screenings(db):
    """An empty database still gives the engine's and DuckDB's figures (DuckDB refused untyped columns)."""

    pytest.importorskip("duckdb")
    from nrm.demo.management.commands.bench import Command

    command = Command()
    command.notes = []
    figures = command._statistics()
    assert {"stats_3dim_ms", "duckdb_3dim_ms", "duckdb_4dim_ms"} <= set(figures)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite the demo runs in a fresh directory")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_demo_is_timed_in_a_scratch_database_dropped_afterwards():
    """``nrm bench --demo`` on PostgreSQL: an empty database of the same server, reached by its URL, then gone."""
    import psycopg

    from nrm.demo.management.commands.bench import _scratch_database

    def databases() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            return {name for (name,) in cursor.fetchall()}

    before = databases()
    with _scratch_database() as url:
        name = url.rsplit("/", 1)[1]
        assert name not in before and name in databases()
        with psycopg.connect(url) as scratch:
            tables = scratch.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0
    assert name not in databases()


def _bench(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NRM_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)  # SQLite in a fresh directory, whatever database the suite uses
    return subprocess.run(
        [sys.executable, "-m", "nrm.cli", "bench", "--screenings", "60", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_bench_against_another_checkout_serves_each_build_and_prints_both(tmp_path):
    """A change measured against the build before it: both servers run, in alternated blocks, each its own code.

    The other checkout here is a copy whose bare read is broken: the run fails on it, so the
    server started for it ran its code, not this checkout's (``python -m`` looks in the working
    directory first).
    """
    root = Path(__file__).resolve().parents[3]
    answer = _bench(tmp_path, "--reads", "40", "--against", str(root))
    assert answer.returncode == 0, answer.stderr[-3000:]
    printed = [line for line in answer.stdout.splitlines() if " req/s, bare " in line]
    assert [line.split(":")[0] for line in printed] == ["this checkout", str(root)]
    for line in printed:  # CPU per read in all, and its parts (SQLite's inside the server's)
        audited = line.split("CPU ms per read audited ", 1)[1].split(",", 1)[0]
        total, parts = audited.split(" ", 1)
        server, database, client = (float(x) for x in parts.strip("()").split(" / "))
        assert float(total) > 0 and server > 0 and database == 0 and client > 0, line
    with sqlite3.connect(tmp_path / "data" / "nrm.sqlite3") as db:
        views = db.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'case.view'").fetchone()[0]
    assert views >= 2 * 40  # every block's audited reads, in both builds, were audited reads

    other = tmp_path / "other"
    shutil.copytree(root / "nrm", other / "nrm", ignore=shutil.ignore_patterns("__pycache__", "tests"))
    views_py = other / "nrm" / "demo" / "views.py"
    views_py.write_text(views_py.read_text().replace('return JsonResponse({"id": found})', "raise Http404"))
    broken = _bench(tmp_path, "--reads", "20", "--against", str(other))
    assert broken.returncode != 0 and "/_bench/read/" in broken.stderr and "HTTP 404" in broken.stderr


def test_bench_against_what_is_no_checkout_says_so(tmp_path):
    answer = _bench(tmp_path, "--against", str(tmp_path))
    assert answer.returncode != 0 and "is not a checkout of NRM" in answer.stderr
