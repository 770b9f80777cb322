"""Loading donor programmes from a JSON document, matched by natural keys so loading twice changes nothing.

:func:`load_programmes` is the entry point. Each figure in the document carries ``as_written``
(the number as the source prints it) and ``source_text`` (the source's sentence); the loader
checks that the two agree with the stored value before writing anything.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from nrm.accounts.models import Organisation, OrganisationType
from nrm.audit.services import audit_record
from nrm.core.errors import invalid
from nrm.programmes.choices import PartnerRole
from nrm.programmes.models import (
    Document,
    FundingLine,
    Indicator,
    IndicatorValue,
    Objective,
    Outcome,
    Output,
    Programme,
    ProgrammePartner,
    ProgrammeSector,
)

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_FIXTURE = DATA / "programmes_rs.json"


def _need(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise invalid(field, message)


def figure(entry: dict, field: str, key: str = "amount") -> Decimal:
    """Return ``entry[key]`` as a Decimal after checking it against ``as_written`` and ``source_text``."""
    try:
        value = Decimal(str(entry.get(key)))
    except (InvalidOperation, ValueError):
        raise invalid(f"{field}.{key}", _("“%(value)s” is not a number.") % {"value": entry.get(key)}) from None
    _need(value.is_finite() and value >= 0, f"{field}.{key}", _("Enter a number of zero or more."))
    written = str(entry.get("as_written", ""))
    _need(bool(written), f"{field}.as_written", _("Give the figure as the source writes it."))
    _need(
        # The source's thousands separator: "," unless the entry names another ("750.000 EUR").
        Decimal(written.replace(entry.get("thousands_separator", ","), "")) == value,
        f"{field}.as_written",
        _("“%(written)s” is not %(value)s.") % {"written": written, "value": value},
    )
    _need(
        written in entry.get("source_text", ""),
        f"{field}.source_text",
        _("The quoted source text does not contain “%(written)s”.") % {"written": written},
    )
    return value


def _date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid(field, _("Enter a date as YYYY-MM-DD.")) from None


def check_sectors(sectors: list[dict], at: str) -> None:
    """Raise ValidationError unless ``sectors`` are known DAC codes, each once, adding up to 100%."""
    from nrm.programmes.iati_rules import dac_codes

    seen = set()
    total = Decimal(0)
    for j, row in enumerate(sectors):
        code = str(row.get("code", ""))
        _need(code in dac_codes(), f"{at}[{j}].code", _("“%(code)s” is not a known DAC sector code.") % {"code": code})
        _need(code not in seen, f"{at}[{j}].code", _("This sector is listed twice."))
        seen.add(code)
        try:
            share = Decimal(str(row.get("percentage", "100")))
        except InvalidOperation:
            share = Decimal(-1)
        _need(0 < share <= 100, f"{at}[{j}].percentage", _("Enter a percentage above 0 and at most 100."))
        total += share
    _need(
        not sectors or total == 100, at, _("The sectors' percentages add up to %(total)s, not 100.") % {"total": total}
    )


def check_document(doc: dict) -> None:
    """Raise ValidationError naming the first broken part of a programmes document."""
    _need(isinstance(doc, dict), "document", _("The file does not hold a JSON object."))
    _need(isinstance(doc.get("programmes"), list), "programmes", _("This part is missing."))
    orgs = {row.get("code") for row in doc.get("organisations", [])}
    for i, prog in enumerate(doc["programmes"]):
        at = f"programmes[{i}]"
        for key in ("code", "title"):
            _need(bool(prog.get(key)), f"{at}.{key}", _("This field is required."))
        start, end = (
            _date(prog.get("period_start"), f"{at}.period_start"),
            _date(prog.get("period_end"), f"{at}.period_end"),
        )
        _need(not (start and end and end < start), f"{at}.period_end", _("The period ends before it starts."))
        if prog.get("budget"):
            figure(prog["budget"], f"{at}.budget")
        for j, line in enumerate(prog.get("funding", [])):
            _need(bool(line.get("donor")), f"{at}.funding[{j}].donor", _("This field is required."))
            _need(len(line.get("currency", "")) == 3, f"{at}.funding[{j}].currency", _("Use a three-letter code."))
            figure(line, f"{at}.funding[{j}]")
            _date(line.get("committed_on"), f"{at}.funding[{j}].committed_on")
        check_sectors(prog.get("sectors", []), f"{at}.sectors")
        for j, part in enumerate(prog.get("partners", [])):
            _need(part.get("organisation") in orgs, f"{at}.partners[{j}].organisation", _("Unknown organisation."))
            _need(part.get("role") in PartnerRole.values, f"{at}.partners[{j}].role", _("Unknown role."))
        objectives = {o["number"] for o in prog.get("objectives", [])}
        for j, outcome in enumerate(prog.get("outcomes", [])):
            ref = outcome.get("objective")
            _need(ref is None or ref in objectives, f"{at}.outcomes[{j}].objective", _("Unknown objective."))
        outcomes = {o["number"] for o in prog.get("outcomes", [])}
        for j, output in enumerate(prog.get("outputs", [])):
            ref = output.get("outcome")
            _need(ref is None or ref in outcomes, f"{at}.outputs[{j}].outcome", _("Unknown outcome."))
        outputs = {o["number"] for o in prog.get("outputs", [])}
        for j, ind in enumerate(prog.get("indicators", [])):
            where = f"{at}.indicators[{j}]"
            for key in ("code", "name", "unit"):
                _need(bool(ind.get(key)), f"{where}.{key}", _("This field is required."))
            _need(ind.get("output") is None or ind["output"] in outputs, f"{where}.output", _("Unknown output."))
            if ind.get("actual"):
                _need(bool(prog.get("actuals_period")), f"{at}.actuals_period", _("Give the period of the actuals."))
                figure(ind["actual"], f"{where}.actual", "value")
        if prog.get("actuals_period"):
            _need(
                _date(prog["actuals_period"].get("period_start"), f"{at}.actuals_period.period_start") is not None,
                f"{at}.actuals_period.period_start",
                _("This field is required."),
            )


class Loader:
    """Write one checked document; every row is matched by its natural key and updated in place."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.types = {row["code"]: row for row in doc.get("organisation_types", [])}
        self.orgs: dict[str, Organisation] = {}

    def _type(self, code: str) -> OrganisationType:
        row = dict(self.types.get(code, {"name": code.replace("_", " ").capitalize()}))
        row.pop("code", None)
        otype, _created = OrganisationType.objects.get_or_create(code=code, defaults=row)
        return otype

    def organisations(self) -> None:
        # An organisation that already exists keeps its name and type: reference data wins.
        for row in self.doc.get("organisations", []):
            org = Organisation.objects.filter(code=row["code"]).first()
            if org is None:
                org = Organisation.objects.create(code=row["code"], name=row["name"], type=self._type(row["type"]))
            self.orgs[row["code"]] = org

    def programme(self, prog: dict) -> Programme:
        budget = prog.get("budget") or {}
        programme, _created = Programme.objects.update_or_create(
            code=prog["code"],
            defaults={
                "title": prog["title"],
                "period_start": _date(prog.get("period_start"), "period_start"),
                "period_end": _date(prog.get("period_end"), "period_end"),
                "period_text": prog.get("period_text", ""),
                "description": prog.get("description", ""),
                "source": prog.get("source", ""),
                "budget_amount": Decimal(budget["amount"]) if budget else None,
                "budget_currency": budget.get("currency", ""),
                "budget_source_text": budget.get("source_text", ""),
                "secondary_reporter": prog.get("secondary_reporter", True),
            },
        )
        for row in prog.get("sectors", []):
            ProgrammeSector.objects.update_or_create(
                programme=programme,
                code=row["code"],
                defaults={
                    "percentage": Decimal(str(row.get("percentage", "100"))),
                    "inferred": row.get("inferred", False),
                },
            )
        for part in prog.get("partners", []):
            ProgrammePartner.objects.update_or_create(
                programme=programme,
                organisation=self.orgs[part["organisation"]],
                role=part["role"],
                defaults={"note": part.get("note", "")},
            )
        for line in prog.get("funding", []):
            FundingLine.objects.update_or_create(
                programme=programme,
                donor=line["donor"],
                defaults={
                    "amount": Decimal(line["amount"]),
                    "currency": line["currency"],
                    "source_text": line["source_text"],
                    "committed_on": _date(line.get("committed_on"), "committed_on"),
                },
            )
        objectives = {}
        for row in prog.get("objectives", []):
            objectives[row["number"]], _c = Objective.objects.update_or_create(
                programme=programme, number=row["number"], defaults={"title": row["title"]}
            )
        outcomes = {}
        for row in prog.get("outcomes", []):
            ref = row.get("objective")
            outcomes[row["number"]], _c = Outcome.objects.update_or_create(
                programme=programme,
                number=row["number"],
                defaults={
                    "title": row["title"],
                    "objective": objectives.get(ref),
                    # The seeds list outcomes apart from objectives: any link is our reading.
                    "objective_inferred": ref is not None and bool(prog.get("outcomes_note")),
                },
            )
        outputs = {}
        for row in prog.get("outputs", []):
            outputs[row["number"]], _c = Output.objects.update_or_create(
                programme=programme,
                number=row["number"],
                defaults={"title": row["title"], "outcome": outcomes.get(row.get("outcome"))},
            )
        period = prog.get("actuals_period") or {}
        for row in prog.get("indicators", []):
            indicator, _c = Indicator.objects.update_or_create(
                programme=programme,
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "unit": row["unit"],
                    "output": outputs.get(row.get("output")),
                    "baseline": Decimal(row["baseline"]) if row.get("baseline") is not None else None,
                    "target": Decimal(row["target"]) if row.get("target") is not None else None,
                },
            )
            actual = row.get("actual")
            if actual:
                IndicatorValue.objects.update_or_create(
                    indicator=indicator,
                    period_start=_date(period["period_start"], "period_start"),
                    period_end=_date(period.get("period_end"), "period_end"),
                    defaults={
                        "as_of": _date(period.get("as_of"), "as_of"),
                        "period_text": period.get("period_text", ""),
                        "value": Decimal(actual["value"]),
                        "source": period.get("source", ""),
                        "source_text": actual["source_text"],
                    },
                )
        for row in prog.get("documents", []):
            Document.objects.update_or_create(
                programme=programme, title=row["title"], defaults={"reference": row["reference"]}
            )
        return programme

    def run(self) -> list[Programme]:
        self.organisations()
        return [self.programme(prog) for prog in self.doc["programmes"]]


@transaction.atomic
def load_programmes(path: Path | str | None = None, *, actor=None) -> dict[str, int]:
    """Load donor programmes from a JSON document (default: Serbia's); return counts.

    Idempotent and all or nothing: a broken document raises ValidationError naming the part at
    fault and leaves the database as it was. Missing partner organisations are created. A named
    ``actor`` gets an audit row; loading with the reference data does not.
    """
    path = Path(path) if path else DEFAULT_FIXTURE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise invalid("path", _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from None
    check_document(doc)
    programmes = Loader(doc).run()
    ids = [p.pk for p in programmes]
    counts = {
        "programmes": len(programmes),
        "funding_lines": FundingLine.objects.filter(programme__in=ids).count(),
        "indicators": Indicator.objects.filter(programme__in=ids).count(),
        "indicator_values": IndicatorValue.objects.filter(indicator__programme__in=ids).count(),
    }
    if actor is not None:
        # Loading with the reference data (no actor) is not audited, like the rest of it.
        audit_record(
            actor=actor, action="programmes.load", object_type="programme", detail={"file": path.name, **counts}
        )
    return counts
