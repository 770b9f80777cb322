"""Writes of a case's protection measures: one service, a whole record at a time (PUT semantics).

The record is written by the owner's case workers and identifiers (``access.protection_rule``),
checked inside the transaction, with its own version (optimistic locking: a record not yet
written is version 0) and one audit row naming the fields that changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from nrm.accounts.access import owner_organisations
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.choices import CaseStatus
from nrm.cases.models import Case
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_choice, check_country, check_date, check_not_future, check_text
from nrm.protection.access import WRITE
from nrm.protection.choices import (
    NonPunishment,
    PermitDecision,
    PermitKind,
    ReflectionDecision,
    ReturnKind,
    YesNoUnknown,
)
from nrm.protection.models import ProtectionMeasures

# The fields a caller writes, in the form's order; everything else on the record is bookkeeping.
FIELDS = (
    "reflection_requested_on",
    "reflection_decision",
    "reflection_decided_on",
    "reflection_days",
    "reflection_ends_on",
    "permit_applied_on",
    "permit_decision",
    "permit_kind",
    "permit_decided_on",
    "return_kind",
    "return_on",
    "return_country",
    "return_risk_assessed",
    "non_punishment",
    "non_punishment_on",
    "non_punishment_authority",
)
# A reflection period longer than a year is a typing error (the Convention asks for at least 30 days).
REFLECTION_DAYS_MAX = 366
AUTHORITY_MAX_LENGTH = 200


def _past_date(name: str, value: Any) -> dt.date | None:
    found = check_date(name, value, required=False)
    check_not_future(name, found)
    return found


def _empty(values: dict, names: tuple[str, ...], message: str) -> None:
    """Refuse a value in any of ``names``: the answer they belong to was not given."""
    for name in names:
        if values[name] not in (None, ""):
            raise invalid(name, message)


def _decided(values: dict, prefix: str, start: str, decision: str) -> None:
    """Check a decision's date: required once decided, not before the request, empty while pending."""
    decided = values[f"{prefix}_decided_on"]
    if decision == "pending":
        if decided is not None:
            raise invalid(f"{prefix}_decided_on", _("A pending request has no decision date: choose the decision."))
        return
    if decided is None:
        raise invalid(f"{prefix}_decided_on", _("Enter the date of the decision."))
    if values[start] is not None and decided < values[start]:
        raise invalid(f"{prefix}_decided_on", _("The decision cannot be dated before the request."))


def _check_reflection(v: dict) -> None:
    if v["reflection_requested_on"] is None and not v["reflection_decision"]:
        _empty(
            v,
            ("reflection_decided_on", "reflection_days", "reflection_ends_on"),
            _("No reflection period was requested: enter the date of the request first."),
        )
        return
    if v["reflection_requested_on"] is None:
        raise invalid("reflection_requested_on", _("Enter the date the reflection period was requested."))
    decision = v["reflection_decision"] = v["reflection_decision"] or ReflectionDecision.PENDING
    _decided(v, "reflection", "reflection_requested_on", decision)
    if decision != ReflectionDecision.GRANTED:
        _empty(v, ("reflection_days", "reflection_ends_on"), _("Only a period granted has a length and an end."))
        return
    days, ends, decided = v["reflection_days"], v["reflection_ends_on"], v["reflection_decided_on"]
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= REFLECTION_DAYS_MAX
    ):
        raise invalid("reflection_days", _("Enter the days granted, from 1 to %(max)s.") % {"max": REFLECTION_DAYS_MAX})
    if ends is not None and ends < decided:
        raise invalid("reflection_ends_on", _("The period cannot end before it was granted."))
    # Either says the other, counted from the decision; a period counted from elsewhere gives both.
    if days is None and ends is not None:
        v["reflection_days"] = max((ends - decided).days, 1)
    elif ends is None and days is not None:
        v["reflection_ends_on"] = decided + dt.timedelta(days=days)


def _check_permit(v: dict) -> None:
    if v["permit_applied_on"] is None and not v["permit_decision"]:
        _empty(
            v,
            ("permit_kind", "permit_decided_on"),
            _("No residence permit was applied for: enter the date of the application first."),
        )
        return
    if v["permit_applied_on"] is None:
        raise invalid("permit_applied_on", _("Enter the date the residence permit was applied for."))
    decision = v["permit_decision"] = v["permit_decision"] or PermitDecision.PENDING
    _decided(v, "permit", "permit_applied_on", decision)
    if decision == PermitDecision.GRANTED and not v["permit_kind"]:
        raise invalid("permit_kind", _("Choose the kind of permit granted."))
    v["permit_kind"] = v["permit_kind"] or PermitKind.UNKNOWN


def _check_return(v: dict) -> None:
    if v["return_kind"] == ReturnKind.NONE:
        _empty(v, ("return_on", "return_country"), _("No return is recorded: choose voluntary or forced return first."))


def _check_non_punishment(v: dict) -> None:
    if v["non_punishment"] in ("", NonPunishment.NOT_RELEVANT):
        _empty(
            v,
            ("non_punishment_on", "non_punishment_authority"),
            _("Give a date and an authority only when the provision was applied or refused."),
        )


def check_measures(values: dict) -> dict:
    """Return ``values`` (every field of :data:`FIELDS`) cleaned; a ValidationError names the first bad field."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    v: dict[str, Any] = {name: values.get(name) for name in FIELDS}
    for name in FIELDS:
        if name.endswith("_on"):
            v[name] = _past_date(name, v[name])
    v["reflection_decision"] = (
        check_choice("reflection_decision", v["reflection_decision"] or "", ReflectionDecision)
        if v["reflection_decision"]
        else ""
    )
    v["permit_decision"] = (
        check_choice("permit_decision", v["permit_decision"], PermitDecision) if v["permit_decision"] else ""
    )
    v["permit_kind"] = check_choice("permit_kind", v["permit_kind"], PermitKind) if v["permit_kind"] else ""
    v["return_kind"] = check_choice("return_kind", v["return_kind"] or ReturnKind.NONE, ReturnKind)
    v["return_risk_assessed"] = check_choice(
        "return_risk_assessed", v["return_risk_assessed"] or YesNoUnknown.UNKNOWN, YesNoUnknown
    )
    v["non_punishment"] = (
        check_choice("non_punishment", v["non_punishment"], NonPunishment) if v["non_punishment"] else ""
    )
    v["return_country"] = check_country("return_country", v["return_country"] or "")
    v["non_punishment_authority"] = check_text(
        "non_punishment_authority", v["non_punishment_authority"], AUTHORITY_MAX_LENGTH
    )
    _check_reflection(v)
    _check_permit(v)
    _check_return(v)
    _check_non_punishment(v)
    return v


def _lock(actor: User, case: Case) -> Case:
    """Return the case locked for the write if ``actor`` writes its protection measures; refuse as if missing."""
    found = Case.objects.select_for_update().filter(pk=case.pk, owner__in=owner_organisations(actor, WRITE)).first()
    if found is None:
        raise denied(actor=actor, action="case.protection", object_type="case", object_id=case.pk)
    if found.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    return found


@atomic_audited
def protection_set(
    *, actor: User, case: Case, expected_version: int | None = None, **values: Any
) -> ProtectionMeasures:
    """Write the whole of ``case``'s protection measures; fields not given are cleared (PUT semantics).

    ``expected_version`` is the version read (0: no record yet); a stale one is a :class:`Conflict`
    and writes nothing.
    """
    locked = _lock(actor, case)
    clean = check_measures(values)
    stored = ProtectionMeasures.objects.filter(case=locked).first()
    if stored is None:
        if expected_version not in (None, 0):
            raise Conflict(_("This record was changed by someone else. Reload it and apply your change again."))
        stored = ProtectionMeasures.objects.create(case=locked, updated_by=actor, **clean)
        changed = sorted(
            name for name in FIELDS if clean[name] not in (None, "", ReturnKind.NONE, YesNoUnknown.UNKNOWN)
        )
    else:
        changed = sorted(name for name in FIELDS if getattr(stored, name) != clean[name])
        for name, value in clean.items():
            setattr(stored, name, value)
        stored.updated_by = actor
        save_versioned(stored, expected_version=expected_version, fields=[*FIELDS, "updated_by"])
    audit_record(
        actor=actor,
        action="case.protection",
        object_type="case",
        object_id=locked.pk,
        organisation_id=locked.owner_id,
        detail={
            "fields": changed,
            "reflection": clean["reflection_decision"],
            "permit": clean["permit_decision"],
            "return": clean["return_kind"],
            "non_punishment": clean["non_punishment"],
        },
    )
    return stored
