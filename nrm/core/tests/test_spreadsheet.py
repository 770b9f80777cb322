"""The one spreadsheet-safe cell every CSV and XLSX export writes through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from nrm.core.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-5, 3, 2.5, Decimal("-1.50"), dt.date(2024, 1, 2), True, None])
def test_numbers_dates_and_none_pass_unchanged(value):
    assert safe_cell(value) is value


def test_other_values_are_checked_as_text():
    assert safe_cell("plain") == "plain"
    assert safe_cell(gettext_lazy("=lazy")) == "'=lazy"
    assert safe_cell(["=x"]) == "['=x']"


# --- The one writer ----------------------------------------------------------------------------

import csv as _csv  # noqa: E402
import io as _io  # noqa: E402
import re as _re  # noqa: E402
from pathlib import Path  # noqa: E402

from nrm.core.spreadsheet import csv_lines, csv_text, new_workbook, unescape, workbook_bytes  # noqa: E402

EVIL = '=HYPERLINK("http://evil.example","click")'


def test_csv_lines_escape_every_cell_and_keep_numbers():
    text = csv_text([["region", "count"], [EVIL, 7], ["-2+3", -4]])
    rows = list(_csv.reader(_io.StringIO(text)))
    assert rows == [["region", "count"], ["'" + EVIL, "7"], ["'-2+3", "-4"]]
    assert [unescape(c) for c in rows[1]] == [EVIL, "7"]
    assert list(csv_lines([])) == []


def test_workbook_bytes_leaves_no_formula_however_the_cell_was_filled():
    from openpyxl import load_workbook

    book, sheet = new_workbook("Data")
    sheet.append([EVIL, "+1", 5])
    sheet["D1"] = "=SUM(A1:C1)"  # openpyxl takes this for a formula
    other = book.create_sheet("Notes")
    other.append(["@cmd"])
    loaded = load_workbook(_io.BytesIO(workbook_bytes(book)))
    cells = [c for ws in loaded.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert values == ["'" + EVIL, "'+1", 5, "'=SUM(A1:C1)", "'@cmd"]


def test_no_export_writes_a_spreadsheet_around_the_one_writer():
    """A CSV writer or a workbook saved anywhere else could forget the escaping: only core.spreadsheet writes."""
    root = Path(__file__).resolve().parents[2]
    allowed = {
        "core/spreadsheet.py": "the one writer",
        # A write-only workbook whose every cell is typed as text: openpyxl writes no formula.
        "exchange/tabular.py": "text-typed cells",
        # Synthetic input files for the importers, written and read back in a temporary directory.
        "demo/management/commands/bench.py": "nrm bench's synthetic import files, never handed out",
    }
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        if _re.search(r"csv\.writer\(|csv\.DictWriter\(|\bWorkbook\(|\.save\(buffer\)", text):
            offenders.append(rel)
    assert offenders == []
