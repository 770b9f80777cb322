"""CTDC (Counter-Trafficking Data Collaborative) data sets: import, frequencies, conformance.

CTDC publishes victim-level data in releases whose columns differ: the k-anonymised global data
set (codebook v6, 2017; v7, 2021), the victim-perpetrator synthetic set (2022) and the global
synthetic set (2024). Columns are matched by name (case-insensitive, with the spellings seen in
the codebooks), any subset of the known columns is accepted and unknown ones are ignored with a
warning. Values are normalised the same way whatever the release:

- ``-99``, ``NULL``, ``.`` and empty cells are missing (``None`` in ``raw``);
- flags are ``0``, ``1``, ``0.0``, ``1.0`` (or ``true``/``false``), stored as 0 and 1;
- multi-valued cells are split on ``;`` and stored as a sorted list of distinct values;
- age, duration and year bands are written ``lo-hi`` or ``lo+`` (``0--8``, ``0—8`` -> ``0-8``);
- countries are stored as ISO 3166 alpha-2 (the 2024 release uses alpha-3).

A data set is imported all or nothing: every row is parsed and checked, any error (row, column,
problem) fails the import with nothing kept, and the old data set of the same name is replaced
in the same transaction as the new one is written (:func:`ctdc_import`).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from nrm.audit.services import audit_record
from nrm.core.validation import CONTROL
from nrm.exchange import countries
from nrm.exchange.models import ExternalDataset, ExternalRecord
from nrm.exchange.tabular import TableError, read_table

YEAR, TEXT, MULTI, FLAG, COUNTRY, BAND, BANDS = "year", "text", "multi", "flag", "country", "band", "bands"

MISSING = frozenset({"", "-99", "-99.0", "NULL", "null", "."})
BATCH = 5000
# Rows read and checked at a time, column by column (see _Reader).
READ_BATCH = 10000
MAX_ERRORS = 200
# The longest CTDC cell is a list of forms of exploitation, well under this.
CELL_MAX_LENGTH = 1000


def _flags(prefix: str, names: str) -> dict[str, str]:
    return {prefix + n: FLAG for n in names.split()}


# Every column of the releases named above, with how its values are read.
COLUMNS: dict[str, str] = {
    # Codebooks v6 (2017) and v7 (2021), k-anonymised global data set.
    "yearOfRegistration": YEAR,
    "Datasource": TEXT,
    "gender": TEXT,
    "ageBroad": BAND,
    "majorityStatus": TEXT,
    "majorityStatusAtExploit": TEXT,
    "majorityEntry": TEXT,
    "citizenship": COUNTRY,
    **_flags(
        "meansOfControl",
        "DebtBondage TakesEarnings RestrictsFinancialAccess Threats PsychologicalAbuse PhysicalAbuse SexualAbuse "
        "FalsePromises PsychoactiveSubstances RestrictsMovement RestrictsMedicalCare ExcessiveWorkingHours "
        "UsesChildren ThreatOfLawEnforcement WithholdsNecessities WithholdsDocuments Other NotSpecified",
    ),
    "meansOfControlConcatenated": MULTI,
    **_flags(
        "is",
        "ForcedLabour SexualExploit OtherExploit SexAndLabour ForcedMarriage ForcedMilitary OrganRemoval "
        "SlaveryAndPractices Abduction",
    ),
    "typeOfExploitConcatenated": MULTI,
    **_flags(
        "typeOfLabour",
        "Agriculture Aquafarming Begging Construction DomesticWork Hospitality IllicitActivities Manufacturing "
        "MiningOrDrilling Peddling Transportation Other NotSpecified",
    ),
    "typeOfLabourConcatenated": MULTI,
    **_flags("typeOfSex", "Prostitution Pornography RemoteInteractiveServices PrivateSexualServices Other"),
    "typeOfSexConcatenated": MULTI,
    "RecruiterRelationship": MULTI,
    "CountryOfExploitation": COUNTRY,
    **_flags("recruiterRelation", "IntimatePartner Friend Family Other Unknown"),
    # Global synthetic data set, 2024 (merged means of control, trafficking duration).
    "traffickMonths": BAND,
    **_flags(
        "means",
        "DebtBondageEarnings Threats AbusePsyPhySex FalsePromises DrugsAlcohol DenyBasicNeeds ExcessiveWorkHours "
        "WithholdDocs",
    ),
    # Victim-perpetrator synthetic data set, 2022.
    "yearRegister": YEAR,
    "UN_COO_Region": TEXT,
    "UN_COE_Region": TEXT,
    **_flags("IP_", "Exploiter RecruiterBroker TransactionProcess ControlAbuseKidnap"),
    "IP_Gender": MULTI,
    "IP_ageBroad": BANDS,
    "IP_citizen_UNRegion": MULTI,
    "IP_Relation": MULTI,
    "IP_PayMoney": MULTI,
}
# Other spellings found in the codebooks (names are matched case-insensitively as well).
ALIASES = {
    "CountryOfExploition": "CountryOfExploitation",  # codebook v7, variable 58
    "meansWithholdDocuments": "meansWithholdDocs",  # codebook 2024, variable 14
}
_BY_NAME = {name.casefold(): name for name in COLUMNS} | {a.casefold(): c for a, c in ALIASES.items()}

# CTDC's types of exploitation as the system's forms of exploitation (nrm/demo/data/reference_*.json).
FLAG_FORMS = {
    "isForcedLabour": ["forced_labour"],
    "isSexualExploit": ["sexual"],
    "isOtherExploit": ["other"],
    "isSexAndLabour": ["sexual", "forced_labour"],
    "isForcedMarriage": ["forced_marriage"],
    "isForcedMilitary": ["armed_conflict"],
    "isOrganRemoval": ["organs"],
    "isSlaveryAndPractices": ["slavery"],
    "typeOfLabourBegging": ["begging"],
    "typeOfLabourIllicitActivities": ["criminality"],
    "typeOfSexPornography": ["pornography"],
}
CONCATENATED_FORMS = {
    "forced labour": ["forced_labour"],
    "forced labour and/or services": ["forced_labour"],
    "sexual exploitation": ["sexual"],
    "combined sexual and labour exploitation": ["sexual", "forced_labour"],
    "forced marriage": ["forced_marriage"],
    "slavery and similar practices": ["slavery"],
    "forced military": ["armed_conflict"],
    "organ removal": ["organs"],
    "other": ["other"],
}
SEX = {
    "female": "F",
    "woman": "F",
    "male": "M",
    "man": "M",
    "transgender/nonconforming": "X",
    "trans/transgender/nonconforming": "X",
    "unknown": "U",
}
MAJORITY = {"minor": True, "adult": False}
SOURCES = {"case management": "case_management", "hotline": "helpline"}

_BAND = re.compile(r"^(\d+)\s*(?:-{1,2}|–|—)\s*(\d+)(?:\s*\(.*\))?$")
_OPEN_BAND = re.compile(r"^(\d+)\s*\+(?:\s*\(.*\))?$")
_NUMBER = re.compile(r"^\d+(?:\.0+)?$")


class Invalid(ValueError):
    """A cell's value cannot be read as its column requires; the message says why."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class ImportFailed(Exception):
    """The file was not imported; ``errors`` lists every problem found (row, column, message)."""

    def __init__(self, message: str, errors: list[RowError] | None = None, total: int | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []
        self.total = total if total is not None else len(self.errors)


# --- Reading values --------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Every parser starts here, so no cell with a control character or of absurd length is kept:
    # PostgreSQL refuses NUL even inside JSON, and a cell is a label, never a document.
    if CONTROL.search(text):
        raise Invalid(_("the cell holds control characters (such as NUL)"))
    if len(text) > CELL_MAX_LENGTH:
        raise Invalid(_("the cell is longer than %(n)s characters") % {"n": CELL_MAX_LENGTH})
    return text.replace("\u00a0", " ").strip()


def parse_flag(text: str) -> int | None:
    text = _clean(text)
    if text in MISSING:
        return None
    low = text.lower()
    if low in ("1", "1.0", "true", "yes"):
        return 1
    if low in ("0", "0.0", "false", "no"):
        return 0
    raise Invalid(f"“{text}” is not a flag (use 1, 0 or leave empty)")


def parse_band(text: str) -> str | None:
    text = _clean(text)
    if text in MISSING:
        return None
    if m := _BAND.match(text):
        return f"{int(m[1])}-{int(m[2])}"
    if m := _OPEN_BAND.match(text):
        return f"{int(m[1])}+"
    if _NUMBER.match(text):
        return str(int(float(text)))
    if text.lower() == "unknown":
        return "Unknown"
    raise Invalid(f"“{text}” is not a band such as 18-20 or 48+")


def parse_year(text: str) -> int | str | None:
    text = _clean(text)
    if text in MISSING:
        return None
    if _NUMBER.match(text):
        year = int(float(text))
        if 1900 <= year <= 2100:
            return year
    else:
        try:
            band = parse_band(text)
        except Invalid:
            band = None
        if band and band != "Unknown":
            bounds = [int(b) for b in band.rstrip("+").split("-")]
            if all(1900 <= b <= 2100 for b in bounds) and bounds == sorted(bounds):
                return band
    raise Invalid(f"“{text}” is not a year or a band of years such as 2014-2018")


def parse_text(text: str) -> str | None:
    text = _clean(text)
    if text in MISSING:
        return None
    if ";" in text:
        return ";".join(sorted({p for p in (_clean(x) for x in text.split(";")) if p}))
    return text


def _split(text: str, item: Callable[[str], str | None]) -> list[str] | None:
    text = _clean(text)
    if text in MISSING:
        return None
    parts = {item(p) for p in text.split(";")}
    parts.discard(None)
    return sorted(parts) or None


def parse_multi(text: str) -> list[str] | None:
    return _split(text, lambda p: _clean(p) or None)


def parse_bands(text: str) -> list[str] | None:
    return _split(text, parse_band)


def parse_country(text: str) -> str | None:
    text = _clean(text)
    if text in MISSING:
        return None
    code = countries.to_alpha2(text)
    return code or text.upper()


PARSERS: dict[str, Callable[[str], object]] = {
    YEAR: parse_year,
    TEXT: parse_text,
    MULTI: parse_multi,
    FLAG: parse_flag,
    COUNTRY: parse_country,
    BAND: parse_band,
    BANDS: parse_bands,
}


def parse_value(column: str, text: str):
    """Return the normalised value of ``text`` in ``column``; raise :class:`Invalid` if unreadable."""
    return PARSERS[COLUMNS[column]](text)


def label(value) -> str:
    """Return a normalised value as it appears in a frequency table (lists joined with ``;``)."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def resolve_columns(header: list[str]) -> tuple[list[tuple[int, str]], list[str]]:
    """Return the known columns as (position, canonical name), and the unknown column names."""
    known: list[tuple[int, str]] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(header):
        name = _clean(name)
        canonical = _BY_NAME.get(name.casefold())
        if canonical is None:
            if name:
                unknown.append(name)
            continue
        if canonical in seen:
            raise ImportFailed(f"column {name} appears twice in the header")
        seen.add(canonical)
        known.append((position, canonical))
    return known, unknown


# --- Dimensions ------------------------------------------------------------------------------


class _Notes:
    """Collects warnings about values the dimensions could not use, one line per (column, value)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[int]] = {}

    def add(self, column: str, value: str, row: int) -> None:
        rows = self.seen.setdefault((column, value), [])
        rows.append(row)

    def lines(self) -> list[str]:
        out = []
        for (column, value), rows in sorted(self.seen.items()):
            out.append(
                f"column {column}: {len(rows)} row(s) with “{value}”, which has no counterpart in the statistics "
                f"(kept in raw; first at row {rows[0]})"
            )
        return out


@functools.cache
def _sex(gender: str) -> str:
    return SEX.get(gender.casefold(), "")


@functools.cache
def _child(majority: str | None, age_group: str) -> bool | None:
    child = MAJORITY.get(majority.casefold()) if majority is not None else None
    if child is None and age_group:
        bounds = [int(b) for b in age_group.rstrip("+").split("-")]
        if bounds[-1] < 18 and not age_group.endswith("+"):
            child = True
        elif bounds[0] >= 18:
            child = False
    return child


@functools.cache
def _source(source: str) -> str:
    return (SOURCES.get(source.casefold()) or slugify(source).replace("-", "_"))[:40]


# --- Import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    dataset: ExternalDataset
    rows: int
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float(self.rows)


# ExternalRecord's columns in the order :class:`Records` builds its rows.
RECORD_FIELDS = (
    "row_number",
    "year",
    "sex",
    "age_group",
    "is_child",
    "citizenship",
    "country_of_exploitation",
    "exploitation",
    "referral_source",
    "decision",
    "raw",
)


class _Memo(dict):
    """A dict that computes a missing key's value once: ``map(memo.__getitem__, keys)`` runs in C."""

    def __init__(self, compute: Callable) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        value = self[key] = self.compute(key)
        return value


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _fragment(name: str, values: _Memo) -> Callable[[str], str]:
    """Return the function giving a cell's ``"name":value`` in the row's ``raw`` JSON."""
    key = _dumps(name)

    def compute(text: str) -> str:
        value = values[text]
        return f"{key}:{_dumps(None if value.__class__ is Invalid else value)}"

    return compute


def _parsed(parse: Callable[[str], object]) -> Callable[[str], object]:
    def compute(text: str):
        try:
            return parse(text)
        except Invalid as exc:
            return exc

    return compute


class _Reader:
    """Reads a file's rows a batch at a time, column by column.

    CTDC columns hold few distinct values, so each column parses each distinct text once and
    maps the rest through dictionaries (``map`` over a ``dict.__getitem__`` runs in C): per row,
    Python does almost nothing. The ``raw`` JSON is joined from each cell's encoded fragment,
    the dimensions computed per distinct value (or pair of values) the same way.
    """

    def __init__(self, known: list[tuple[int, str]]) -> None:
        self.positions = [position for position, _name in known]
        self.names = [name for _position, name in known]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.values = [_Memo(_parsed(PARSERS[COLUMNS[name]])) for name in self.names]
        self.fragments = [_Memo(_fragment(name, values)) for name, values in zip(self.names, self.values, strict=True)]
        self.notes = _Notes()
        self.errors: list[RowError] = []
        self.error_count = 0
        self.derived: dict[str, dict] = {}
        self.forms = _Memo(lambda key: _dumps(sorted(FORM_MASKS[key[0]] | key[1])))
        self.flag_bits = [
            (i, 1 << bit) for bit, column in enumerate(FLAG_FORMS) if (i := self.index.get(column)) is not None
        ]

    def _column(self, name: str, columns: list) -> list | None:
        i = self.index.get(name)
        return None if i is None else list(map(self.values[i].__getitem__, columns[i]))

    def batch(self, numbers: list[int], rows: list[list[str]]) -> list[tuple]:
        """Return the records of a batch (``RECORD_FIELDS`` order), or none once any error was found."""
        columns = list(zip(*rows, strict=False))  # rows may be longer than the known columns
        columns = [columns[p] for p in self.positions]
        failed = False
        for values, texts in zip(self.values, columns, strict=True):
            for text in set(texts):
                if values[text].__class__ is Invalid:
                    failed = True
        if failed:
            self._errors(numbers, columns)
        if self.error_count:
            return []
        size = len(numbers)
        none = [None] * size
        cells = (map(fragments.__getitem__, texts) for fragments, texts in zip(self.fragments, columns, strict=True))
        raw = list(map("{%s}".__mod__, map(",".join, zip(*cells, strict=True))))
        year = self._column("yearOfRegistration", columns)
        if year is None:
            year = self._column("yearRegister", columns) or none
        year = [y if y.__class__ is int else None for y in year]
        sex = self._derived("gender", columns, numbers, _sex_of)
        age = [a if a and a != "Unknown" else "" for a in (self._column("ageBroad", columns) or none)]
        child = list(map(_child, self._column("majorityStatus", columns) or none, age))
        citizenship = self._derived("citizenship", columns, numbers, _place_of)
        exploitation = self._derived("CountryOfExploitation", columns, numbers, _place_of)
        masks = [0] * size
        if self.flag_bits:
            bits = [
                [bit if v == 1 else 0 for v in map(self.values[i].__getitem__, columns[i])] for i, bit in self.flag_bits
            ]
            masks = list(map(sum, zip(*bits, strict=True)))
        concatenated = self._derived("typeOfExploitConcatenated", columns, numbers, _concatenated_forms)
        forms = list(map(self.forms.__getitem__, zip(masks, concatenated or [frozenset()] * size, strict=True)))
        source = [_source(s) if s else "" for s in (self._column("Datasource", columns) or none)]
        blank = [""] * size
        return list(
            zip(
                numbers,
                year,
                sex or blank,
                age,
                child,
                citizenship or blank,
                exploitation or blank,
                forms,
                source,
                blank,
                raw,
                strict=True,
            )
        )

    def _derived(self, name: str, columns: list, numbers: list[int], derive: Callable) -> list | None:
        """Return a dimension computed from one column's values; note the values without a counterpart."""
        i = self.index.get(name)
        if i is None:
            return None
        texts = columns[i]
        values = self.values[i]
        memo = self.derived.setdefault(name, {})
        bad: dict[str, list] = {}
        for text in set(texts):
            if text not in memo:
                memo[text] = derive(values[text])
            unknown = memo[text][1]
            if unknown:
                bad[text] = unknown
        out = [memo[t][0] for t in texts]
        if bad:
            for number, text in zip(numbers, texts, strict=True):
                for value in bad.get(text, ()):
                    self.notes.add(name, value, number)
        return out

    def _errors(self, numbers: list[int], columns: list) -> None:
        """Count and list (up to ``MAX_ERRORS``) the batch's bad cells, row by row, in the file's order."""
        for j, number in enumerate(numbers):
            for name, values, texts in zip(self.names, self.values, columns, strict=True):
                value = values[texts[j]]
                if value.__class__ is Invalid:
                    self.error_count += 1
                    if len(self.errors) < MAX_ERRORS:
                        self.errors.append(RowError(number, name, str(value)))


# The forms of exploitation of each combination of set flags (bit i: FLAG_FORMS' i-th column).
FORM_MASKS = _Memo(
    lambda mask: frozenset(code for bit, codes in enumerate(FLAG_FORMS.values()) if mask >> bit & 1 for code in codes)
)


def _sex_of(gender: str | None) -> tuple[str, list]:
    if gender is None:
        return "", []
    sex = _sex(gender)
    return sex, [] if sex else [gender]


def _place_of(value: str | None) -> tuple[str, list]:
    place = value if value and countries.is_alpha2(value) else ""
    return place, [value] if value and not place else []


def _concatenated_forms(parts: list[str] | None) -> tuple[frozenset, list]:
    forms: set[str] = set()
    unknown = []
    for part in parts or ():
        codes = CONCATENATED_FORMS.get(part.casefold())
        if codes is None:
            unknown.append(part)
        else:
            forms.update(codes)
    return frozenset(forms), unknown


class Records:
    """A CTDC file's records, read and checked a batch at a time; opening it checks its header.

    Each record is a tuple of ExternalRecord's values in ``RECORD_FIELDS`` order, the JSON values
    (``exploitation``, ``raw``) already encoded. :meth:`batches` yields them; once any cell of
    the file has failed, it yields no more but reads on, and when the file is read it raises
    :class:`ImportFailed` listing every row error (up to ``MAX_ERRORS``). Nothing is written here.
    """

    def __init__(self, path: str | Path) -> None:
        try:
            self.table = read_table(path)
        except TableError as exc:
            raise ImportFailed(str(exc)) from None
        try:
            known, unknown = resolve_columns(self.table.header)
            if not known:
                raise ImportFailed(f"{Path(path).name}: none of the columns is a known CTDC column")
        except BaseException:
            self.table.close()
            raise
        self.name = Path(path).name
        self.known = known
        self.columns = [name for _p, name in known]
        self.unknown = [f"unknown column “{name}” ignored" for name in unknown]
        self.reader = _Reader(known)

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[list[tuple]]:
        """Yield the file's records a batch at a time, then raise :class:`ImportFailed` if any row failed."""
        reader, read = self.reader, 0
        width = max(position for position, _name in self.known) + 1
        known_positions = [position for position, _name in self.known]
        numbers: list[int] = []
        rows: list[list[str]] = []
        try:
            for number, cells in itertools.chain(self.table.rows, [(None, None)]):
                if cells is not None:
                    if len(cells) < width:
                        cells = list(cells) + [""] * (width - len(cells))
                    # A blank line is not a record (unless a known cell of it is invalid: an error).
                    if "".join(cells).strip() or any(
                        values[cells[p]].__class__ is Invalid
                        for values, p in zip(reader.values, known_positions, strict=True)
                    ):
                        numbers.append(number)
                        rows.append(cells)
                    if len(rows) < READ_BATCH:
                        continue
                if rows:
                    records = reader.batch(numbers, rows)
                    numbers, rows = [], []
                    if records:
                        read += len(records)
                        if progress:
                            progress(read)
                        yield records
        finally:
            self.close()
        if reader.error_count:
            raise ImportFailed(
                f"{reader.error_count} error(s) in {self.name}; nothing was imported",
                errors=reader.errors,
                total=reader.error_count,
            )

    def warnings(self) -> list[str]:
        """The unknown columns and what reading found (values kept in ``raw`` only): complete once read."""
        return self.unknown + self.reader.notes.lines()

    def close(self) -> None:
        self.table.close()


def ctdc_import(
    *,
    path: str | Path,
    name: str,
    actor=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Import a CTDC file as the external data set ``name``, replacing any data set of that name.

    All or nothing: the replacement is one transaction, and a file with any error raises
    :class:`ImportFailed` listing them, leaving the previous data set exactly as it was. On
    PostgreSQL the rows stream into the database as they are read and checked (one ``COPY``,
    which the database works through while the next rows are read: the two use both cores), and
    an error found later rolls back what was sent. Elsewhere every row is read and checked before
    the transaction begins, so that SQLite's one write lock is held for the writing only.
    """
    if not name or slugify(name) != name or len(name) > 80:
        raise ImportFailed(f"“{name}” is not a valid data set name (use letters, digits, - and _)")
    started = time.perf_counter()
    records = Records(path)
    try:
        batches: Iterable[list[tuple]] = records.batches((lambda n: progress("read", n, 0)) if progress else None)
        if connection.vendor != "postgresql":
            batches = list(batches)
        with transaction.atomic():
            old = ExternalDataset.objects.select_for_update().filter(name=name).first()
            if old is not None:
                ExternalRecord.objects.filter(dataset=old).delete()
                old.delete()
            dataset = ExternalDataset.objects.create(
                name=name, source="ctdc", file_name=records.name[:255], row_count=0, columns=records.columns
            )
            total = _insert(dataset.pk, batches, progress)
            dataset.row_count, dataset.warnings = total, records.warnings()
            dataset.save(update_fields=["row_count", "warnings"])
            audit_record(
                actor=actor,
                action="exchange.ctdc_import",
                object_type="external_dataset",
                object_id=dataset.pk,
                detail={"name": name, "file": records.name, "rows": total, "replaced": old is not None},
            )
    finally:
        records.close()
    if progress:
        progress("write", total, total)
    return ImportResult(dataset=dataset, rows=total, seconds=time.perf_counter() - started, warnings=dataset.warnings)


def _insert(dataset_id: int, batches: Iterable[list[tuple]], progress: Callable[[str, int, int], None] | None) -> int:
    """Write the records of ``batches``; return how many. ``COPY`` on PostgreSQL, one prepared statement elsewhere.

    ``bulk_create`` spends most of its time building and preparing model instances; the rows
    here are already checked, so they go to the database as plain values.
    """
    meta = ExternalRecord._meta
    qn = connection.ops.quote_name
    names = ("dataset", *RECORD_FIELDS)
    columns = ", ".join(qn(meta.get_field(n).column) for n in names)
    written = 0
    # Only the model's own table and column names are interpolated; values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for batch in batches:
                    for row in batch:
                        copy.write_row((dataset_id, *row))
                    written += len(batch)
                    if progress:
                        progress("write", written, 0)
            return written
        params = ", ".join(["%s"] * len(names))
        for batch in batches:
            for start in range(0, len(batch), BATCH):
                part = batch[start : start + BATCH]
                cursor.executemany(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({params})",  # noqa: S608
                    [(dataset_id, *row) for row in part],
                )
                written += len(part)
                if progress:
                    progress("write", written, 0)
    return written


# --- Frequencies and conformance -------------------------------------------------------------


def frequencies(dataset: ExternalDataset, columns: Iterable[str] | None = None) -> dict[str, Counter]:
    """Return each column's frequencies in the stored records: label -> count, None for missing."""
    columns = list(columns or dataset.columns)
    counts = {c: Counter() for c in columns}
    rows = ExternalRecord.objects.filter(dataset=dataset).values_list("raw", flat=True)
    for raw in rows.iterator(chunk_size=5000):
        for column in columns:
            value = raw.get(column)
            counts[column][None if value is None else label(value)] += 1
    return counts


@dataclass
class PublishedTable:
    """One column's frequency table as the publisher printed it (a Stata ``tab`` in TabStat)."""

    column: str
    valid: list[tuple[str, int, float, float, float]] = field(default_factory=list)  # label, n, %, valid %, cum
    valid_total: tuple[int, float] | None = None
    missing: int = 0
    missing_percent: float = 0.0
    total: int | None = None


def read_tabstat(path: str | Path, sheet: str = "TabStat") -> dict[str, PublishedTable]:
    """Read the publisher's frequency tables (a data dictionary's TabStat sheet) by column."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ImportFailed(f"{Path(path).name}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFailed(f"{Path(path).name}: not an XLSX workbook ({exc.__class__.__name__})") from None
    if sheet not in book.sheetnames:
        book.close()
        raise ImportFailed(f"{Path(path).name}: no sheet named {sheet}")
    tables: dict[str, PublishedTable] = {}
    current: PublishedTable | None = None
    section = ""
    for row in book[sheet].iter_rows(values_only=True):
        cells = list(row) + [None] * (6 - len(row))
        first, value, freq, pct, valid, cum = cells[:6]
        if isinstance(first, str) and first.strip() and first.strip() not in ("Valid", "Missing", "Total"):
            current = tables.setdefault(first.strip(), PublishedTable(column=first.strip()))
            section = ""
            continue
        if current is None or freq is None or isinstance(freq, str):
            continue
        if first == "Valid":
            section = "valid"
        elif first == "Missing":
            section = "missing"
        elif first == "Total":
            current.total = int(freq)
            current = None
            continue
        if section == "valid":
            if value == "Total":
                current.valid_total = (int(freq), float(pct or 0))
            else:
                current.valid.append((value, int(freq), float(pct or 0), float(valid or 0), float(cum or 0)))
        elif section == "missing":
            current.missing += int(freq)
            current.missing_percent += float(pct or 0)
    book.close()
    return tables


@dataclass
class ColumnCheck:
    column: str
    ok: bool
    values: int = 0
    problems: list[str] = field(default_factory=list)


def _published_label(column: str, value) -> str:
    parsed = parse_value(column, str(value) if not isinstance(value, float) else f"{value:g}")
    return label(parsed) if parsed is not None else ""


def _close(a: float, b: float) -> bool:
    # Published percentages are rounded to two decimals: the exact value lies within 0.005.
    return abs(a - b) <= 0.005 + 1e-9


def compare(column: str, counts: Counter, published: PublishedTable) -> ColumnCheck:
    """Compare computed frequencies with a published table: every value, count and percentage."""
    check = ColumnCheck(column=column, ok=True)
    problems = check.problems
    missing = counts.get(None, 0)
    total = sum(counts.values())
    valid_total = total - missing
    computed = {k: v for k, v in counts.items() if k is not None}
    seen: set[str] = set()
    cum = 0
    for value, freq, pct, valid_pct, cum_pct in published.valid:
        try:
            key = _published_label(column, value)
        except Invalid as exc:
            problems.append(f"published value {value!r} cannot be read: {exc}")
            continue
        seen.add(key)
        got = computed.get(key, 0)
        cum += got
        if got != freq:
            problems.append(f"{value}: {got} here, {freq} published")
            continue
        if not _close(100 * got / total, pct):
            problems.append(f"{value}: percent {100 * got / total:.4f} here, {pct} published")
        if valid_total and not _close(100 * got / valid_total, valid_pct):
            problems.append(f"{value}: valid percent {100 * got / valid_total:.4f} here, {valid_pct} published")
        if valid_total and not _close(100 * cum / valid_total, cum_pct):
            problems.append(f"{value}: cumulative {100 * cum / valid_total:.4f} here, {cum_pct} published")
    for key in sorted(set(computed) - seen):
        problems.append(f"{key}: {computed[key]} here, not published")
    if published.valid_total is not None and published.valid_total[0] != valid_total:
        problems.append(f"valid total: {valid_total} here, {published.valid_total[0]} published")
    if published.valid_total is not None and total and not _close(100 * valid_total / total, published.valid_total[1]):
        problems.append(f"valid total percent: {100 * valid_total / total:.4f} here, {published.valid_total[1]}")
    if published.missing != missing:
        problems.append(f"missing: {missing} here, {published.missing} published")
    if total and not _close(100 * missing / total, published.missing_percent):
        problems.append(f"missing percent: {100 * missing / total:.4f} here, {published.missing_percent} published")
    if published.total is not None and published.total != total:
        problems.append(f"total: {total} here, {published.total} published")
    check.values = len(published.valid)
    check.ok = not problems
    return check


def conformance(dataset: ExternalDataset, dictionary: str | Path) -> list[ColumnCheck]:
    """Compare every column of ``dataset`` with the publisher's TabStat tables in ``dictionary``.

    A column the publisher tabulated but the data set lacks, and a column of the data set the
    publisher did not tabulate, are both mismatches.
    """
    published = read_tabstat(dictionary)
    if not published:
        raise ImportFailed(f"{Path(dictionary).name}: the TabStat sheet has no frequency tables")
    names = {_BY_NAME.get(name.casefold(), name): table for name, table in published.items()}
    counts = frequencies(dataset, [c for c in dataset.columns if c in names])
    checks = []
    for column, table in names.items():
        if column not in counts:
            checks.append(ColumnCheck(column, False, problems=["published, but not a column of the imported data"]))
            continue
        checks.append(compare(column, counts[column], table))
    for column in dataset.columns:
        if column not in names:
            checks.append(ColumnCheck(column, False, problems=["imported, but the publisher has no table for it"]))
    return checks
