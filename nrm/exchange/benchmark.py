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
    lines = (
        [
            rng.choice(_GENDERS) if name == "gender" else rng.choice(_VALUES[kind])
            for name, kind in zip(_CTDC_COLUMNS, kinds, strict=True)
        ]
        for _ in range(rows)
    )
    return _write(path, _CTDC_COLUMNS, lines)


def _write(path: Path, header: list[str], rows) -> Path:
    """Write a plain CSV file: no cell here holds a comma, a quote or a line break.

    Not an export (core.spreadsheet writes those): a synthetic file read back at once, written
    as publishers write theirs, so the reader meets "-99" and not its escaped form.
    """
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(header) + "\n")
        for row in rows:
            fh.write(",".join(row) + "\n")
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
        with transaction.atomic():
            result = ctdc.ctdc_import(path=path, name="bench-ctdc", actor="nrm bench")
            transaction.set_rollback(True)  # a measurement, not data
    return {"import_rows_per_s": result.rows_per_second, "import_baseline_rows_per_s": baseline}


def write_htcds_file(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic HTCDS v2.0 CSV file of ``rows`` invented cases."""
    rng = random.Random(seed)
    header = [
        "prs_FirstName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Gender",
        "prs_Citizenship",
        "vic_TypeOfExploitation",
        "vic_TraffickingStatus",
        "con_Consent",
        "cco_CaseComment",
        "cas_Status",
        "cas_IncomingReferralDate",
        "hte_Type",
        "hte_Country",
        "hte_City",
    ]
    return _write(
        path,
        header,
        (
            [
                f"Ana{i}",
                rng.choice(["Ilić", "Petrović", "Hodžić"]),
                f"19{rng.randint(60, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                rng.choice(["Feminine", "Masculine"]),
                rng.choice(["RS", "UA", "AF"]),
                rng.choice(["ForcedLabour", "SexualExploitation", "ForcedBegging"]),
                rng.choice(["ActualVictimOfTrafficking", "PossibleVictimOfTrafficking", "NotAVictimOfTrafficking"]),
                rng.choice(["TRUE", "FALSE"]),
                rng.choice(["", "Met at the shelter."]),
                rng.choice(["Active", "Active", "Closed"]),
                "2024-04-02",
                "Exploitation",
                "RS",
                "Beograd",
            ]
            for i in range(rows)
        ),
    )


def measure_htcds(rows: int) -> dict[str, float]:
    """Return HTCDS import rows/s (as the Centre's staff) and the baseline's; the cases are rolled back."""
    from nrm.accounts.models import Organisation
    from nrm.demo.generator import _staff
    from nrm.exchange import htcds

    centre = Organisation.objects.filter(type__is_identification_authority=True).order_by("pk").first()
    if centre is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_htcds_file(Path(tmp) / "htcds-bench.csv", rows)
        baseline = csv_executemany_rows_per_s(path)
        with transaction.atomic():
            actor = _staff(centre)
            started = time.perf_counter()
            result = htcds.htcds_import(actor=actor, path=path, organisation=centre)
            elapsed = time.perf_counter() - started
            # A measurement, not data: nothing of it stays.
            transaction.set_rollback(True)
    return {"htcds_import_rows_per_s": len(result.cases) / elapsed, "htcds_baseline_rows_per_s": baseline}
