"""Cells a spreadsheet will not run: every CSV and XLSX export writes its values through here.

Follows the OWASP guidance on CSV injection: text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading apostrophe, so Excel and LibreOffice show it as text
instead of evaluating it. Numbers, dates and booleans pass unchanged: they stay numeric (a
negative number is not a formula) and still sum and sort.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from django.http import StreamingHttpResponse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = (bool, int, float, Decimal, dt.date, dt.time, dt.timedelta)


def safe_cell(value: object) -> object:
    """Return ``value`` fit for a spreadsheet cell, with any formula neutralised.

    None stays None (an empty cell; ``csv.writer`` writes it as ""). Any other value that is
    not a number, date or boolean is written as its text, so it is checked as text.
    """
    if value is None or isinstance(value, _PLAIN):
        return value
    text = str(value) if isinstance(value, Promise) or not isinstance(value, str) else value
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# --- The one writer: every CSV and XLSX the system hands out is written here ------------------


class _Line:
    """A file-like object whose ``write`` returns the line, so ``csv.writer`` can stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield each row of ``rows`` as one CSV line, every cell through :func:`safe_cell`."""
    writer = csv.writer(_Line(), lineterminator="\n")
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Return ``rows`` as CSV text (see :func:`csv_lines`)."""
    return "".join(csv_lines(rows))


def csv_download(rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV attachment named ``filename``: long exports start at once."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def new_workbook(title: str = "") -> tuple[Workbook, Worksheet]:
    """Return a new workbook and its first sheet (named ``title``); save it with :func:`workbook_bytes`."""
    from openpyxl import Workbook

    book = Workbook()
    if title:
        book.active.title = title[:31]
    return book, book.active


def workbook_bytes(book: Workbook) -> bytes:
    """Return ``book`` as XLSX bytes, having made every cell safe.

    However a cell was filled, none leaves as a formula: a cell openpyxl took for one ("=..."), and
    any text a spreadsheet could run, is written as text through :func:`safe_cell`.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    cleaned = safe_cell(value)
                    if cleaned != value or cell.data_type == "f":
                        cell.value = cleaned
                        cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unescape(text: str) -> str:
    """Undo :func:`safe_cell` on text read back from one of our files (an exchange round trip)."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS) else text
