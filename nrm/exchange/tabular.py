"""Reading and writing the tables that exchange formats travel in: CSV and XLSX.

Every cell comes out as text, the way it would read in a CSV file: numbers that are whole are
written without a decimal part (``1.0`` -> ``"1"``), dates as ``YYYY-MM-DD``, empty cells as
``""``. Importers then parse one representation only.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from nrm.core.spreadsheet import csv_lines, unescape

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


class TableError(Exception):
    """The file cannot be read as a table (missing, wrong format, no header)."""


def file_format(path: str | Path) -> str:
    """Return "csv" or "xlsx" from the file's extension, or raise :class:`TableError`."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise TableError(f"{Path(path).name}: use a .csv or .xlsx file")
    return FORMATS[suffix]


def cell_text(value) -> str:
    """Return a cell's value as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    """A table read from a file: the header and an iterator of (row number, cells) pairs.

    Row numbers are those a person sees in a spreadsheet: the header is row 1.
    """

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    close: Callable[[], None] = lambda: None


def _csv_rows(path: Path) -> Table:
    try:
        fh = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by Table.close
        reader = csv.reader(fh)
        header = next(reader, None)
    except UnicodeDecodeError:
        raise TableError(f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise TableError(f"{path.name}: {exc.strerror}") from None
    if header is None:
        fh.close()
        raise TableError(f"{path.name}: the file is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            # Our own files escape text a spreadsheet would run (core.spreadsheet); read it back as written.
            for number, row in enumerate(reader, start=2):
                # Only a cell starting with ' can be escaped; most rows have none (imports read millions).
                yield number, [unescape(c) for c in row] if "'" in "".join(row) else row
        except UnicodeDecodeError:
            raise TableError(f"{path.name}: not UTF-8 text") from None
        except csv.Error as exc:
            raise TableError(f"{path.name}, row {reader.line_num}: {exc}") from None

    return Table(header=header, rows=rows(), close=fh.close)


def _xlsx_rows(path: Path, sheet: str | None = None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise TableError(f"{path.name}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise TableError(f"{path.name}: not an XLSX workbook ({exc.__class__.__name__})") from None
    ws = book[sheet] if sheet else book.worksheets[0]
    values = ws.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        book.close()
        raise TableError(f"{path.name}: the first sheet is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(values, start=2):
            yield number, [cell_text(v) for v in row]

    return Table(header=[cell_text(v) for v in first], rows=rows(), close=book.close)


def read_table(path: str | Path) -> Table:
    """Open a CSV (UTF-8, optional BOM) or XLSX (first sheet) file as a :class:`Table`."""
    path = Path(path)
    kind = file_format(path)
    if not path.exists():
        raise TableError(f"{path.name}: no such file")
    return _csv_rows(path) if kind == "csv" else _xlsx_rows(path)


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, sheet: str = "Data") -> int:
    """Write ``header`` and ``rows`` as CSV or XLSX (from the extension); return the row count."""
    path = Path(path)
    count = 0
    if file_format(path) == "csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            for line in csv_lines(itertools.chain([header], rows)):
                fh.write(line)
                count += 1
        return count - 1  # the header is not a row
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)

    def cells(values: Sequence[str]) -> list:
        out = []
        for value in values:
            if value == "" or value is None:
                out.append(None)
                continue
            # Every cell is text: "=..." must not become a formula, "2024-000001" not a date.
            cell = WriteOnlyCell(ws, value=str(value))
            cell.data_type = "s"
            out.append(cell)
        return out

    ws.append(cells(header))
    for row in rows:
        ws.append(cells(row))
        count += 1
    book.save(path)
    return count
