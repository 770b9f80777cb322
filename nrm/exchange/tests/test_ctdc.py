"""CTDC import: column mapping across releases, normalisation, atomic replacement, conformance.

Every file here is synthetic and written by the test itself, in the shape of the CTDC releases
(no CTDC file is ever copied into the repository).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from nrm.audit.models import AuditEntry
from nrm.exchange import ctdc
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.models import ExternalDataset, ExternalRecord


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(header)
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    book.save(path)
    return path


# A v7-shaped file (k-anonymised global data set), with the oddities the releases have.
V7_HEADER = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryofExploitation",  # v6 spelling
    "isForcedLabour",
    "isSexualExploit",
    "typeOfLabourBegging",
    "typeOfExploitConcatenated",
    "RecruiterRelationship",
    "someNewColumn",
]
V7_ROWS = [
    ["2019", "Case management", "Female", "0--8", "-99", "UA", "RS", "1.0", "0.0", "", "Forced labour", "", "x"],
    ["-99", "Hotline", "Male", "30—38", "Adult", "-99", "", "0", "1", "1", "", "Other;Friend/Acquaintance", ""],
    ["2005--2013", "Case management", "-99", "48+", "", "ZZ", "ZZ", "", "", "-99", "", "", ""],
    ["2021", "Hotline", "Transgender/NonConforming", "9-17", "Minor", "Y1", "USA", "1", "1", "", "", "", ""],
]


@pytest.mark.django_db
def test_mapping_normalises_every_release_oddity(tmp_path):
    path = write_csv(tmp_path / "v7.csv", V7_HEADER, V7_ROWS)

    result = ctdc.ctdc_import(path=path, name="ctdc-v7", actor="test")

    assert result.rows == 4
    assert result.warnings[0] == "unknown column “someNewColumn” ignored"
    assert any("column citizenship: 1 row(s) with “ZZ”" in w for w in result.warnings)
    assert result.dataset.columns == [*V7_HEADER[:6], "CountryOfExploitation", *V7_HEADER[7:12]]
    first, second, third, fourth = ExternalRecord.objects.filter(dataset=result.dataset).order_by("row_number")
    assert first.raw == {
        "yearOfRegistration": 2019,
        "Datasource": "Case management",
        "gender": "Female",
        "ageBroad": "0-8",
        "majorityStatus": None,
        "citizenship": "UA",
        "CountryOfExploitation": "RS",
        "isForcedLabour": 1,
        "isSexualExploit": 0,
        "typeOfLabourBegging": None,
        "typeOfExploitConcatenated": ["Forced labour"],
        "RecruiterRelationship": None,
    }
    assert (first.row_number, first.year, first.sex, first.age_group, first.is_child) == (2, 2019, "F", "0-8", True)
    assert (first.citizenship, first.country_of_exploitation) == ("UA", "RS")
    assert first.exploitation == ["forced_labour"]
    assert (first.referral_source, first.decision) == ("case_management", "")
    # -99 is missing; flags 0/1 are read as such; the ';' list is split and sorted.
    assert second.raw["yearOfRegistration"] is None and second.year is None
    assert second.raw["ageBroad"] == "30-38" and second.is_child is False
    assert second.raw["RecruiterRelationship"] == ["Friend/Acquaintance", "Other"]
    assert second.exploitation == ["begging", "sexual"]
    assert second.referral_source == "helpline"
    # A band of years stays a band; "ZZ" (unknown country) is kept but counts as no country.
    assert third.raw["yearOfRegistration"] == "2005-2013" and third.year is None
    assert third.raw["gender"] is None and third.sex == ""
    assert third.raw["citizenship"] == "ZZ" and third.citizenship == ""
    assert third.age_group == "48+" and third.is_child is False
    # Legacy and alpha-3 codes become alpha-2; majority status wins over the age band.
    assert (fourth.citizenship, fourth.country_of_exploitation) == ("XK", "US")
    assert fourth.sex == "X" and fourth.is_child is True
    assert fourth.exploitation == ["forced_labour", "sexual"]


@pytest.mark.django_db
def test_xlsx_cells_read_like_csv(tmp_path):
    rows = [[2019, "Case management", "Female", "0--8", "", "UA", "RS", 1.0, 0.0, None, "Forced labour", "", "x"]]
    path = write_xlsx(tmp_path / "v7.xlsx", V7_HEADER, rows)

    result = ctdc.ctdc_import(path=path, name="ctdc-xlsx", actor="test")

    record = ExternalRecord.objects.get(dataset=result.dataset)
    assert record.raw["yearOfRegistration"] == 2019
    assert (record.raw["isForcedLabour"], record.raw["isSexualExploit"]) == (1, 0)
    assert record.exploitation == ["forced_labour"]


@pytest.mark.django_db
def test_2024_release_alpha3_and_merged_means(tmp_path):
    header = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation", "traffickMonths"]
    header += ["meansWithholdDocuments", "isOtherExploit"]
    path = write_csv(
        tmp_path / "s2024.csv", header, [["2022", "Woman", "18--20", "SRB", "DEU", "0--12 (0-1 yr)", "1", ""]]
    )

    result = ctdc.ctdc_import(path=path, name="ctdc-2024", actor="test")

    record = ExternalRecord.objects.get(dataset=result.dataset)
    assert record.raw["meansWithholdDocs"] == 1 and record.raw["traffickMonths"] == "0-12"
    assert (record.sex, record.citizenship, record.country_of_exploitation) == ("F", "RS", "DE")
    assert record.is_child is False and record.exploitation == []


@pytest.mark.django_db
def test_bad_cells_are_reported_by_row_and_column_and_nothing_is_stored(tmp_path):
    rows = [list(V7_ROWS[0]), list(V7_ROWS[1]), list(V7_ROWS[2])]
    rows[0][7] = "2"  # isForcedLabour
    rows[2][0] = "last year"  # yearOfRegistration
    rows[2][3] = "old"  # ageBroad
    path = write_csv(tmp_path / "bad.csv", V7_HEADER, rows)

    with pytest.raises(ImportFailed) as caught:
        ctdc.ctdc_import(path=path, name="ctdc-bad", actor="test")

    assert [str(e) for e in caught.value.errors] == [
        "row 2, column isForcedLabour: “2” is not a flag (use 1, 0 or leave empty)",
        "row 4, column yearOfRegistration: “last year” is not a year or a band of years such as 2014-2018",
        "row 4, column ageBroad: “old” is not a band such as 18-20 or 48+",
    ]
    assert not ExternalDataset.objects.exists() and not ExternalRecord.objects.exists()


@pytest.mark.django_db
def test_a_file_without_known_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "other.csv", ["name", "value"], [["a", "1"]])
    with pytest.raises(ImportFailed, match="none of the columns is a known CTDC column"):
        ctdc.ctdc_import(path=path, name="other", actor="test")


def _stored(name: str) -> list:
    return list(ExternalRecord.objects.filter(dataset__name=name).order_by("row_number").values_list("raw", flat=True))


@pytest.mark.django_db
def test_reimport_replaces_the_data_set(tmp_path):
    ctdc.ctdc_import(path=write_csv(tmp_path / "a.csv", V7_HEADER, V7_ROWS), name="ctdc", actor="test")
    path = write_csv(tmp_path / "b.csv", ["gender"], [["Male"]])

    ctdc.ctdc_import(path=path, name="ctdc", actor="test")

    dataset = ExternalDataset.objects.get()
    assert (dataset.name, dataset.file_name, dataset.row_count, dataset.columns) == ("ctdc", "b.csv", 1, ["gender"])
    assert _stored("ctdc") == [{"gender": "Male"}]
    assert AuditEntry.objects.filter(action="exchange.ctdc_import").count() == 2


@pytest.mark.django_db
def test_a_failing_reimport_leaves_the_old_data_set_intact(tmp_path, monkeypatch):
    ctdc.ctdc_import(path=write_csv(tmp_path / "a.csv", V7_HEADER, V7_ROWS), name="ctdc", actor="test")
    before = (list(ExternalDataset.objects.values()), _stored("ctdc"))

    # A bad cell: refused, nothing of the new file kept.
    with pytest.raises(ImportFailed):
        ctdc.ctdc_import(path=write_csv(tmp_path / "b.csv", ["isSexualExploit"], [["yes please"]]), name="ctdc")
    assert (list(ExternalDataset.objects.values()), _stored("ctdc")) == before

    # The database fails half-way through writing the new rows: everything is rolled back.
    monkeypatch.setattr(ctdc, "READ_BATCH", 2)
    calls = []
    real_insert = ctdc._insert

    def failing_insert(dataset_id, batches, progress):
        def failing():
            for batch in batches:
                calls.append(len(batch))
                if len(calls) == 2:
                    raise RuntimeError("disk full")
                yield batch

        return real_insert(dataset_id, failing(), progress)

    monkeypatch.setattr(ctdc, "_insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        ctdc.ctdc_import(path=write_csv(tmp_path / "c.csv", ["gender"], [["Male"]] * 5), name="ctdc")
    assert calls == [2, 2]
    assert (list(ExternalDataset.objects.values()), _stored("ctdc")) == before


@pytest.mark.django_db
def test_data_set_names_are_slugs(tmp_path):
    with pytest.raises(ImportFailed, match="not a valid data set name"):
        ctdc.ctdc_import(path=write_csv(tmp_path / "a.csv", ["gender"], [["Male"]]), name="my data")


# --- Conformance with the publisher's TabStat sheet ------------------------------------------

VP_HEADER = ["yearRegister", "gender", "isForcedLabour", "IP_Gender", "IP_ageBroad"]
VP_ROWS = (
    [["2014-2018", "Female", "1", "Female;Male", "0--29"]] * 5
    + [["2019", "Male", "", "Male", "30--38;0--29"]] * 3
    + [["", "Female", "1", "", ""]] * 2
)


def write_tabstat(path: Path, rows: list[list[str]], header: list[str], *, tamper: tuple | None = None) -> Path:
    """Write a TabStat sheet in the publisher's layout (a Stata ``tab`` per column) for ``rows``."""
    book = openpyxl.Workbook()
    book.active.title = "Main"
    ws = book.create_sheet("TabStat")
    total = len(rows)
    for i, column in enumerate(header):
        values = Counter(r[i] for r in rows)
        missing = values.pop("", 0)
        valid_total = total - missing
        ws.append([None] * 6)
        ws.append([column, f"Label of {column}", None, None, None, None])
        ws.append([None] * 6)
        ws.append([None, None, "Freq.", "Percent", "Valid", "Cum."])
        cum = 0
        for j, (value, freq) in enumerate(sorted(values.items())):
            cum += freq
            if (column, value) == tamper:
                freq += 1
            shown = int(value) if value.isdigit() else value
            pct, valid, cum_pct = (round(100 * x, 2) for x in (freq / total, freq / valid_total, cum / valid_total))
            ws.append(["Valid" if j == 0 else None, shown, freq, pct, valid, cum_pct])
        if len(values) > 1:
            ws.append([None, "Total", valid_total, round(100 * valid_total / total, 2), 100, None])
        ws.append(["Missing", "." if len(values) == 1 else None, missing, round(100 * missing / total, 2), None, None])
        ws.append(["Total", None, total, 100, None, None])
    book.save(path)
    return path


@pytest.mark.django_db
def test_conformance_matches_a_correct_tabstat(tmp_path):
    data = write_csv(tmp_path / "vp.csv", VP_HEADER, VP_ROWS)
    result = ctdc.ctdc_import(path=data, name="vp", actor="test")
    dictionary = write_tabstat(tmp_path / "dict.xlsx", VP_ROWS, VP_HEADER)

    checks = ctdc.conformance(result.dataset, dictionary)

    assert [(c.column, c.ok, c.problems) for c in checks] == [(c, True, []) for c in VP_HEADER]
    # The multi-valued cell "30--38;0--29" is counted as the sorted set "0-29;30-38".
    assert ctdc.frequencies(result.dataset, ["IP_ageBroad"])["IP_ageBroad"] == Counter(
        {"0-29": 5, "0-29;30-38": 3, None: 2}
    )


@pytest.mark.django_db
def test_conformance_reports_a_mismatch(tmp_path):
    data = write_csv(tmp_path / "vp.csv", VP_HEADER, VP_ROWS)
    result = ctdc.ctdc_import(path=data, name="vp", actor="test")
    dictionary = write_tabstat(tmp_path / "dict.xlsx", VP_ROWS, VP_HEADER, tamper=("gender", "Male"))

    checks = {c.column: c for c in ctdc.conformance(result.dataset, dictionary)}

    assert [c for c, check in checks.items() if not check.ok] == ["gender"]
    assert checks["gender"].problems == ["Male: 3 here, 4 published"]


@pytest.mark.django_db
def test_conformance_command_exits_non_zero_on_mismatch(tmp_path, capsys):
    data = write_csv(tmp_path / "vp.csv", VP_HEADER, VP_ROWS)

    call_command("ctdc", "conformance", str(data), str(write_tabstat(tmp_path / "ok.xlsx", VP_ROWS, VP_HEADER)))
    out = capsys.readouterr().out
    assert "5/5 columns matched the publisher's tables" in out
    assert "IP_ageBroad: matched (2 values, counts and percentages)" in out

    bad = write_tabstat(tmp_path / "bad.xlsx", VP_ROWS, VP_HEADER, tamper=("yearRegister", "2019"))
    with pytest.raises(CommandError, match=r"1 of 5 columns do not match bad\.xlsx"):
        call_command("import", "ctdc", str(data), "--dataset", "vp", "--check", str(bad))
    out = capsys.readouterr().out
    assert "yearRegister: MISMATCH" in out and "2019: 3 here, 4 published" in out


@pytest.mark.django_db
def test_import_command(tmp_path, capsys):
    path = write_csv(tmp_path / "v7.csv", V7_HEADER, V7_ROWS)

    call_command("import", "ctdc", str(path), "--dataset", "ctdc-v7")

    captured = capsys.readouterr()
    assert "imported 4 rows of v7.csv into data set ctdc-v7 (12 known columns)" in captured.out
    assert "warning: unknown column “someNewColumn” ignored" in captured.err
    with pytest.raises(CommandError, match="give the data set's name with --dataset NAME"):
        call_command("import", "ctdc", str(path))
    with pytest.raises(CommandError, match=r"use a \.csv or \.xlsx file"):
        call_command("import", "ctdc", str(tmp_path / "v7.txt"), "--dataset", "x")


# --- Bulk reading: batches read column by column ---------------------------------------------


@pytest.mark.django_db
def test_batches_read_column_by_column_give_the_rows_one_by_one_reading_gave(tmp_path, monkeypatch):
    # Small batches, so every row, note and error crosses batch boundaries.
    monkeypatch.setattr(ctdc, "READ_BATCH", 3)
    rows = [*V7_ROWS, [""] * len(V7_HEADER), ["   "] * len(V7_HEADER), *V7_ROWS]
    path = write_csv(tmp_path / "v7.csv", V7_HEADER, rows)
    seen = []

    result = ctdc.ctdc_import(path=path, name="ctdc-v7", actor="test", progress=lambda *a: seen.append(a))

    assert result.rows == 8  # the two blank lines are not records
    note = "column citizenship: 2 row(s) with “ZZ”, which has no counterpart in the statistics"
    assert f"{note} (kept in raw; first at row 4)" in result.warnings
    records = list(ExternalRecord.objects.filter(dataset=result.dataset).order_by("row_number"))
    assert [r.row_number for r in records] == [2, 3, 4, 5, 8, 9, 10, 11]
    for first, again in zip(records[:4], records[4:], strict=True):
        assert (first.raw, first.exploitation, first.sex, first.year, first.is_child, first.citizenship) == (
            again.raw,
            again.exploitation,
            again.sex,
            again.year,
            again.is_child,
            again.citizenship,
        )
    assert records[1].exploitation == ["begging", "sexual"] and records[3].exploitation == ["forced_labour", "sexual"]
    assert ("read", 3, 0) in seen and seen[-1] == ("write", 8, 8)


@pytest.mark.django_db
def test_a_bad_row_after_rows_already_sent_leaves_the_old_data_set_intact(tmp_path, monkeypatch):
    """PostgreSQL: rows stream into the database as they are read; a bad row at the end rolls them all back.

    SQLite reads and checks every row first (its one write lock is held for the writing only), so
    there nothing is sent before the error is found.
    """
    ctdc.ctdc_import(path=write_csv(tmp_path / "a.csv", V7_HEADER, V7_ROWS), name="ctdc", actor="test")
    before = (list(ExternalDataset.objects.values()), _stored("ctdc"))
    monkeypatch.setattr(ctdc, "READ_BATCH", 2)
    rows = [list(V7_ROWS[0]) for _ in range(7)]
    rows[-1][0] = "last year"  # yearOfRegistration, in the last batch
    seen = []

    with pytest.raises(ImportFailed) as caught:
        ctdc.ctdc_import(
            path=write_csv(tmp_path / "b.csv", V7_HEADER, rows), name="ctdc", progress=lambda *a: seen.append(a)
        )

    assert [str(e) for e in caught.value.errors] == [
        "row 8, column yearOfRegistration: “last year” is not a year or a band of years such as 2014-2018"
    ]
    sent = [done for stage, done, _total in seen if stage == "write"]
    assert sent == ([2, 4, 6] if connection.vendor == "postgresql" else [])
    assert (list(ExternalDataset.objects.values()), _stored("ctdc")) == before


@pytest.mark.django_db
def test_every_bad_cell_of_every_batch_is_reported_in_file_order(tmp_path, monkeypatch):
    monkeypatch.setattr(ctdc, "READ_BATCH", 2)
    monkeypatch.setattr(ctdc, "MAX_ERRORS", 3)
    rows = [list(V7_ROWS[0]) for _ in range(7)]
    for i in (1, 4, 6):
        rows[i][7] = "2"  # isForcedLabour
    rows[4][3] = "old"  # ageBroad, same row
    rows[5] = [""] * len(V7_HEADER)
    rows[5][8] = "\x0b"  # a blank-looking line whose known cell holds a control character
    path = write_csv(tmp_path / "bad.csv", V7_HEADER, rows)

    with pytest.raises(ImportFailed) as caught:
        ctdc.ctdc_import(path=path, name="ctdc-bad", actor="test")

    assert caught.value.total == 5
    assert [str(e) for e in caught.value.errors] == [
        "row 3, column isForcedLabour: “2” is not a flag (use 1, 0 or leave empty)",
        "row 6, column ageBroad: “old” is not a band such as 18-20 or 48+",
        "row 6, column isForcedLabour: “2” is not a flag (use 1, 0 or leave empty)",
    ]
    assert not ExternalDataset.objects.exists() and not ExternalRecord.objects.exists()


@pytest.mark.django_db
def test_bulk_import_writes_in_few_statements(tmp_path, django_assert_max_num_queries):
    path = write_csv(tmp_path / "v7.csv", V7_HEADER, V7_ROWS * 500)

    # Read, checked, then written in batches: never a statement per row.
    with django_assert_max_num_queries(12):
        result = ctdc.ctdc_import(path=path, name="ctdc-v7", actor="test")

    assert result.rows == 2000 and ExternalRecord.objects.count() == 2000
