"""Indicator lists as data: installing the bundled JSON lists, and a country's own list from a spreadsheet.

- :func:`install_bundled` loads a bundled list (``nrm/cases/data/*.json``) as the version its
  file names; a new version becomes the active one in place of the older versions of the
  same list (which stay, so the screenings stored under them can still be explained).
- :func:`workbook_from_definition` writes a list into the spreadsheet template (sheets
  "List", "Dimensions", "Indicators", "Rules"); :func:`definition_from_workbook` reads one
  back and says, for every problem, its sheet, row and column. Translations are optional
  columns named after the language: "title sr-latn", "title sr" on "List" and "Dimensions",
  "text sr-latn", "text sr" on "Indicators" (stored as ``title_i18n`` and ``text_i18n``, see
  nrm/core/i18n.py); a blank cell is no translation (English is shown).
- :func:`import_definition` stores an imported list as a new version and makes it the
  active list (``nrm screening import-list FILE.xlsx``).

Both paths validate with :func:`nrm.cases.data.check_indicators.validate`, the one set of
rules for a list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zipfile import BadZipFile

from django.conf import settings
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from nrm.audit.services import audit_record
from nrm.cases.data.check_indicators import LANGUAGE_RE, RULE_KEYS, validate
from nrm.cases.models import IndicatorList
from nrm.core.spreadsheet import new_workbook

LIST_COLUMNS = ("code", "version", "title", "source")
DIMENSION_COLUMNS = ("code", "title", "group")
INDICATOR_COLUMNS = ("code", "dimension", "strength", "applies_to", "forms", "text", "source")
RULE_COLUMNS = ("rule", "audience", "strong", "medium", "weak", "medium_or_weak", "groups")
CLAUSE_KEYS = ("strong", "medium", "weak", "medium_or_weak")
SHEETS = {
    "List": LIST_COLUMNS,
    "Dimensions": DIMENSION_COLUMNS,
    "Indicators": INDICATOR_COLUMNS,
    "Rules": RULE_COLUMNS,
}
LIST_FIELDS = ("dimensions", "indicators")
# Optional translation columns, "<key> <language>": sheet -> (the part of the definition, the key translated).
TRANSLATED = {"List": ("", "title"), "Dimensions": ("dimensions", "title"), "Indicators": ("indicators", "text")}
assert set(CLAUSE_KEYS) == RULE_KEYS


class InvalidList(ValueError):
    """A list that breaks the rules; ``problems`` says what and where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def check_definition(definition: dict) -> None:
    """Raise :class:`InvalidList` if the definition breaks any rule of ``check_indicators``."""
    errors, _warnings = validate(definition)
    if errors:
        raise InvalidList([e.message for e in errors])


# --- Bundled lists --------------------------------------------------------------------------


@transaction.atomic
def install_bundled(definition: dict) -> IndicatorList:
    """Store a bundled list as the version it names; idempotent.

    An existing (code, version) row is updated in place and keeps its ``is_active``. A new
    version becomes active, and the older versions of the same list inactive, unless the
    list was already set aside (its newest version inactive, e.g. after a country imported
    its own list) or a newer version is already stored.
    """
    check_definition(definition)
    code, version = definition["code"], definition["version"]
    fields = {"title": definition["title"], "definition": definition}
    existing = IndicatorList.objects.filter(code=code, version=version).first()
    if existing is not None:
        IndicatorList.objects.filter(pk=existing.pk).update(**fields)
        existing.refresh_from_db()
        return existing
    newest = IndicatorList.objects.filter(code=code).order_by("-version").first()
    active = newest is None or (newest.version < version and newest.is_active)
    if active:
        IndicatorList.objects.filter(code=code, version__lt=version).update(is_active=False)
    return IndicatorList.objects.create(code=code, version=version, is_active=active, **fields)


# --- Import ---------------------------------------------------------------------------------


@transaction.atomic
def import_definition(definition: dict, *, origin: str = "") -> IndicatorList:
    """Store ``definition`` as the next version of its list and make it the only active list.

    The version written in the file is replaced by the next free one, so an import never
    changes a stored version; the lists active before stay stored, inactive.
    """
    check_definition(definition)
    code = definition["code"]
    last = IndicatorList.objects.select_for_update().filter(code=code).order_by("-version").first()
    version = last.version + 1 if last else 1
    definition = {**definition, "version": version}
    previous = list(IndicatorList.objects.filter(is_active=True).values_list("code", "version"))
    IndicatorList.objects.filter(is_active=True).update(is_active=False)
    created = IndicatorList.objects.create(
        code=code, version=version, title=definition["title"], definition=definition, is_active=True
    )
    audit_record(
        actor=None,
        action="indicator_list.import",
        object_type="indicator_list",
        object_id=created.pk,
        detail={
            "code": code,
            "version": version,
            "indicators": len(definition["indicators"]),
            "replaced": [f"{c} v{v}" for c, v in previous],
            "file": origin,
        },
    )
    return created


# --- Spreadsheet template -------------------------------------------------------------------


def _join(values) -> str:
    return ", ".join(values)


def translation_languages(definition: dict) -> list[str]:
    """Return the languages the template has translation columns for: the interface's, then the list's own."""
    langs = [code.lower() for code, _name in settings.LANGUAGES if code.lower() != "en"]
    for part, key in TRANSLATED.values():
        for entry in definition.get(part, []) if part else [definition]:
            langs += [lang for lang in entry.get(f"{key}_i18n", {}) if lang not in langs]
    return langs


def workbook_from_definition(definition: dict) -> Workbook:
    """Return the spreadsheet template filled with ``definition`` (a country starts from it)."""
    langs = translation_languages(definition)
    wb, _first = new_workbook()
    wb.remove(wb.active)
    rows: dict[str, list[list]] = {
        "List": [
            [
                *(definition.get(k, "") for k in LIST_COLUMNS),
                *(definition.get("title_i18n", {}).get(lang, "") for lang in langs),
            ]
        ],
        "Dimensions": [
            [*(d.get(k, "") for k in DIMENSION_COLUMNS), *(d.get("title_i18n", {}).get(lang, "") for lang in langs)]
            for d in definition.get("dimensions", [])
        ],
        "Indicators": [
            [
                i.get("code", ""),
                i.get("dimension", ""),
                i.get("strength", ""),
                _join(i.get("applies_to", [])),
                _join(i.get("forms", [])),
                i.get("text", ""),
                i.get("source", ""),
                *(i.get("text_i18n", {}).get(lang, "") for lang in langs),
            ]
            for i in definition.get("indicators", [])
        ],
        "Rules": [
            ["dimension", "", *[clause.get(k) for k in CLAUSE_KEYS], ""]
            for clause in definition.get("dimension_rule", {}).get("any_of", [])
        ]
        + [
            ["victim", audience, None, None, None, None, _join(rule.get("all_of_groups", []))]
            for audience, rule in definition.get("victim_rule", {}).items()
        ],
    }
    for name, columns in SHEETS.items():
        if name in TRANSLATED:
            columns = (*columns, *(f"{TRANSLATED[name][1]} {lang}" for lang in langs))
        ws = wb.create_sheet(name)
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows[name]:
            ws.append(row)
        ws.freeze_panes = "A2"
        for idx, column in enumerate(columns, start=1):
            width = max([len(column), *(len(str(r[idx - 1] or "")) for r in rows[name])])
            ws.column_dimensions[get_column_letter(idx)].width = min(width + 2, 80)
    return wb


@dataclass
class Place:
    sheet: str
    row: int
    column: str | None = None  # header name

    def describe(self, headers: dict[str, dict[str, int]]) -> str:
        text = f"sheet {self.sheet!r}, row {self.row}"
        if self.column:
            index = headers.get(self.sheet, {}).get(self.column)
            letter = f"{get_column_letter(index)} " if index else ""
            text += f", column {letter}({self.column})"
        return text


class _Reader:
    """Read the four sheets into a definition, remembering where each part came from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.headers: dict[str, dict[str, int]] = {}
        self.places: dict[tuple, Place] = {}

    def fail(self, place: Place, message: str) -> None:
        self.problems.append(f"{place.describe(self.headers)}: {message}")

    def rows(self, wb, name: str) -> list[tuple[int, dict]]:
        if name not in wb.sheetnames:
            self.problems.append(f"sheet {name!r}: missing (the template has {', '.join(SHEETS)})")
            return []
        ws = wb[name]
        header = [str(c).strip().casefold() if c is not None else "" for c in next(ws.iter_rows(values_only=True), ())]
        self.headers[name] = {h: i + 1 for i, h in enumerate(header) if h}
        missing = [c for c in SHEETS[name] if c not in self.headers[name]]
        for column in missing:
            self.fail(Place(name, 1), f"column {column!r} missing from the header row")
        if missing:
            return []
        out = []
        for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            row = {h: (values[i - 1] if i - 1 < len(values) else None) for h, i in self.headers[name].items()}
            row = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
            if all(v in (None, "") for v in row.values()):
                continue
            out.append((number, row))
        return out

    def text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def integer(self, value, place: Place) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            value = None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int):
            self.fail(place, f"{value!r} is not a whole number")
            return None
        return value

    def translations(self, row: dict, key: str) -> dict[str, str]:
        """Return the optional translation columns of a row ("text sr-latn", ...) as {language: text}."""
        out = {}
        for header, value in row.items():
            name, _sep, lang = header.partition(" ")
            if name == key and LANGUAGE_RE.match(lang.strip()) and self.text(value):
                out[lang.strip()] = self.text(value)
        return out

    def listed(self, value) -> list[str]:
        return [part.strip() for part in self.text(value).replace(";", ",").split(",") if part.strip()]

    def read(self) -> dict:
        try:
            wb = load_workbook(self.path, read_only=True, data_only=True)
        except (OSError, BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
            self.problems.append(f"{self.path}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})")
            return {}
        definition: dict = {}
        list_rows = self.rows(wb, "List")
        if len(list_rows) != 1 and "List" in self.headers:
            self.fail(Place("List", 2), f"exactly one row expected under the header, found {len(list_rows)}")
        for number, row in list_rows[:1]:
            for key in ("code", "title", "source"):
                definition[key] = self.text(row[key])
                self.places[(key,)] = Place("List", number, key)
            self.places[("version",)] = Place("List", number, "version")
            definition["version"] = self.integer(row["version"], Place("List", number, "version")) or 1
            if translations := self.translations(row, "title"):
                definition["title_i18n"] = translations
        definition["dimensions"] = []
        for number, row in self.rows(wb, "Dimensions"):
            i = len(definition["dimensions"])
            dimension = {k: self.text(row[k]) for k in DIMENSION_COLUMNS}
            if translations := self.translations(row, "title"):
                dimension["title_i18n"] = translations
            definition["dimensions"].append(dimension)
            self.places[("dimensions", i)] = Place("Dimensions", number)
        definition["indicators"] = []
        for number, row in self.rows(wb, "Indicators"):
            i = len(definition["indicators"])
            indicator = {k: self.text(row[k]) for k in ("code", "dimension", "strength", "text")}
            indicator["applies_to"] = self.listed(row["applies_to"])
            indicator["forms"] = self.listed(row["forms"])
            if self.text(row["source"]):
                indicator["source"] = self.text(row["source"])
            if translations := self.translations(row, "text"):
                indicator["text_i18n"] = translations
            definition["indicators"].append(indicator)
            self.places[("indicators", i)] = Place("Indicators", number)
        clauses: list[dict] = []
        victim: dict[str, dict] = {}
        for number, row in self.rows(wb, "Rules"):
            kind = self.text(row["rule"]).casefold()
            if kind == "dimension":
                clause = {}
                for key in CLAUSE_KEYS:
                    value = self.integer(row[key], Place("Rules", number, key))
                    if value is not None:
                        clause[key] = value
                self.places[("dimension_rule", len(clauses))] = Place("Rules", number)
                clauses.append(clause)
            elif kind == "victim":
                audience = self.text(row["audience"]).casefold()
                if audience not in ("adult", "child"):
                    self.fail(Place("Rules", number, "audience"), f"audience {audience!r} is not adult or child")
                elif audience in victim:
                    self.fail(Place("Rules", number, "audience"), f"a second victim rule for {audience}")
                else:
                    victim[audience] = {"all_of_groups": self.listed(row["groups"])}
                    self.places[("victim_rule", audience)] = Place("Rules", number, "groups")
            else:
                self.fail(Place("Rules", number, "rule"), f"rule {kind!r} is not 'dimension' or 'victim'")
        definition["dimension_rule"] = {"any_of": clauses}
        definition["victim_rule"] = victim
        if not victim and "Rules" in self.headers:
            self.fail(Place("Rules", 2), "no victim rule (one row per audience: rule 'victim', audience, groups)")
        return definition

    def place_of(self, where: tuple) -> Place | None:
        """Return the cell a validation problem concerns (most specific known place)."""
        if not where:
            return None
        base = self.places.get(where[:2]) or self.places.get(where[:1])
        if base is None:
            return None
        if where[0] == "indicators" and len(where) > 2:
            return Place(base.sheet, base.row, where[2])
        if where[0] == "dimensions" and len(where) > 2:
            return Place(base.sheet, base.row, where[2])
        if where[0] == "dimension_rule" and len(where) > 2 and where[2] in CLAUSE_KEYS:
            return Place(base.sheet, base.row, where[2])
        return base


def definition_from_workbook(path: Path | str) -> dict:
    """Read a filled template; raise :class:`InvalidList` naming sheet, row and column of each problem."""
    reader = _Reader(Path(path))
    definition = reader.read()
    if reader.problems:
        raise InvalidList(reader.problems)
    errors, _warnings = validate(definition)
    if errors:
        messages = []
        for error in errors:
            place = reader.place_of(error.where)
            messages.append(f"{place.describe(reader.headers)}: {error.message}" if place else error.message)
        raise InvalidList(messages)
    definition["imported"] = {"file": Path(path).name, "on": dt.date.today().isoformat()}
    return definition
