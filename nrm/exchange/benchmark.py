"""Import speed beside its baseline, for ``nrm bench``: synthetic files only, never real data.

Each figure is measured in the same run as a plain ``csv`` + ``executemany`` load of the same
file into a table of the same shape, so that the ratio means something on a loaded machine.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction

from nrm.exchange import ctdc

# A v7-shaped file: the columns the k-anonymised global data set has, with its kinds of values.
_CTDC_COLUMNS = [name for name in ctdc.COLUMNS if not name.startswith(("IP_", "means", "UN_", "yearRegister"))]
_VALUES = {
    ctdc.YEAR: ["2015", "2016", "2017", "2018", "2019", "2020", "-99"],
    ctdc.TEXT: ["Case management", "Hotline", "-99"],
    ctdc.FLAG: ["0", "1", "-99", "1.0", "0.0"],
    ctdc.COUNTRY: ["UA", "RS", "MD", "PH", "USA", "-99"],
    ctdc.BAND: ["0--8", "9--17", "18--20", "21--23", "30--38", "48+", "-99"],
    ctdc.MULTI: ["Forced labour", "Sexual exploitation", "Other;Forced labour", "-99"],
    ctdc.BANDS: ["18--20;30--38", "-99"],
}
_GENDERS = ["Female", "Male", "-99"]


def write_ctdc_file(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic CTDC v7-shaped CSV file of ``rows`` rows."""
    rng = random.Random(seed)
    kinds = [ctdc.COLUMNS[c] for c in _CTDC_COLUMNS]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(_CTDC_COLUMNS)
        for _ in range(rows):
            writer.writerow(
                [
                    rng.choice(_GENDERS) if name == "gender" else rng.choice(_VALUES[kind])
                    for name, kind in zip(_CTDC_COLUMNS, kinds, strict=True)
                ]
            )
    return path


def csv_executemany_rows_per_s(path: Path) -> float:
    """Return rows/s of the baseline: read the CSV with ``csv`` and insert the cells as they are."""
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    width = len(header)
    columns = ", ".join(f"c{i} text" for i in range(width))
    params = ", ".join(["%s"] * width)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_baseline ({columns})")
        try:
            cursor.executemany(f"INSERT INTO bench_baseline VALUES ({params})", rows)  # noqa: S608
        finally:
            cursor.execute("DROP TABLE bench_baseline")
    return len(rows) / (time.perf_counter() - started)


def measure_ctdc(rows: int) -> dict[str, float]:
    """Return CTDC import rows/s and the baseline's, over one synthetic file of ``rows`` rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_ctdc_file(Path(tmp) / "ctdc-bench.csv", rows)
        baseline = csv_executemany_rows_per_s(path)
        result = ctdc.ctdc_import(path=path, name="bench-ctdc", actor="nrm bench")
        with transaction.atomic():
            result.dataset.records.all().delete()
            result.dataset.delete()
    return {"import_rows_per_s": result.rows_per_second, "import_baseline_rows_per_s": baseline}
