"""``nrm stats``: CSV and JSON output, suppression marks, standard tables, raw counts audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.tests.helpers import SECRETS
from nrm.reporting.tables import REPORTS
from nrm.reporting.tests.helpers import victim


def stats(*args) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cases(world):
    """Twelve victims in 2023, two in 2024: the 2024 row must be protected."""
    for i in range(12):
        victim(world["police"], sex="F" if i % 2 else "M", opened_on=dt.date(2023, 3, 1))
    for _ in range(2):
        victim(world["police"], sex="F", opened_on=dt.date(2024, 3, 1))
    return world


def test_by_year_prints_a_csv_header_with_year_and_count(cases):
    out = stats("--by", "year", "--format", "csv")
    assert out.splitlines()[0] == "year,count,suppressed"
    assert rows(out) == [
        {"year": "2023", "count": "", "suppressed": "true"},
        {"year": "2024", "count": "", "suppressed": "true"},
    ]  # 2 is under 5, so 12 goes too: the total (14) would give it away


def test_suppressed_cells_print_empty_never_a_number(cases):
    out = stats("--by", "year,sex", "--totals")
    table = rows(out)
    assert {r["suppressed"] for r in table} == {"true", "false"}
    for r in table:
        assert (r["count"] == "") == (r["suppressed"] == "true")
    grand = [r for r in table if r["year"] == "total" and r["sex"] == "total"]
    assert grand == [{"year": "total", "sex": "total", "count": "14", "suppressed": "false"}]


def test_raw_counts_are_printed_and_audited(cases):
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    out = stats("--by", "year", "--raw")
    assert rows(out) == [
        {"year": "2023", "count": "12", "suppressed": "false"},
        {"year": "2024", "count": "2", "suppressed": "false"},
    ]
    [entry] = AuditEntry.objects.filter(id__gt=before)
    assert (entry.action, entry.object_id, entry.outcome) == ("stats.raw", "ad-hoc", "allowed")
    assert entry.detail["by"] == "year"
    assert entry.actor.startswith("cli:")
    assert audit_verify().ok


def test_a_lower_threshold_and_json(cases):
    data = json.loads(stats("--by", "year", "--format", "json", "--threshold", "2"))
    assert data["threshold"] == 2 and data["raw"] is False
    assert [(c["year"], c["count"]) for c in data["cells"]] == [(2023, 12), (2024, 2)]
    assert data["totals"] == [{"year": None, "count": 14, "suppressed": False}]
    assert any("Registered victims" in n for n in data["notes"])


def test_standard_tables_and_the_list(cases):
    listing = stats("--list")
    for name in REPORTS:
        assert name in listing
    out = stats("--table", "eurostat_registered_sex_age", "--filter", "year=2023")
    assert out.splitlines()[0] == "year,sex,age_group,count,suppressed,counts_by"
    assert {r["year"] for r in rows(out)} == {"2023"}


def test_xlsx_output(cases, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    stats("--by", "year,sex", "--format", "xlsx", "--output", str(path))
    wb = load_workbook(path)
    values = [v for row in wb["Table"].iter_rows(values_only=True) for v in row if v is not None]
    assert "x" in values and 14 in values
    text = " ".join(map(str, values)) + " ".join(str(c.value) for r in wb["Notes"].iter_rows() for c in r)
    assert not [s for s in SECRETS if s in text]


def test_errors_are_one_line_naming_the_field(cases):
    with pytest.raises(CommandError, match=r"^by: Unknown dimension colour"):
        stats("--by", "year,colour")
    with pytest.raises(CommandError, match=r"^table: "):
        stats("--table", "nope")
    with pytest.raises(CommandError, match="DIM=VALUE"):
        stats("--by", "year", "--filter", "2023")


def test_no_identity_in_the_output(world):
    from nrm.cases.tests.helpers import IDENTITY, open_case

    open_case(world["police"], identity=dict(IDENTITY))
    out = stats("--by", ",".join(["year", "sex", "age_group", "citizenship", "exploitation", "region"]), "--raw")
    out += stats("--by", "referral_source", "--format", "json")
    assert not [s for s in SECRETS if s in out]
