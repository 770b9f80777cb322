"""Writes of criminal proceedings: open, advance, share, defendants, charges, verdicts, assets, victims, compensation.

Every service is keyword-only, runs in one transaction, locks the proceeding through the access
rule inside it (a proceeding the actor may not edit is NotFound, audited), and writes its audit
row explicitly. Bad input raises ``ValidationError`` naming the field; nothing is stored.
Audit rows never carry a defendant's or a victim's identity: ids and codes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Max
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, JusticeAction, get_or_deny, justice_organisations
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record
from nrm.cases.access import can
from nrm.cases.choices import Sex
from nrm.cases.models import Case, ExploitationForm
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_birth_year as _check_birth_year
from nrm.core.validation import check_choice as _check_choice
from nrm.core.validation import check_country as _check_country
from nrm.core.validation import check_currency as _check_currency
from nrm.core.validation import check_model_text
from nrm.core.validation import check_not_future as _check_not_future
from nrm.core.validation import check_text as _check_text
from nrm.core.validation import today as _today
from nrm.justice.choices import (
    INSTANCE_STAGE,
    STAGE_DATE,
    STAGE_ORDER,
    AssetKind,
    Instance,
    Outcome,
    Stage,
    VictimRole,
)
from nrm.justice.models import (
    Charge,
    Defendant,
    Offence,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    ProtectionMeasure,
    Verdict,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PRISON_MONTHS = 600


def _amount(field: str, value) -> Decimal | None:
    """Return ``value`` as an amount in cents, or None when empty; refuse anything else."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise invalid(field, _("Enter an amount, such as 150000.00.")) from None
    if amount < 0 or amount > MAX_AMOUNT:
        raise invalid(field, _("Enter an amount from 0 to %(max)s.") % {"max": MAX_AMOUNT})
    return amount


def _stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


def _lock(actor: User, proceeding: Proceeding, action: JusticeAction = JusticeAction.EDIT) -> Proceeding:
    """Return the proceeding re-read and locked if ``actor`` may ``action`` it; else refuse as if missing."""
    locked = get_or_deny(
        Proceeding.objects.select_for_update().select_related("owner"),
        actor,
        action,
        object_type="proceeding",
        audit_action=f"proceeding.{action}",
        pk=proceeding.pk,
    )
    return locked


def _forms(codes: Iterable[str]) -> list[ExploitationForm]:
    codes = sorted(set(codes))
    found = list(ExploitationForm.objects.filter(code__in=codes))
    missing = set(codes) - {f.code for f in found}
    if missing:
        raise invalid("forms", _("Unknown form of exploitation: %(codes)s") % {"codes": ", ".join(sorted(missing))})
    return found


def _measures(codes: Iterable[str]) -> list[ProtectionMeasure]:
    codes = sorted(set(codes))
    found = list(ProtectionMeasure.objects.filter(code__in=codes))
    missing = set(codes) - {m.code for m in found}
    if missing:
        raise invalid(
            "protection_measures",
            _("Unknown protection measure: %(codes)s") % {"codes": ", ".join(sorted(missing))},
        )
    return found


def _offence(code: str, field: str = "offence") -> Offence:
    found = Offence.objects.filter(code=code).first()
    if found is None:
        raise invalid(field, _("Unknown offence: %(code)s") % {"code": code})
    return found


def _latest_stage_date(proceeding: Proceeding, before: str) -> dt.date:
    """Return the latest date of a stage the proceeding reached before stage ``before``."""
    dates = [getattr(proceeding, STAGE_DATE[s]) for s in STAGE_ORDER[: _stage_index(before)]]
    return max(d for d in dates if d)


# --- Proceedings -----------------------------------------------------------------------------


@atomic_audited
def proceeding_open(
    *,
    actor: User,
    organisation: Organisation,
    reference: str,
    investigation_on: dt.date | None = None,
    court: str = "",
    forms: Iterable[str] | None = None,
    cases: Iterable[Case] = (),
    notes: str = "",
) -> Proceeding:
    """Open a proceeding at the investigation stage, owned by ``organisation``, with its victims' cases.

    ``forms`` default to the forms of exploitation of the cases. The actor must be able to see
    each case (the case rule): a case they cannot see is refused as if it did not exist.
    """
    if organisation.pk not in justice_organisations(actor, JusticeAction.EDIT):
        raise invalid("organisation", _("You cannot open proceedings for this organisation."))
    reference = check_model_text(Proceeding, "reference", reference)
    court = check_model_text(Proceeding, "court", court)
    notes = check_model_text(Proceeding, "notes", notes)
    if not reference:
        raise invalid("reference", _("Give the file number of the proceeding."))
    if Proceeding.objects.filter(owner=organisation, reference=reference).exists():
        raise invalid("reference", _("This organisation already has a proceeding with this file number."))
    investigation_on = investigation_on or _today()
    _check_not_future("investigation_on", investigation_on)
    cases = list(cases)
    for case in cases:
        if not can(actor, Action.VIEW, case):
            raise invalid("cases", _("No such case."))
    if forms is None:
        form_objs = list(ExploitationForm.objects.filter(cases__in=[c.pk for c in cases]).distinct())
    else:
        form_objs = _forms(forms)
    proceeding = Proceeding.objects.create(
        owner=organisation,
        reference=reference,
        court=court,
        investigation_on=investigation_on,
        notes=notes,
        opened_by=actor,
    )
    proceeding.forms.set(form_objs)
    ProceedingVictim.objects.bulk_create(
        [
            ProceedingVictim(proceeding=proceeding, case=case, linked_by=actor)
            for case in {c.pk: c for c in cases}.values()
        ]
    )
    audit_record(
        actor=actor,
        action="proceeding.open",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=organisation.pk,
        detail={"cases": sorted({c.pk for c in cases})},
    )
    return proceeding


PROCEEDING_UPDATABLE = {"reference", "court", "notes"}


@atomic_audited
def proceeding_update(
    *, actor: User, proceeding: Proceeding, expected_version: int, forms: Iterable[str] | None = None, **changes
) -> Proceeding:
    """Change a proceeding's file number, court, notes or forms; a stale version is a :class:`Conflict`."""
    proceeding = _lock(actor, proceeding)
    unknown = set(changes) - PROCEEDING_UPDATABLE
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    for name in changes:
        changes[name] = check_model_text(Proceeding, name, changes[name])
    if "reference" in changes:
        if not changes["reference"]:
            raise invalid("reference", _("Give the file number of the proceeding."))
        taken = Proceeding.objects.filter(owner=proceeding.owner_id, reference=changes["reference"])
        if taken.exclude(pk=proceeding.pk).exists():
            raise invalid("reference", _("This organisation already has a proceeding with this file number."))
    form_objs = _forms(forms) if forms is not None else None
    for name, value in changes.items():
        setattr(proceeding, name, value)
    save_versioned(proceeding, expected_version=expected_version, fields=sorted(changes))
    if form_objs is not None:
        proceeding.forms.set(form_objs)
    audit_record(
        actor=actor,
        action="proceeding.update",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"fields": sorted(changes) + (["forms"] if form_objs is not None else [])},
    )
    return proceeding


@atomic_audited
def proceeding_advance(
    *, actor: User, proceeding: Proceeding, stage: str, expected_version: int, on: dt.date | None = None
) -> Proceeding:
    """Move a proceeding forward to ``stage``, reached ``on``; stages never go back.

    A stage may be skipped (a prosecutor may indict without separate charges); its date stays
    empty. The date cannot precede the stages already reached.
    """
    proceeding = _lock(actor, proceeding)
    _check_choice("stage", stage, Stage)
    if _stage_index(stage) <= _stage_index(proceeding.stage):
        raise Conflict(_("The proceeding has already reached this stage."), field="stage")
    on = on or _today()
    _check_not_future("on", on)
    if on < _latest_stage_date(proceeding, stage):
        raise invalid("on", _("The date cannot be before the stages already reached."))
    proceeding.stage = stage
    setattr(proceeding, STAGE_DATE[stage], on)
    save_versioned(proceeding, expected_version=expected_version, fields=["stage", STAGE_DATE[stage]])
    audit_record(
        actor=actor,
        action="proceeding.advance",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"stage": stage, "on": on.isoformat()},
    )
    return proceeding


@atomic_audited
def proceeding_share(
    *, actor: User, proceeding: Proceeding, organisation: Organisation, shared_on: dt.date | None = None
) -> ProceedingShare:
    """Share a proceeding with another justice organisation, which may then see and edit it (owner only)."""
    proceeding = _lock(actor, proceeding, JusticeAction.SHARE)
    types = settings.NRM_JUSTICE_ORG_TYPES
    if not organisation.is_active or organisation.type.code not in types:
        raise invalid("organisation", _("Proceedings are shared only with police, prosecution and courts."))
    if organisation.pk == proceeding.owner_id:
        raise invalid("organisation", _("Choose another organisation than the owner."))
    if ProceedingShare.objects.filter(proceeding=proceeding, organisation=organisation).exists():
        raise invalid("organisation", _("The proceeding is already shared with this organisation."))
    shared_on = shared_on or _today()
    _check_not_future("shared_on", shared_on)
    share = ProceedingShare.objects.create(
        proceeding=proceeding, organisation=organisation, shared_by=actor, shared_on=shared_on
    )
    audit_record(
        actor=actor,
        action="proceeding.share",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"to": organisation.pk},
    )
    return share


# --- Defendants, charges and verdicts --------------------------------------------------------


@atomic_audited
def defendant_add(
    *,
    actor: User,
    proceeding: Proceeding,
    name: str,
    identity_details: str = "",
    sex: str = Sex.UNKNOWN,
    birth_year: int | None = None,
    citizenship: str = "",
    offences: Iterable[str] = (),
) -> Defendant:
    """Add a defendant (identity encrypted) with the offences charged, numbered in the proceeding."""
    proceeding = _lock(actor, proceeding)
    name = _check_text("name", name, 200)
    if not name:
        raise invalid("name", _("Give the defendant's name."))
    identity_details = _check_text("identity_details", identity_details, 1000)
    _check_choice("sex", sex, Sex)
    birth_year = _check_birth_year("birth_year", birth_year)
    citizenship = _check_country("citizenship", citizenship)
    offence_objs = [_offence(code, "offences") for code in sorted(set(offences))]
    # The proceeding is locked, so two defendants added at once cannot take the same number.
    number = (proceeding.defendants.aggregate(n=Max("number"))["n"] or 0) + 1
    defendant = Defendant.objects.create(
        proceeding=proceeding,
        number=number,
        name=name,
        identity_details=identity_details,
        sex=sex,
        birth_year=birth_year,
        citizenship=citizenship,
    )
    Charge.objects.bulk_create([Charge(defendant=defendant, offence=o) for o in offence_objs])
    audit_record(
        actor=actor,
        action="proceeding.defendant",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"defendant": defendant.pk, "offences": [o.code for o in offence_objs]},
    )
    return defendant


@atomic_audited
def charge_add(*, actor: User, defendant: Defendant, offence: str) -> Charge:
    """Charge a defendant with one more offence."""
    proceeding = _lock(actor, defendant.proceeding)
    offence_obj = _offence(offence)
    if Charge.objects.filter(defendant=defendant, offence=offence_obj).exists():
        raise invalid("offence", _("The defendant is already charged with this offence."))
    charge = Charge.objects.create(defendant=defendant, offence=offence_obj)
    audit_record(
        actor=actor,
        action="proceeding.charge",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"defendant": defendant.pk, "offence": offence_obj.code},
    )
    return charge


def _check_sentence(outcome: str, prison_months, suspended: bool, fine_amount, fine_currency: str):
    fine_amount = _amount("fine_amount", fine_amount)
    fine_currency = _check_currency("fine_currency", fine_currency)
    if outcome != Outcome.CONVICTED:
        for field, value in (("prison_months", prison_months), ("suspended", suspended), ("fine_amount", fine_amount)):
            if value:
                raise invalid(field, _("Only a conviction carries a sentence."))
        return None, False, None, ""
    if prison_months is not None and not (0 < prison_months <= MAX_PRISON_MONTHS):
        raise invalid("prison_months", _("Enter the months of prison, from 1 to %(max)s.") % {"max": MAX_PRISON_MONTHS})
    if suspended and not prison_months:
        raise invalid("suspended", _("Only a prison sentence can be suspended."))
    if fine_amount and not fine_currency:
        raise invalid("fine_currency", _("Give the currency of the fine."))
    if fine_currency and not fine_amount:
        raise invalid("fine_amount", _("Give the amount of the fine."))
    return prison_months, suspended, fine_amount, fine_currency


@atomic_audited
def verdict_record(
    *,
    actor: User,
    charge: Charge,
    instance: str,
    outcome: str,
    decided_on: dt.date | None = None,
    prison_months: int | None = None,
    suspended: bool = False,
    fine_amount=None,
    fine_currency: str = "",
) -> Verdict:
    """Record the verdict on one charge at one instance, with the sentence when convicted.

    The proceeding reaches the matching verdict stage if it had not, dated by its first verdict
    of that instance. A charge has one verdict per instance; a final verdict closes the charge.
    """
    proceeding = _lock(actor, charge.defendant.proceeding)
    _check_choice("instance", instance, Instance)
    _check_choice("outcome", outcome, Outcome)
    decided_on = decided_on or _today()
    _check_not_future("decided_on", decided_on)
    stage = INSTANCE_STAGE[Instance(instance)]
    if decided_on < _latest_stage_date(proceeding, stage):
        raise invalid("decided_on", _("The verdict cannot be before the stages already reached."))
    existing = {v.instance: v for v in Verdict.objects.filter(charge=charge)}
    if instance in existing:
        raise Conflict(_("A verdict of this instance is already recorded for this charge."), field="instance")
    if Instance.FINAL in existing:
        raise Conflict(_("A final verdict is already recorded for this charge."), field="instance")
    first = existing.get(Instance.FIRST)
    if first and decided_on < first.decided_on:
        raise invalid("decided_on", _("The final verdict cannot be before the first-instance verdict."))
    prison_months, suspended, fine_amount, fine_currency = _check_sentence(
        outcome, prison_months, suspended, fine_amount, fine_currency
    )
    verdict = Verdict.objects.create(
        charge=charge,
        instance=instance,
        outcome=outcome,
        decided_on=decided_on,
        prison_months=prison_months,
        suspended=suspended,
        fine_amount=fine_amount,
        fine_currency=fine_currency,
        recorded_by=actor,
    )
    changed = []
    if _stage_index(proceeding.stage) < _stage_index(stage):
        proceeding.stage = stage
        changed.append("stage")
    date_field = STAGE_DATE[stage]
    if getattr(proceeding, date_field) is None or decided_on < getattr(proceeding, date_field):
        setattr(proceeding, date_field, decided_on)
        changed.append(date_field)
    if changed:
        save_versioned(proceeding, expected_version=proceeding.version, fields=changed)
    audit_record(
        actor=actor,
        action="proceeding.verdict",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"charge": charge.pk, "instance": instance, "outcome": outcome},
    )
    return verdict


# --- Assets seized and confiscated ----------------------------------------------------------


@atomic_audited
def asset_record(
    *,
    actor: User,
    proceeding: Proceeding,
    kind: str,
    amount,
    currency: str,
    decided_on: dt.date | None = None,
) -> ProceedingAsset:
    """Record assets seized provisionally or confiscated by a final decision in a proceeding.

    One decision, one amount in one currency (assets in two currencies are two records). The
    date is the decision's: not in the future, not before the investigation opened.
    """
    proceeding = _lock(actor, proceeding)
    _check_choice("kind", kind, AssetKind)
    amount = _amount("amount", amount)
    if not amount:
        raise invalid("amount", _("Give the amount seized or confiscated, more than 0."))
    currency = _check_currency("currency", currency, required=True)
    decided_on = decided_on or _today()
    _check_not_future("decided_on", decided_on)
    if decided_on < proceeding.investigation_on:
        raise invalid("decided_on", _("The decision cannot be before the investigation opened."))
    asset = ProceedingAsset.objects.create(
        proceeding=proceeding,
        kind=kind,
        amount=amount,
        currency=currency,
        decided_on=decided_on,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="proceeding.asset",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=proceeding.owner_id,
        detail={"asset": asset.pk, "kind": kind},
    )
    return asset


# --- Victims and compensation ----------------------------------------------------------------


@atomic_audited
def victim_link(
    *,
    actor: User,
    proceeding: Proceeding,
    case: Case,
    role: str = VictimRole.BOTH,
    protection_measures: Iterable[str] = (),
) -> ProceedingVictim:
    """Link a victim's case to a proceeding, with their role and the protection granted."""
    proceeding = _lock(actor, proceeding)
    if not can(actor, Action.VIEW, case):
        raise invalid("case", _("No such case."))
    _check_choice("role", role, VictimRole)
    measures = _measures(protection_measures)
    if ProceedingVictim.objects.filter(proceeding=proceeding, case=case).exists():
        raise invalid("case", _("The case is already part of this proceeding."))
    part = ProceedingVictim.objects.create(proceeding=proceeding, case=case, role=role, linked_by=actor)
    part.protection_measures.set(measures)
    audit_record(
        actor=actor,
        action="proceeding.victim.link",
        object_type="case",
        object_id=case.pk,
        organisation_id=proceeding.owner_id,
        detail={"proceeding": proceeding.pk, "role": role, "measures": [m.code for m in measures]},
    )
    return part


def _check_compensation(part: ProceedingVictim) -> None:
    """Check the compensation fields of ``part`` together; amounts and dates go in pairs."""
    part.compensation_currency = _check_currency("compensation_currency", part.compensation_currency)
    stages = [
        ("compensation_claimed", "claimed_on"),
        ("compensation_awarded", "awarded_on"),
        ("compensation_paid", "paid_on"),
    ]
    for amount_field, date_field in stages:
        setattr(part, amount_field, _amount(amount_field, getattr(part, amount_field)))
        amount, on = getattr(part, amount_field), getattr(part, date_field)
        _check_not_future(date_field, on)
        if amount is not None and on is None:
            raise invalid(date_field, _("Give the date."))
        if on is not None and amount is None:
            raise invalid(amount_field, _("Give the amount."))
        if amount is not None and not part.compensation_currency:
            raise invalid("compensation_currency", _("Give the currency of the compensation."))
    if part.compensation_paid is not None:
        if part.compensation_awarded is None:
            raise invalid("compensation_paid", _("Record the compensation awarded before any payment."))
        if part.compensation_paid > part.compensation_awarded:
            raise invalid("compensation_paid", _("More cannot be paid than was awarded."))
        if part.paid_on < part.awarded_on:
            raise invalid("paid_on", _("The payment cannot be before the award."))
    if part.awarded_on and part.claimed_on and part.awarded_on < part.claimed_on:
        raise invalid("awarded_on", _("The award cannot be before the claim."))


@atomic_audited
def victim_update(
    *,
    actor: User,
    part: ProceedingVictim,
    expected_version: int,
    protection_measures: Iterable[str] | None = None,
    **changes,
) -> ProceedingVictim:
    """Change a victim's role, protection measures or compensation claimed, awarded and paid.

    Compensation is checked as a whole: each amount with its date, one currency, payments not
    above the award nor before it. A stale ``expected_version`` is refused with :class:`Conflict`.
    """
    _lock(actor, part.proceeding)
    part = ProceedingVictim.objects.select_related("proceeding").get(pk=part.pk)
    unknown = set(changes) - {"role", *ProceedingVictim.COMPENSATION_FIELDS}
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    if "role" in changes:
        _check_choice("role", changes["role"], VictimRole)
    measures = _measures(protection_measures) if protection_measures is not None else None
    for name, value in changes.items():
        setattr(part, name, value)
    _check_compensation(part)
    save_versioned(part, expected_version=expected_version, fields=sorted(changes))
    if measures is not None:
        part.protection_measures.set(measures)
    audit_record(
        actor=actor,
        action="proceeding.victim.update",
        object_type="case",
        object_id=part.case_id,
        organisation_id=part.proceeding.owner_id,
        detail={
            "proceeding": part.proceeding_id,
            "fields": sorted(changes) + (["protection_measures"] if measures is not None else []),
        },
    )
    return part
