"""Tables as CSV and XLSX files: exactly what the table publishes, suppression marks included.

CSV: one row per cell, the dimension columns, ``count`` and ``suppressed``. A suppressed cell has
an empty ``count`` and ``suppressed`` = ``true``; never a number. With ``totals``, margins follow
as rows whose summed dimensions read ``total``. A standard table adds ``counts_by``, the date its
year is taken from, on every row (so a row read alone still says what its year means).

XLSX: a "Table" sheet (a crosstab for two dimensions, else the CSV's rows) where a suppressed
cell shows the marker, and a "Notes" sheet with the definitions and the disclosure-control note.
"""

from __future__ import annotations

from nrm.core.pdf import render_pdf
from nrm.core.spreadsheet import csv_text, new_workbook, workbook_bytes
from nrm.reporting.engine import MARKER, TOTAL, StatTable

TOTAL_LABEL = "total"


def _value(v) -> object:
    return TOTAL_LABEL if v is TOTAL else str(v)


def table_csv(table: StatTable, *, totals: bool = True) -> str:
    """Return ``table`` as CSV text (see the module docstring)."""
    basis = [table.counts_by] if table.counts_by else []
    rows = [
        [
            *(_value(cell.key[d]) for d in table.dims),
            "" if cell.suppressed else cell.count,
            "true" if cell.suppressed else "false",
            *basis,
        ]
        for cell in table.cells + (table.totals if totals else [])
    ]
    return csv_text([[*table.dims, "count", "suppressed", *(["counts_by"] if basis else [])], *rows])


def table_xlsx(table: StatTable) -> bytes:
    """Return ``table`` as an XLSX workbook (see the module docstring)."""
    from openpyxl.styles import Alignment, Font

    wb, ws = new_workbook("Table")
    bold = Font(bold=True)
    ws.append([table.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(
        [
            f"Source: {table.source}; unit: {table.unit}"
            + (f"; counted by: {table.counts_by}" if table.counts_by else "")
            + ("; RAW, not for publication" if table.raw else "")
        ]
    )
    ws.append([])

    def shown(cell):
        return MARKER if cell.suppressed else cell.count

    def label(dim: str, value) -> str:
        if value is TOTAL:
            return "Total"
        return str(table.labels.get(dim, {}).get(str(value), str(value)))

    if len(table.dims) == 2:
        tab = table.crosstab()
        r, c = tab["row_dimension"], tab["column_dimension"]
        ws.append([f"{r} \\ {c}", *(label(c, v) for v in tab["columns"]), "Total"])
        for row in tab["rows"]:
            ws.append([label(r, row["value"]), *(shown(x) for x in row["cells"]), shown(row["total"])])
        ws.append(["Total", *(shown(x) for x in tab["column_totals"]), shown(tab["total"])])
    else:
        ws.append([*table.dims, "count"])
        for cell in table.cells + table.totals:
            ws.append([*(label(d, cell.key[d]) for d in table.dims), shown(cell)])
    for cell in ws[4]:
        cell.font = bold
    for row in ws.iter_rows(min_row=5):
        for cell in row[1:]:
            cell.alignment = Alignment(horizontal="right")

    notes = wb.create_sheet("Notes")
    notes.append(["Notes"])
    notes["A1"].font = bold
    for note in table.notes:
        notes.append([note])
    notes.append([f"'{MARKER}': suppressed (disclosure control)."])
    notes.append([f"Generated: {table.generated_at}"])
    return workbook_bytes(wb)


def table_pdf(table: StatTable) -> bytes:
    """Return the suppressed table as a PDF (A4), with its legend, chart and notes."""
    from nrm.reporting import display

    return render_pdf(
        "reporting/pdf/table.html",
        {"table": table, "panels": display.panels(table), "chart": display.chart(table), "marker": MARKER},
    )
