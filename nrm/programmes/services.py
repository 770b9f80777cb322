"""Writes of donor programmes: programmes, partners, funding, results framework, values, documents.

Keyword-only, one transaction, access checked inside it, an audit row per write. Bad input
raises ``ValidationError`` naming the field and stores nothing; an actor who may not write gets a
:class:`~nrm.core.errors.NotFound` whose denial is audited (the API answers 403, pages 404).
Programmes and indicators carry a version: a stale edit raises
:class:`~nrm.core.errors.Conflict` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_currency, check_decimal, check_period, check_text
from nrm.programmes.choices import PartnerRole
from nrm.programmes.loading import check_sectors, load_programmes
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
from nrm.programmes.selectors import may_record

MAX_VALUE = Decimal("99999999999999.99")
ACTION = "programmes.indicator_value_record"
# "scheme:" at the start, "//" anywhere or "www." at the start: the reference is meant as a URL.
LOOKS_LIKE_URL = re.compile(r"^([a-z][a-z0-9+.\-]*:\S|www\.)|//", re.IGNORECASE)

__all__ = [
    "document_add",
    "framework_item_edit",
    "funding_line_add",
    "funding_line_edit",
    "indicator_add",
    "indicator_edit",
    "indicator_targets_set",
    "indicator_value_record",
    "load_programmes",
    "objective_add",
    "outcome_add",
    "output_add",
    "partner_add",
    "partner_edit",
    "programme_create",
    "programme_edit",
]


# --- checks shared by the writes -------------------------------------------------------------


def _check_writer(actor: User, action: str, object_type: str, object_id: object = "") -> None:
    if not may_record(actor):
        raise denied(actor=actor, action=action, object_type=object_type, object_id=object_id)


def _number(field: str, value: Decimal | int | str | None, *, required: bool = False) -> Decimal | None:
    """Return ``value`` as an amount from 0 to MAX_VALUE with two decimals, or None when allowed."""
    return check_decimal(field, value, Decimal(0), MAX_VALUE, required=required)


def _same_programme(field: str, item: Model | None, programme: Programme) -> None:
    if item is not None and item.programme_id != programme.pk:
        raise invalid(field, _("Choose one of this programme's entries."))


def _audit(actor: User, action: str, object_type: str, obj: Model, **detail) -> None:
    audit_record(actor=actor, action=f"programmes.{action}", object_type=object_type, object_id=obj.pk, detail=detail)


# --- programmes ------------------------------------------------------------------------------


def _programme_fields(
    *,
    title: str,
    period_start: dt.date | None,
    period_end: dt.date | None,
    period_text: str,
    description: str,
    budget_amount: Decimal | None,
    budget_currency: str,
    source: str,
) -> dict:
    fields = {
        "title": check_text("title", title, 300, required=True),
        "period_text": check_text("period_text", period_text, 200),
        "description": check_text("description", description, 20000),
        "budget_amount": _number("budget_amount", budget_amount),
        "budget_currency": check_currency("budget_currency", budget_currency, required=budget_amount not in (None, "")),
        "source": check_text("source", source, 2000),
        "period_start": period_start,
        "period_end": period_end,
    }
    check_period("period_start", period_start, "period_end", period_end, start_required=False, end_required=False)
    return fields


SECTOR = re.compile(r"^\s*(\d{5})\s*(?:[:=]\s*(\d+(?:[.,]\d+)?)\s*%?)?\s*$")


def parse_sectors(value: str | list[dict] | None) -> list[dict] | None:
    """Read sectors written "15190:60, 15180:40" (a lone code is 100%), or given as dicts; None: unchanged."""
    if value is None or isinstance(value, list):
        rows = value
    else:
        rows = []
        for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", value))):
            match = SECTOR.match(part)
            if not match:
                raise invalid(
                    "sectors",
                    _("“%(part)s” is not a DAC code with its share, such as 15190:60.") % {"part": part[:40]},
                )
            rows.append({"code": match[1], "percentage": (match[2] or "100").replace(",", ".")})
    if rows is not None:
        try:
            check_sectors(rows, "sectors")
        except ValidationError as exc:
            # One field on the form and in the API: name it, whichever entry is at fault.
            raise invalid("sectors", " ".join(m for ms in exc.message_dict.values() for m in ms)) from None
    return rows


def _sectors_set(programme: Programme, rows: list[dict] | None) -> None:
    if rows is None:
        return
    ProgrammeSector.objects.filter(programme=programme).delete()
    ProgrammeSector.objects.bulk_create(
        ProgrammeSector(programme=programme, code=r["code"], percentage=Decimal(str(r.get("percentage", "100"))))
        for r in rows
    )


@atomic_audited
def programme_create(
    *,
    actor: User,
    code: str,
    title: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    period_text: str = "",
    description: str = "",
    budget_amount: Decimal | None = None,
    budget_currency: str = "",
    source: str = "",
    secondary_reporter: bool = True,
    sectors: str | list[dict] | None = None,
) -> Programme:
    """Create a programme; ``code`` is a unique slug (it becomes part of the IATI identifier).

    ``secondary_reporter``: another organisation runs the activity and this system republishes
    it; ``sectors``: DAC codes with their shares (see :func:`parse_sectors`).
    """
    _check_writer(actor, "programmes.programme_create", "programme")
    code = check_text("code", code, 60, required=True)
    if slugify(code) != code:
        raise invalid("code", _("Use lowercase letters, digits and hyphens only."))
    if Programme.objects.filter(code=code).exists():
        raise invalid("code", _("A programme with this code already exists."))
    fields = _programme_fields(
        title=title,
        period_start=period_start,
        period_end=period_end,
        period_text=period_text,
        description=description,
        budget_amount=budget_amount,
        budget_currency=budget_currency,
        source=source,
    )
    rows = parse_sectors(sectors)
    programme = Programme.objects.create(code=code, secondary_reporter=bool(secondary_reporter), **fields)
    _sectors_set(programme, rows)
    _audit(actor, "programme_create", "programme", programme, code=code)
    return programme


@atomic_audited
def programme_edit(
    *,
    actor: User,
    programme: Programme,
    expected_version: int | None,
    title: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    period_text: str = "",
    description: str = "",
    budget_amount: Decimal | None = None,
    budget_currency: str = "",
    source: str = "",
    secondary_reporter: bool | None = None,
    sectors: str | list[dict] | None = None,
) -> Programme:
    """Edit a programme's summary; a stale ``expected_version`` raises Conflict and writes nothing.

    ``secondary_reporter`` and ``sectors`` left None stay as they are.
    """
    _check_writer(actor, "programmes.programme_edit", "programme", programme.pk)
    fields = _programme_fields(
        title=title,
        period_start=period_start,
        period_end=period_end,
        period_text=period_text,
        description=description,
        budget_amount=budget_amount,
        budget_currency=budget_currency,
        source=source,
    )
    rows = parse_sectors(sectors)
    if secondary_reporter is not None:
        fields["secondary_reporter"] = bool(secondary_reporter)
    changed = sorted(k for k, v in fields.items() if getattr(programme, k) != v)
    if rows is not None and sorted((r["code"], Decimal(str(r["percentage"]))) for r in rows) != sorted(
        programme.sectors.values_list("code", "percentage")
    ):
        changed.append("sectors")
    for name, value in fields.items():
        setattr(programme, name, value)
    save_versioned(programme, expected_version=expected_version, fields=list(fields))
    _sectors_set(programme, rows)
    _audit(actor, "programme_edit", "programme", programme, changed=changed, version=programme.version)
    return programme


# --- partners and funding --------------------------------------------------------------------


def _role(role: str) -> str:
    if role not in PartnerRole.values:
        raise invalid("role", _("Choose a valid role."))
    return role


@atomic_audited
def partner_add(
    *, actor: User, programme: Programme, organisation: Organisation, role: str, note: str = ""
) -> ProgrammePartner:
    """Name ``organisation`` as a partner of ``programme`` in ``role`` (once per role)."""
    _check_writer(actor, "programmes.partner_add", "programme", programme.pk)
    if not isinstance(organisation, Organisation):
        raise invalid("organisation", _("Choose an organisation."))
    role, note = _role(role), check_text("note", note, 200)
    if ProgrammePartner.objects.filter(programme=programme, organisation=organisation, role=role).exists():
        raise invalid("organisation", _("This organisation already has this role in the programme."))
    partner = ProgrammePartner.objects.create(programme=programme, organisation=organisation, role=role, note=note)
    _audit(actor, "partner_add", "programme_partner", partner, programme=programme.pk, role=role)
    return partner


@atomic_audited
def partner_edit(*, actor: User, partner: ProgrammePartner, role: str, note: str = "") -> ProgrammePartner:
    """Change a partner's role or note."""
    _check_writer(actor, "programmes.partner_edit", "programme_partner", partner.pk)
    role, note = _role(role), check_text("note", note, 200)
    clash = ProgrammePartner.objects.filter(
        programme_id=partner.programme_id, organisation_id=partner.organisation_id, role=role
    ).exclude(pk=partner.pk)
    if clash.exists():
        raise invalid("role", _("This organisation already has this role in the programme."))
    old = partner.role
    partner.role, partner.note = role, note
    partner.save(update_fields=["role", "note"])
    _audit(actor, "partner_edit", "programme_partner", partner, old_role=old, role=role)
    return partner


def _funding_fields(donor: str, amount, currency: str, source_text: str) -> dict:
    return {
        "donor": check_text("donor", donor, 200, required=True),
        "amount": _number("amount", amount, required=True),
        "currency": check_currency("currency", currency, required=True),
        "source_text": check_text("source_text", source_text, 2000),
    }


def _donor_once(programme_id: int, donor: str, exclude: int | None = None) -> None:
    if FundingLine.objects.filter(programme_id=programme_id, donor__iexact=donor).exclude(pk=exclude).exists():
        raise invalid("donor", _("This donor already has a funding line in the programme."))


@atomic_audited
def funding_line_add(
    *, actor: User, programme: Programme, donor: str, amount: Decimal, currency: str, source_text: str = ""
) -> FundingLine:
    """Record money a donor committed to ``programme``; a donor has one line per programme."""
    _check_writer(actor, "programmes.funding_line_add", "programme", programme.pk)
    fields = _funding_fields(donor, amount, currency, source_text)
    _donor_once(programme.pk, fields["donor"])
    line = FundingLine.objects.create(programme=programme, **fields)
    _audit(
        actor,
        "funding_line_add",
        "programme_funding",
        line,
        programme=programme.pk,
        donor=line.donor,
        amount=f"{line.amount:.2f}",
        currency=line.currency,
    )
    return line


@atomic_audited
def funding_line_edit(
    *, actor: User, line: FundingLine, donor: str, amount: Decimal, currency: str, source_text: str = ""
) -> FundingLine:
    """Correct a funding line; the old amount goes into the audit row."""
    _check_writer(actor, "programmes.funding_line_edit", "programme_funding", line.pk)
    fields = _funding_fields(donor, amount, currency, source_text)
    _donor_once(line.programme_id, fields["donor"], exclude=line.pk)
    old = f"{line.currency} {line.amount:.2f}"
    for name, value in fields.items():
        setattr(line, name, value)
    line.save()
    _audit(actor, "funding_line_edit", "programme_funding", line, old=old, new=f"{line.currency} {line.amount:.2f}")
    return line


# --- results framework -----------------------------------------------------------------------


def _number_once(model: type[Model], programme: Programme, number: str, exclude: int | None = None) -> str:
    number = check_text("number", number, 20, required=True)
    if model.objects.filter(programme=programme, number=number).exclude(pk=exclude).exists():
        raise invalid("number", _("This number is already used in the programme."))
    return number


@atomic_audited
def objective_add(*, actor: User, programme: Programme, number: str, title: str) -> Objective:
    """Add an objective, numbered as the programme document numbers it."""
    _check_writer(actor, "programmes.objective_add", "programme", programme.pk)
    number = _number_once(Objective, programme, number)
    title = check_text("title", title, 2000, required=True)
    item = Objective.objects.create(programme=programme, number=number, title=title)
    _audit(actor, "objective_add", "programme_objective", item, programme=programme.pk, number=number)
    return item


@atomic_audited
def outcome_add(
    *, actor: User, programme: Programme, number: str, title: str, objective: Objective | None = None
) -> Outcome:
    """Add an expected outcome, under one of the programme's objectives or none."""
    _check_writer(actor, "programmes.outcome_add", "programme", programme.pk)
    _same_programme("objective", objective, programme)
    number = _number_once(Outcome, programme, number)
    item = Outcome.objects.create(
        programme=programme, objective=objective, number=number, title=check_text("title", title, 2000, required=True)
    )
    _audit(actor, "outcome_add", "programme_outcome", item, programme=programme.pk, number=number)
    return item


@atomic_audited
def output_add(*, actor: User, programme: Programme, number: str, title: str, outcome: Outcome | None = None) -> Output:
    """Add an output, under one of the programme's outcomes or none."""
    _check_writer(actor, "programmes.output_add", "programme", programme.pk)
    _same_programme("outcome", outcome, programme)
    number = _number_once(Output, programme, number)
    item = Output.objects.create(
        programme=programme, outcome=outcome, number=number, title=check_text("title", title, 2000, required=True)
    )
    _audit(actor, "output_add", "programme_output", item, programme=programme.pk, number=number)
    return item


@atomic_audited
def framework_item_edit(
    *, actor: User, item: Objective | Outcome | Output, number: str, title: str
) -> Objective | Outcome | Output:
    """Renumber or reword an objective, outcome or output."""
    kind = type(item).__name__.lower()
    _check_writer(actor, f"programmes.{kind}_edit", f"programme_{kind}", item.pk)
    number = _number_once(type(item), item.programme, number, exclude=item.pk)
    old = item.number
    item.number, item.title = number, check_text("title", title, 2000, required=True)
    item.save(update_fields=["number", "title"])
    _audit(actor, f"{kind}_edit", f"programme_{kind}", item, old_number=old, number=number)
    return item


# --- indicators ------------------------------------------------------------------------------


@atomic_audited
def indicator_add(
    *,
    actor: User,
    programme: Programme,
    code: str,
    name: str,
    unit: str,
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    output: Output | None = None,
) -> Indicator:
    """Add an indicator (a unique slug ``code`` in the programme), under an output or none."""
    _check_writer(actor, "programmes.indicator_add", "programme", programme.pk)
    code = check_text("code", code, 60, required=True)
    if slugify(code) != code:
        raise invalid("code", _("Use lowercase letters, digits and hyphens only."))
    if Indicator.objects.filter(programme=programme, code=code).exists():
        raise invalid("code", _("This code is already used in the programme."))
    _same_programme("output", output, programme)
    indicator = Indicator.objects.create(
        programme=programme,
        output=output,
        code=code,
        name=check_text("name", name, 300, required=True),
        unit=check_text("unit", unit, 60, required=True),
        baseline=_number("baseline", baseline),
        target=_number("target", target),
    )
    _audit(
        actor,
        "indicator_add",
        "programme_indicator",
        indicator,
        programme=programme.pk,
        code=code,
        baseline=None if indicator.baseline is None else f"{indicator.baseline:.2f}",
        target=None if indicator.target is None else f"{indicator.target:.2f}",
    )
    return indicator


@atomic_audited
def indicator_edit(
    *, actor: User, indicator: Indicator, expected_version: int | None, name: str, unit: str, output: Output | None
) -> Indicator:
    """Reword an indicator or move it to another output; stale edits raise Conflict."""
    _check_writer(actor, "programmes.indicator_edit", "programme_indicator", indicator.pk)
    _same_programme("output", output, indicator.programme)
    indicator.name = check_text("name", name, 300, required=True)
    indicator.unit = check_text("unit", unit, 60, required=True)
    indicator.output = output
    save_versioned(indicator, expected_version=expected_version, fields=["name", "unit", "output_id"])
    _audit(actor, "indicator_edit", "programme_indicator", indicator, version=indicator.version)
    return indicator


@atomic_audited
def indicator_targets_set(
    *,
    actor: User,
    indicator: Indicator,
    expected_version: int | None,
    baseline: Decimal | None,
    target: Decimal | None,
) -> Indicator:
    """Set an indicator's baseline and target (either may be empty); stale edits raise Conflict."""
    _check_writer(actor, "programmes.indicator_targets_set", "programme_indicator", indicator.pk)
    baseline, target = _number("baseline", baseline), _number("target", target)

    def shown(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    old = {"baseline": shown(indicator.baseline), "target": shown(indicator.target)}
    indicator.baseline, indicator.target = baseline, target
    save_versioned(indicator, expected_version=expected_version, fields=["baseline", "target"])
    _audit(
        actor,
        "indicator_targets_set",
        "programme_indicator",
        indicator,
        old=old,
        new={"baseline": shown(baseline), "target": shown(target)},
    )
    return indicator


@atomic_audited
def indicator_value_record(
    *,
    actor: User,
    indicator: Indicator,
    period_start: dt.date,
    period_end: dt.date,
    value: Decimal,
    source: str = "",
    period_text: str = "",
) -> IndicatorValue:
    """Record ``indicator``'s actual ``value`` for a period; a second record for the same period replaces it.

    A period that overlaps another recorded period of the indicator without being the same is
    refused: two values would count the same days. Values "to date" (no end, as loaded from a
    source) are cumulative figures and are not compared.
    """
    if not may_record(actor):
        raise denied(actor=actor, action=ACTION, object_type="programme_indicator", object_id=indicator.pk)
    value = _number("value", value, required=True)
    check_period("period_start", period_start, "period_end", period_end)
    source, period_text = check_text("source", source, 300), check_text("period_text", period_text, 200)
    # Lock the indicator so that two concurrent records cannot both pass the overlap check.
    Indicator.objects.select_for_update().filter(pk=indicator.pk).first()
    overlapping = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_end__isnull=False, period_start__lte=period_end, period_end__gte=period_start
        )
        .exclude(Q(period_start=period_start) & Q(period_end=period_end))
        .order_by("period_start")
        .first()
    )
    if overlapping is not None:
        raise invalid(
            "period_start",
            _("This period overlaps the period %(start)s to %(end)s already recorded; correct that value instead.")
            % {"start": overlapping.period_start.isoformat(), "end": overlapping.period_end.isoformat()},
        )
    row = IndicatorValue.objects.filter(indicator=indicator, period_start=period_start, period_end=period_end).first()
    old = None if row is None else f"{row.value:.2f}"
    if row is None:
        row = IndicatorValue(indicator=indicator, period_start=period_start, period_end=period_end)
    row.value, row.source, row.period_text, row.recorded_by = value, source, period_text, actor
    row.save()
    audit_record(
        actor=actor,
        action=ACTION,
        object_type="programme_indicator_value",
        object_id=row.pk,
        detail={
            "programme": indicator.programme_id,
            "indicator": indicator.code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "old": old,
            "new": f"{value:.2f}",
        },
    )
    return row


# --- documents -------------------------------------------------------------------------------


def _reference(reference: str) -> str:
    reference = check_text("reference", reference, 500, required=True)
    if LOOKS_LIKE_URL.search(reference):
        parts = urlsplit(reference)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in reference:
            raise invalid("reference", _("Enter a web address starting with http:// or https://, or a citation."))
    return reference


@atomic_audited
def document_add(*, actor: User, programme: Programme, title: str, reference: str) -> Document:
    """Add a document by title and URL (http or https only) or citation; a title is used once per programme."""
    _check_writer(actor, "programmes.document_add", "programme", programme.pk)
    title = check_text("title", title, 300, required=True)
    reference = _reference(reference)
    if Document.objects.filter(programme=programme, title=title).exists():
        raise invalid("title", _("The programme already has a document with this title."))
    document = Document.objects.create(programme=programme, title=title, reference=reference)
    _audit(actor, "document_add", "programme_document", document, programme=programme.pk, title=title)
    return document
