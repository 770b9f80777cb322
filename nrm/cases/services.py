"""Writes of the victim's journey: screening, case, consent, identification, assistance, closure.

Every service is keyword-only, runs in one transaction, checks access inside it, and writes its
audit row explicitly. Bad input raises ``ValidationError`` naming the field; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import operator
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case as Choice
from django.db.models import CharField, F, Value, When
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    Action,
    case_workers,
    member_organisations,
    owner_organisations,
    receiver_organisations,
    restrict,
)
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record, audit_record_many, denied
from nrm.cases import signals
from nrm.cases.access import can
from nrm.cases.choices import (
    AgeBand,
    AsylumStatus,
    CaseStatus,
    ClosureReason,
    ConsentPurpose,
    Decision,
    FlagReason,
    MigrationStatus,
    RecruiterRelationship,
    ReferralSource,
    ScreeningResult,
    ServiceStatus,
    Sex,
)
from nrm.cases.models import (
    Case,
    CaseFlag,
    CaseNote,
    Consent,
    Episode,
    ExploitationForm,
    Identification,
    IndicatorList,
    Person,
    Screening,
    ServiceDelivery,
)
from nrm.cases.screening import UnknownForm, UnknownIndicator, evaluate
from nrm.cases.selectors import identified_on_expected
from nrm.core import crypto
from nrm.core.bulk import insert_many, insert_rows, new_instances, reserve_ids
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import TEXT_MAX_LENGTH as NOTE_MAX_LENGTH
from nrm.core.validation import check_birth_date as _check_birth_date
from nrm.core.validation import check_choice as _check_choice
from nrm.core.validation import check_country as _check_country
from nrm.core.validation import check_not_future as _check_not_future
from nrm.core.validation import check_text as _check_text
from nrm.core.validation import one_day
from nrm.core.validation import today as _today

# Identity fields are encrypted text without a column length: these are their lengths, as the
# case form and the API declare them, so that imports are held to them too.
IDENTITY_MAX_LENGTH = {"given_name": 120, "family_name": 120, "document_number": 60, "contact": 200, "address": 300}


def _require_member(actor: User, organisation: Organisation, action: Action, field: str = "organisation") -> None:
    if organisation.pk not in owner_organisations(actor, action):
        raise invalid(field, _("You cannot act for this organisation."))


def age_band_for(age: int | None) -> str:
    """Return the age band of an age in whole years."""
    if age is None:
        return AgeBand.UNKNOWN
    for limit, band in (
        (13, AgeBand.B0_13),
        (17, AgeBand.B14_17),
        (24, AgeBand.B18_24),
        (34, AgeBand.B25_34),
        (44, AgeBand.B35_44),
    ):
        if age <= limit:
            return band
    return AgeBand.B45_PLUS


# --- Screening -------------------------------------------------------------------------------


def active_indicator_list(code: str | None = None) -> IndicatorList:
    """Return the newest active version of an indicator list (the default list when no code)."""
    qs = IndicatorList.objects.filter(is_active=True)
    if code:
        qs = qs.filter(code=code)
    found = qs.order_by("-version").first()
    if found is None:
        raise invalid("indicator_list", _("No active indicator list is loaded."))
    return found


@atomic_audited
def screening_record(
    *,
    actor: User,
    organisation: Organisation,
    answers: Iterable[str],
    is_child: bool,
    indicator_list: IndicatorList | None = None,
    anonymous: bool = False,
    screened_on: dt.date | None = None,
    sex: str = Sex.UNKNOWN,
    age_band: str = AgeBand.UNKNOWN,
    citizenship: str = "",
    region: str = "",
    channel: str = "",
    notes: str = "",
    forms: Iterable[str] = (),
) -> Screening:
    """Record a screening and its result, computed by the list's rule, with the reasons.

    ``forms`` are the forms of exploitation suspected: the lists evaluated (none: every list).
    """
    _require_member(actor, organisation, Action.SCREEN)
    indicator_list = indicator_list or active_indicator_list()
    _check_choice("sex", sex, Sex)
    _check_choice("age_band", age_band, AgeBand)
    citizenship = _check_country("citizenship", citizenship)
    screened_on = screened_on or _today()
    _check_not_future("screened_on", screened_on)
    region = _check_text("region", region, 80)
    channel = _check_text("channel", channel, 40)
    notes = _check_text("notes", notes, NOTE_MAX_LENGTH)
    answers = sorted(set(answers))
    forms = sorted(set(forms))
    try:
        outcome = evaluate(indicator_list.definition, answers, is_child=is_child, forms=forms)
    except UnknownForm as exc:
        raise invalid("forms", _("This list has no indicators for: %(forms)s") % {"forms": exc}) from None
    except UnknownIndicator as exc:
        raise invalid("answers", _("Unknown indicator for this list: %(codes)s") % {"codes": exc}) from None
    screening = Screening.objects.create(
        organisation=organisation,
        screened_by=actor,
        screened_on=screened_on,
        indicator_list=indicator_list,
        is_child=is_child,
        answers=answers,
        suspected_forms=forms,
        anonymous=anonymous,
        sex=sex,
        age_band=age_band,
        citizenship=citizenship,
        region=region,
        channel=channel,
        notes=notes,
        result=ScreeningResult(outcome.outcome),
        reasons=outcome.as_reasons(),
    )
    audit_record(
        actor=actor,
        action="screening.create",
        object_type="screening",
        object_id=screening.pk,
        organisation_id=organisation.pk,
        detail={"result": screening.result},
    )
    return screening


# --- Person and case -------------------------------------------------------------------------


def _person_fields(identity: dict, *, sex: str, birth_year: int | None) -> dict:
    allowed = set(Person.IDENTITY_FIELDS)
    unknown = set(identity) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], _("Not an identity field."))
    born = _check_birth_date("date_of_birth", identity.get("date_of_birth"))
    if born and birth_year and birth_year != born.year:
        raise invalid("birth_year", _("The birth year does not match the date of birth."))
    fields = {k: _check_text(k, identity.get(k), IDENTITY_MAX_LENGTH.get(k, 10)) for k in allowed}
    fields["date_of_birth"] = born.isoformat() if born else ""
    return fields


def _age_range(date_of_birth: str, birth_year: int | None, on: dt.date) -> tuple[int, int] | None:
    """Return the least and greatest age in whole years on ``on``, or None when unknown.

    With a full date of birth the age is exact; with the birth year only, the person may not
    have had this year's birthday yet, so the age is one of two values.
    """
    if date_of_birth:
        born = dt.date.fromisoformat(date_of_birth)
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return age, age
    if birth_year:
        return on.year - birth_year - 1, on.year - birth_year
    return None


def _linkage(fields: dict, sex: str) -> str:
    if not (fields.get("given_name") or fields.get("family_name")):
        return ""
    return crypto.linkage_key(
        given_name=fields["given_name"],
        family_name=fields["family_name"],
        date_of_birth=fields["date_of_birth"],
        sex=sex,
    )


def _prepare_case(
    *,
    identity: dict | None = None,
    sex: str = Sex.UNKNOWN,
    birth_year: int | None = None,
    age_band: str | None = None,
    citizenship: str = "",
    migration_status: str = MigrationStatus.UNKNOWN,
    is_child: bool = False,
    forms: Iterable[str] = (),
    opened_on: dt.date | None = None,
    country_of_exploitation: str = "",
    place_of_exploitation: str = "",
    region: str = "",
    guardian: str = "",
    best_interests_note: str = "",
    referral_source: str = ReferralSource.ORGANISATION,
    known_forms: dict[str, ExploitationForm] | None = None,
) -> tuple[dict, dict, list[ExploitationForm]]:
    """Check a case to open; return the person's fields, the case's fields and its forms, writing nothing.

    Shared by :func:`case_open` and :func:`cases_open_bulk`, so both refuse the same input with
    the same messages. ``known_forms`` (code -> form) saves a query per case in bulk.
    """
    _check_choice("sex", sex, Sex)
    _check_choice("migration_status", migration_status, MigrationStatus)
    _check_choice("referral_source", referral_source, ReferralSource)
    citizenship = _check_country("citizenship", citizenship)
    country_of_exploitation = _check_country("country_of_exploitation", country_of_exploitation)
    opened_on = opened_on or _today()
    _check_not_future("opened_on", opened_on)
    if birth_year is not None and not (1900 <= birth_year <= opened_on.year):
        raise invalid("birth_year", _("Enter a year between 1900 and this year."))
    place_of_exploitation = _check_text("place_of_exploitation", place_of_exploitation, 120)
    region = _check_text("region", region, 80)
    guardian = _check_text("guardian", guardian, 300)
    best_interests_note = _check_text("best_interests_note", best_interests_note, NOTE_MAX_LENGTH)
    fields = _person_fields(identity or {}, sex=sex, birth_year=birth_year)
    age = _age_range(fields["date_of_birth"], birth_year, opened_on)
    if fields["date_of_birth"] and not birth_year:
        birth_year = int(fields["date_of_birth"][:4])
    if age_band is None:
        age_band = age_band_for(age[1] if age else None)
    _check_choice("age_band", age_band, AgeBand)
    if age and age[1] < 18:
        # The flag follows the age when the age is certain; a wrong flag would skip child safeguards.
        is_child = True
    elif age and age[0] >= 18:
        is_child = False
    forms = list(forms)
    if known_forms is None:
        known_forms = {f.code: f for f in ExploitationForm.objects.filter(code__in=forms)}
    form_objs = [known_forms[code] for code in dict.fromkeys(forms) if code in known_forms]
    missing = set(forms) - set(known_forms)
    if missing:
        raise invalid("forms", _("Unknown form of exploitation: %(codes)s") % {"codes": ", ".join(sorted(missing))})
    by_date, by_year = crypto.search_tokens(
        given_name=fields["given_name"],
        family_name=fields["family_name"],
        date_of_birth=fields["date_of_birth"],
        birth_year=birth_year,
    )
    person = {
        **fields,
        "linkage_key": _linkage(fields, sex),
        "search_key_date": by_date,
        "search_key_year": by_year,
        "sex": sex,
        "birth_year": birth_year,
        "age_band": age_band,
        "citizenship": citizenship,
        "migration_status": migration_status,
    }
    case = {
        "opened_on": opened_on,
        "is_child": is_child,
        "best_interests_note": best_interests_note,
        "country_of_exploitation": country_of_exploitation,
        "place_of_exploitation": place_of_exploitation,
        "region": region,
        "referral_source": referral_source,
        "identification_status": Decision.PENDING,
        "identified_on": None,
    }
    return person, case, form_objs


@atomic_audited
def case_open(
    *,
    actor: User,
    organisation: Organisation,
    identity: dict | None = None,
    sex: str = Sex.UNKNOWN,
    birth_year: int | None = None,
    age_band: str | None = None,
    citizenship: str = "",
    migration_status: str = MigrationStatus.UNKNOWN,
    is_child: bool = False,
    forms: Iterable[str] = (),
    screening: Screening | None = None,
    opened_on: dt.date | None = None,
    country_of_exploitation: str = "",
    place_of_exploitation: str = "",
    region: str = "",
    guardian: str = "",
    best_interests_note: str = "",
    referral_source: str = ReferralSource.ORGANISATION,
) -> Case:
    """Open a case for a person, owned by ``organisation``; link the screening if there is one.

    ``referral_source`` says who brought the person when it was not an organisation (self-referral,
    family or citizen, a foreign authority or embassy); statistics then count it instead of the
    owner's type.
    """
    _require_member(actor, organisation, Action.SCREEN)
    person_fields, case_fields, form_objs = _prepare_case(
        identity=identity,
        sex=sex,
        birth_year=birth_year,
        age_band=age_band,
        citizenship=citizenship,
        migration_status=migration_status,
        is_child=is_child,
        forms=forms,
        opened_on=opened_on,
        country_of_exploitation=country_of_exploitation,
        place_of_exploitation=place_of_exploitation,
        region=region,
        guardian=guardian,
        best_interests_note=best_interests_note,
        referral_source=referral_source,
    )
    if screening is not None:
        if screening.organisation_id != organisation.pk:
            raise invalid("screening", _("The screening belongs to another organisation."))
        if screening.case_id:
            raise invalid("screening", _("The screening is already linked to a case."))
    person = Person.objects.create(**person_fields)
    case = Case.objects.create(
        reference=f"t{secrets.token_hex(9)}",  # replaced by the numbered reference below
        owner=organisation,
        person=person,
        opened_by=actor,
        responsible=actor,
        **case_fields,
    )
    case.reference = _reference(case)
    Case.objects.filter(pk=case.pk).update(reference=case.reference)
    insert_many(opening_episodes(case, form_objs))
    case.forms.set(form_objs)
    signals.case_opened.send(sender=Case, case=case, actor=actor, guardian=guardian.strip())
    if screening is not None:
        # Conditional, so two cases opened at once from one screening cannot both take it.
        if not Screening.objects.filter(pk=screening.pk, case__isnull=True).update(case=case):
            raise invalid("screening", _("The screening is already linked to a case."))
        screening.case = case
    audit_record(
        actor=actor,
        action="case.open",
        object_type="case",
        object_id=case.pk,
        organisation_id=organisation.pk,
        detail={"screening": getattr(screening, "pk", None)},
    )
    return case


def _reference(case: Case) -> str:
    return _reference_of(case.opened_on, case.pk)


def _reference_of(opened_on: dt.date, pk: int) -> str:
    return f"{opened_on.year}-{pk:06d}"


# :func:`_reference` in SQL, for many cases at once.
_REFERENCE_SQL = Concat(
    Cast(ExtractYear("opened_on"), CharField()),
    Value("-"),
    Choice(When(pk__lt=10**6, then=LPad(Cast("pk", CharField()), 6, Value("0"))), default=Cast("pk", CharField())),
    output_field=CharField(),
)


def cases_number(cases: list[Case]) -> None:
    """Give cases just inserted with a placeholder reference their numbered one (:func:`_reference`).

    One UPDATE computing every reference (bulk_update's CASE per row is quadratic on SQLite).
    """
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(reference=_REFERENCE_SQL)
    for case in cases:
        case.reference = _reference(case)


@dataclass
class CaseDraft:
    """One case for :func:`cases_open_bulk`: :func:`case_open`'s values, then what is recorded with it.

    ``update`` holds :func:`case_update`'s fields, ``consents`` the purposes (other than
    sharing) the person consented to on the opening day, ``decision`` the identification
    decided on the opening day on ``grounds``, ``note`` a case note, and ``close`` the
    :func:`case_close` reason and note (closed today).
    """

    open: dict
    update: dict = field(default_factory=dict)
    consents: list[str] = field(default_factory=list)
    decision: str = Decision.PENDING
    grounds: str = ""
    note: str = ""
    close: dict | None = None
    # Who recruited the person, recorded on each of the case's episodes (one per form).
    recruiter_relationship: str = RecruiterRelationship.UNKNOWN
    # The decision's date when it is known (an exchange between deployments); else the opening day.
    decided_on: dt.date | None = None
    # The episodes themselves (:func:`episode_add`'s values, form by code), when known: they
    # replace the one bare episode per form, and the case's forms are their union.
    episodes: list[dict] | None = None


class DraftsInvalid(Exception):
    """Some drafts of a bulk opening were refused; ``errors`` maps each one's index to its ValidationError."""

    def __init__(self, errors: dict[int, Exception]) -> None:
        super().__init__(f"{len(errors)} case(s) refused")
        self.errors = errors


def _prepare_draft(draft: CaseDraft, known_forms: dict, may_identify: bool) -> tuple[dict, dict, list, dict]:
    """Check one draft as the services would, in their order; return what to write."""
    person, case, forms = _prepare_case(**draft.open, known_forms=known_forms)
    changes = dict(draft.update)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    if "country_of_exploitation" in changes:
        changes["country_of_exploitation"] = _check_country(
            "country_of_exploitation", changes["country_of_exploitation"]
        )
    case.update(changes)
    start, end = case.get("exploitation_start"), case.get("exploitation_end")
    if start and end and end < start:
        raise invalid("exploitation_end", _("The end cannot be before the start."))
    extra: dict = {"consents": [], "note": "", "decision": None, "close": None, "episodes": None}
    extra["recruiter_relationship"] = _check_choice(
        "recruiter_relationship", draft.recruiter_relationship, RecruiterRelationship
    )
    # _prepare_case checked the guardian's name; the bulk path records it as case_open does.
    extra["guardian"] = (draft.open.get("guardian") or "").strip()
    if draft.episodes is not None:
        episodes = []
        for values in draft.episodes:
            code = str(values.get("form") or "")
            if code not in known_forms:
                raise invalid("form", _("Choose a form of exploitation from the list."))
            episodes.append(_check_episode({**values, "form": known_forms[code]}))
        extra["episodes"] = episodes
        forms = list(dict.fromkeys(e["form"] for e in episodes))
    for purpose in draft.consents:
        _check_choice("purpose", purpose, ConsentPurpose)
        if purpose == ConsentPurpose.SHARE:
            raise invalid("organisation", _("Name the organisation the person agrees to share with."))
        extra["consents"].append(purpose)
    if draft.decision != Decision.PENDING:
        if not may_identify:
            message = _("only an identification officer of an identification authority may record this")
            raise invalid("decision", message)
        _check_choice("decision", draft.decision, Decision)
        grounds = _check_text("grounds", draft.grounds, NOTE_MAX_LENGTH)
        if not grounds:
            raise invalid("grounds", _("State the grounds of the decision."))
        decided_on = draft.decided_on or case["opened_on"]
        _check_not_future("decided_on", decided_on)
        if decided_on < case["opened_on"]:
            raise invalid("decided_on", _("The decision cannot be before the case was opened."))
        extra["decision"] = (draft.decision, grounds, decided_on)
        case["identification_status"] = draft.decision
        # The case's only decision: identified_on_expected() read over one row.
        case["identified_on"] = decided_on if draft.decision == Decision.IDENTIFIED else None
    if draft.note:
        extra["note"] = _check_text("text", draft.note, NOTE_MAX_LENGTH)
        if not extra["note"]:
            raise invalid("text", _("Write the note."))
    if draft.close is not None:
        reason = _check_choice("reason", draft.close.get("reason", ""), ClosureReason)
        closed_on = draft.close.get("closed_on") or _today()
        _check_not_future("closed_on", closed_on)
        if closed_on < case["opened_on"]:
            raise invalid("closed_on", _("The case cannot close before it opened."))
        note = draft.close.get("note", "")
        case.update(status=CaseStatus.CLOSED, closure_reason=reason, closure_note=note, closed_on=closed_on)
        extra["close"] = reason
    return person, case, forms, extra


def cases_open_bulk(
    *,
    actor: User,
    organisation: Organisation,
    drafts: list[CaseDraft],
    source: str,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 1000,
) -> list[Case]:
    """Open many cases of ``organisation`` at once, all or none: the bulk path of imports.

    Every draft is checked first, as :func:`case_open` and the services it names would check
    it (the same messages); any refusal raises :class:`DraftsInvalid` listing every refused
    draft, and nothing is written. Then the rows are inserted a batch per statement: identity
    encrypted and bound to its row (the binding is set when each instance is built, before its
    ciphertext), every record checked by ``check_record`` (``bulk_create`` sends no
    ``pre_save``), linkage keys computed and duplicates proposed, and one audit row per case
    (``case.open``, its detail naming ``source`` and what was recorded with it). ``progress``
    is called with (cases written, total) after each batch.
    """
    # One today for every date checked, in the drafts and in their rows' columns.
    with transaction.atomic(), one_day():
        _require_member(actor, organisation, Action.SCREEN)
        if any(d.update or d.note or d.close for d in drafts):
            _require_member(actor, organisation, Action.MANAGE)
        if any(d.consents for d in drafts):
            _require_member(actor, organisation, Action.REFER)
        may_identify = (
            organisation.pk in owner_organisations(actor, Action.IDENTIFY)
            and organisation.type.is_identification_authority
        )
        known_forms = {f.code: f for f in ExploitationForm.objects.all()}
        prepared, errors = [], {}
        for i, draft in enumerate(drafts):
            try:
                prepared.append(_prepare_draft(draft, known_forms, may_identify))
            except ValidationError as exc:
                errors[i] = exc
        if errors:
            raise DraftsInvalid(errors)
        cases: list[Case] = []
        for start in range(0, len(prepared), batch_size):
            cases += _write_drafts(actor, organisation, prepared[start : start + batch_size], source)
            if progress:
                progress(len(cases), len(prepared))
    return cases


# The columns the bulk opening writes of each related table; the models' defaults fill the rest.
_EPISODE_COLUMNS = (
    "case_id",
    "form_id",
    "country",
    "place",
    "started_on",
    "ended_on",
    "recruiter_relationship",
    "notes",
)
_EPISODE_DEFAULTS = {"country": "", "place": "", "started_on": None, "ended_on": None, "notes": ""}


def _write_drafts(actor: User, organisation: Organisation, prepared: list, source: str) -> list[Case]:
    """Insert checked drafts (see :func:`cases_open_bulk`); a statement per table, not per row.

    Rows go in as tuples (:func:`~nrm.core.bulk.insert_rows`: every column checked as
    ``check_record`` checks a record, identity sealed for its row's binding, COPY on PostgreSQL):
    building and checking a model instance per row cost more than writing it. Only the cases
    are built, to be returned; their keys are drawn first, so that each reference is written
    with its case instead of by an UPDATE of every case afterwards.
    """
    people = [person for person, _c, _f, _x in prepared]
    person_columns = tuple(people[0])
    person_ids = insert_rows(
        Person, person_columns, [tuple(p[c] for c in person_columns) for p in people], returning=True
    )
    now = timezone.now()
    ids = reserve_ids(Case, len(prepared))
    cases = new_instances(
        Case,
        (
            {
                "id": pk,
                "owner_id": organisation.pk,
                "person_id": person_id,
                "opened_by_id": actor.pk,
                "responsible_id": actor.pk,
                "created_at": now,
                "updated_at": now,
                "reference": _reference_of(fields["opened_on"], pk),
                **fields,
            }
            for pk, person_id, (_p, fields, _f, _x) in zip(ids, person_ids, prepared, strict=True)
        ),
    )
    owner, opened_by, responsible = (Case._meta.get_field(name) for name in ("owner", "opened_by", "responsible"))
    for case in cases:  # as Case(owner=organisation, ...) holds them: read without a query
        owner.set_cached_value(case, organisation)
        opened_by.set_cached_value(case, actor)
        responsible.set_cached_value(case, actor)
    case_columns = [f.attname for f in Case._meta.concrete_fields]
    row_of = operator.itemgetter(*case_columns)
    case_rows = [row_of(case.__dict__) for case in cases]
    insert_rows(Case, case_columns, case_rows)
    links, episodes, guardians, consents, identifications, notes, audit = [], [], [], [], [], [], []
    for case, (_p, _c, forms, extra) in zip(cases, prepared, strict=True):
        links += [(case.pk, form.pk) for form in forms]
        if extra["episodes"] is not None:
            for values in extra["episodes"]:
                values = {**_EPISODE_DEFAULTS, "recruiter_relationship": RecruiterRelationship.UNKNOWN, **values}
                values["case_id"], values["form_id"] = case.pk, values.pop("form").pk
                episodes.append(tuple(values[c] for c in _EPISODE_COLUMNS))
        else:
            # What opening_episodes() builds for case_open: one per form, with the case's place and period.
            episodes += [
                (
                    case.pk,
                    form.pk,
                    case.country_of_exploitation,
                    case.place_of_exploitation,
                    case.exploitation_start,
                    case.exploitation_end,
                    extra["recruiter_relationship"],
                    "",
                )
                for form in forms
            ]
        if extra["guardian"]:  # what case_open(guardian=...) records
            guardians.append((case.pk, organisation.pk, actor.pk, extra["guardian"]))
        consents += [(case.pk, purpose, case.opened_on, actor.pk) for purpose in extra["consents"]]
        if extra["decision"]:
            decision, grounds, decided_on = extra["decision"]
            identifications.append((case.pk, organisation.pk, actor.pk, decision, decided_on, grounds))
        if extra["note"]:
            notes.append((case.pk, actor.pk, organisation.pk, extra["note"]))
        audit.append(
            {
                "actor": actor,
                "action": "case.open",
                "object_type": "case",
                "object_id": case.pk,
                "organisation_id": organisation.pk,
                "detail": {
                    "source": source,
                    "consents": extra["consents"],
                    "decision": extra["decision"][0] if extra["decision"] else None,
                    "note": bool(extra["note"]),
                    "closed": extra["close"],
                    **({"guardian": True} if extra["guardian"] else {}),
                },
            }
        )
    insert_rows(Case.forms.through, ("case_id", "exploitationform_id"), links)
    insert_rows(Episode, _EPISODE_COLUMNS, episodes)
    insert_rows(Consent, ("case_id", "purpose", "given_on", "recorded_by_id"), consents)
    insert_rows(
        Identification,
        ("case_id", "organisation_id", "decided_by_id", "decision", "decided_on", "grounds"),
        identifications,
    )
    insert_rows(CaseNote, ("case_id", "author_id", "organisation_id", "text"), notes)
    audit_record_many(audit)
    # What the models' signals do for a case opened alone: duplicates proposed (nrm.exchange), a
    # child's guardian recorded (nrm.children).
    signals.cases_opened_in_bulk.send(
        sender=Case, cases=cases, actor=actor, linkage_keys=[p["linkage_key"] for p in people], guardians=guardians
    )
    return cases


def _lock_owned_case(actor: User, case: Case, action: Action) -> Case:
    """Like :func:`_lock_case`, for what only the owning organisation may do (consent)."""
    if case.owner_id not in owner_organisations(actor, action):
        raise denied(actor=actor, action=f"case.{action}", object_type="case", object_id=case.pk)
    return case


def _lock_case(actor: User, case: Case, action: Action) -> Case:
    """Return the case if ``actor`` may ``action`` it, or refuse as if missing (audited)."""
    if not can(actor, action, case):
        raise denied(actor=actor, action=f"case.{action}", object_type="case", object_id=case.pk)
    return case


# What a frontline worker may correct: facts that identify nobody.
FACTS = {
    "is_child",
    "country_of_exploitation",
    "place_of_exploitation",
    "region",
    "exploitation_start",
    "exploitation_end",
}
UPDATABLE = {
    "is_child",
    "best_interests_note",
    "country_of_exploitation",
    "place_of_exploitation",
    "region",
    "exploitation_start",
    "exploitation_end",
    "plan_goals",
    "asylum_status",
    "asylum_status_on",
}


def _check_asylum(case: Case, changes: dict) -> None:
    """Refuse an asylum status that is no choice, or a date in the future or without a procedure.

    The date is that of the procedure's latest step, so a case that never applied (or of
    unknown status) has none.
    """
    if "asylum_status" in changes:
        _check_choice("asylum_status", changes["asylum_status"], AsylumStatus)
    if "asylum_status_on" in changes and changes["asylum_status_on"] is not None:
        _check_not_future("asylum_status_on", changes["asylum_status_on"])
    status = changes.get("asylum_status", case.asylum_status)
    on = changes.get("asylum_status_on", case.asylum_status_on)
    if on is not None and status in (AsylumStatus.NOT_APPLIED, AsylumStatus.UNKNOWN):
        raise invalid("asylum_status_on", _("A date goes with an asylum application: choose its status first."))


@atomic_audited
def case_update(
    *, actor: User, case: Case, expected_version: int, forms: Iterable[str] | None = None, **changes
) -> Case:
    """Change a case's fields; a stale ``expected_version`` is refused with :class:`Conflict`.

    The non-identifying facts (``FACTS`` and the forms) may be corrected by the owner's frontline
    workers too (``Action.CORRECT``); the best-interests note and the assistance plan are the
    case workers' (``Action.MANAGE``). The guardian is a record of its own (``nrm.children``).
    """
    _lock_case(actor, case, Action.CORRECT if set(changes) <= FACTS else Action.MANAGE)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    for name in ("country_of_exploitation",):
        if name in changes:
            changes[name] = _check_country(name, changes[name])
    start = changes.get("exploitation_start", case.exploitation_start)
    end = changes.get("exploitation_end", case.exploitation_end)
    if start and end and end < start:
        raise invalid("exploitation_end", _("The end cannot be before the start."))
    _check_asylum(case, changes)
    for name, value in changes.items():
        setattr(case, name, value)
    save_versioned(case, expected_version=expected_version, fields=sorted(changes))
    if forms is not None:
        forms = list(forms)
        objs = list(ExploitationForm.objects.filter(code__in=forms))
        if len(objs) != len(set(forms)):
            raise invalid("forms", _("Unknown form of exploitation."))
        _episodes_follow_forms(actor, case, objs)
    audit_record(
        actor=actor,
        action="case.update",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"fields": sorted(changes) + (["forms"] if forms is not None else [])},
    )
    return case


@atomic_audited
def note_add(*, actor: User, case: Case, text: str) -> CaseNote:
    """Add a note to a case (the owner's staff only)."""
    _lock_owned_case(actor, case, Action.MANAGE)
    text = _check_text("text", text, NOTE_MAX_LENGTH)
    if not text:
        raise invalid("text", _("Write the note."))
    note = CaseNote.objects.create(case=case, author=actor, organisation=case.owner, text=text)
    audit_record(actor=actor, action="case.note", object_type="case", object_id=case.pk, organisation_id=case.owner_id)
    return note


# --- Consent ---------------------------------------------------------------------------------


@atomic_audited
def consent_record(
    *,
    actor: User,
    case: Case,
    purpose: str,
    organisation: Organisation | None = None,
    given_on: dt.date | None = None,
    note: str = "",
) -> Consent:
    """Record informed consent for one purpose (sharing names the organisation).

    The owner's staff record it, and so does a receiver that works on the case and must refer
    it on (the Centre): it obtains the person's consent itself.
    """
    _lock_case(actor, case, Action.REFER)
    _check_choice("purpose", purpose, ConsentPurpose)
    if purpose == ConsentPurpose.SHARE and organisation is None:
        raise invalid("organisation", _("Name the organisation the person agrees to share with."))
    if purpose != ConsentPurpose.SHARE:
        organisation = None
    given_on = given_on or _today()
    _check_not_future("given_on", given_on)
    consent = Consent.objects.create(
        case=case, purpose=purpose, organisation=organisation, given_on=given_on, recorded_by=actor, note=note
    )
    audit_record(
        actor=actor,
        action="consent.give",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"purpose": purpose, "to": getattr(organisation, "pk", None)},
    )
    return consent


@atomic_audited
def consents_record(
    *,
    actor: User,
    case: Case,
    purposes: Iterable[str],
    organisations: Iterable[Organisation] = (),
    given_on: dt.date | None = None,
    note: str = "",
) -> list[Consent]:
    """Record the consents the person gave at one meeting, several purposes at once: all or none.

    Sharing is recorded once per organisation named.
    """
    purposes = list(dict.fromkeys(purposes))
    if not purposes:
        raise invalid("purposes", _("Choose at least one purpose."))
    organisations = list(organisations)
    if ConsentPurpose.SHARE in purposes and not organisations:
        raise invalid("organisations", _("Name the organisation the person agrees to share with."))
    recorded = []
    for purpose in purposes:
        for organisation in organisations if purpose == ConsentPurpose.SHARE else [None]:
            recorded.append(
                consent_record(
                    actor=actor,
                    case=case,
                    purpose=purpose,
                    organisation=organisation,
                    given_on=given_on,
                    note=note,
                )
            )
    return recorded


@atomic_audited
def consent_withdraw(*, actor: User, consent: Consent, withdrawn_on: dt.date | None = None) -> Consent:
    """Record that the person withdrew a consent, and end the sharing that relied on it.

    Withdrawing consent to share with an organisation suspends, in the same transaction, the
    referrals to it that relied on that consent (not those sent on a legal ground): from its
    next request the organisation no longer sees the case. See ``docs/security.md``.
    """
    from nrm.referrals.services import suspend_for_withdrawal

    _lock_owned_case(actor, consent.case, Action.REFER)
    if consent.withdrawn_on:
        raise Conflict(_("This consent was already withdrawn."), field="withdrawn_on")
    withdrawn_on = withdrawn_on or _today()
    _check_not_future("withdrawn_on", withdrawn_on)
    if withdrawn_on < consent.given_on:
        raise invalid("withdrawn_on", _("Withdrawal cannot be before the consent was given."))
    consent.withdrawn_on = withdrawn_on
    consent.save(update_fields=["withdrawn_on", "updated_at"])
    suspended = suspend_for_withdrawal(actor=actor, consent=consent, on=withdrawn_on)
    signals.consent_withdrawn.send(sender=Consent, consent=consent, actor=actor, suspended=suspended)
    audit_record(
        actor=actor,
        action="consent.withdraw",
        object_type="case",
        object_id=consent.case_id,
        organisation_id=consent.case.owner_id,
        detail={"purpose": consent.purpose, "to": consent.organisation_id, "referrals_suspended": suspended},
    )
    return consent


# --- Identification --------------------------------------------------------------------------


@atomic_audited
def identification_decide(
    *, actor: User, case: Case, decision: str, grounds: str, decided_on: dt.date | None = None
) -> Identification:
    """Record the identification authority's decision, with its date and grounds."""
    from nrm.referrals.models import Referral

    _lock_case(actor, case, Action.IDENTIFY)
    _check_choice("decision", decision, Decision)
    grounds = _check_text("grounds", grounds, NOTE_MAX_LENGTH)
    if not grounds:
        raise invalid("grounds", _("State the grounds of the decision."))
    decided_on = decided_on or _today()
    _check_not_future("decided_on", decided_on)
    if decided_on < case.opened_on:
        raise invalid("decided_on", _("The decision cannot be before the case was opened."))
    from nrm.referrals.choices import ACTIVE_STATES

    # The deciding organisation is the one through which the actor may identify this case: the
    # owner, or an identification authority that accepted a referral of it.
    orgs = Organisation.objects.filter(
        pk__in=owner_organisations(actor, Action.IDENTIFY), type__is_identification_authority=True
    ).order_by("pk")
    org = orgs.filter(pk=case.owner_id).first() or (
        orgs.filter(referrals_received__case=case, referrals_received__status__in=ACTIVE_STATES).first()
    )
    referral = Referral.objects.filter(case=case, to_org=org, kind="identification").order_by("-sent_on").first()
    ident = Identification.objects.create(
        case=case,
        organisation=org,
        decided_by=actor,
        decision=decision,
        decided_on=decided_on,
        grounds=grounds,
        referral=referral,
    )
    Case.objects.filter(pk=case.pk).update(identification_status=decision)
    case.identification_status = decision
    case.identified_on = identified_on_follow([case.pk]).get(case.pk)
    audit_record(
        actor=actor,
        action="case.identify",
        object_type="case",
        object_id=case.pk,
        organisation_id=org.pk,
        detail={"decision": decision},
    )
    signals.decision_made.send(sender=Identification, identification=ident, actor=actor)
    return ident


def identified_on_follow(case_ids: Iterable[int]) -> dict[int, dt.date | None]:
    """Set ``Case.identified_on`` of these cases from their decisions; return the values set by case.

    Called by every writer that records a decision or moves decisions between cases (the
    decision service, merges and their undo, ``nrm stats --rebuild``). No version bump: the
    column follows the decisions, like a case's forms follow its episodes.
    """
    ids = list(case_ids)
    Case.objects.filter(pk__in=ids).update(identified_on=identified_on_expected())
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "identified_on"))


# --- Assistance and closure ------------------------------------------------------------------


@atomic_audited
def service_record(
    *,
    actor: User,
    case: Case,
    service_type,
    organisation: Organisation,
    status: str = ServiceStatus.PLANNED,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    outcome: str = "",
    referral=None,
) -> ServiceDelivery:
    """Add a service to the case's assistance plan, delivered by ``organisation``.

    A service given on a referral must be on one of the case's referrals addressed to the
    delivering organisation, received by the actor; the owner's staff plan on any of them.
    """
    _lock_case(actor, case, Action.RECORD_SERVICE)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    if organisation.pk not in member_organisations(actor) and case.owner_id not in member_organisations(actor):
        raise invalid("organisation", _("You cannot record services for this organisation."))
    _check_choice("status", status, ServiceStatus)
    _validate_service_dates(status, started_on, ended_on)
    if referral is not None:
        _check_service_referral(actor, case, organisation, referral)
    delivery = ServiceDelivery.objects.create(
        case=case,
        service_type=service_type,
        organisation=organisation,
        referral=referral,
        status=status,
        started_on=started_on,
        ended_on=ended_on,
        outcome=outcome,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="service.create",
        object_type="case",
        object_id=case.pk,
        organisation_id=organisation.pk,
        detail={"service": service_type.code, "status": status},
    )
    signals.service_recorded.send(sender=ServiceDelivery, delivery=delivery)
    _complete_referral_when_served(actor, delivery)
    return delivery


def _complete_referral_when_served(actor: User, delivery: ServiceDelivery) -> None:
    """Complete the referral a service was given on once none of its services is still open.

    The receiver answered the referral by giving the services; asking it to complete the referral
    by hand as well is a step people forget, and the sender then waits for nothing. A referral
    whose services were all cancelled stays as it is: nothing was delivered.
    """
    from nrm.referrals.choices import ReferralStatus
    from nrm.referrals.models import Referral

    if delivery.referral_id is None:
        return
    referral = Referral.objects.select_for_update().get(pk=delivery.referral_id)
    if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        return
    states = set(referral.services.values_list("status", flat=True))
    if ServiceStatus.DELIVERED not in states or states & {ServiceStatus.PLANNED, ServiceStatus.IN_PROGRESS}:
        return
    before = referral.status
    referral.status = ReferralStatus.COMPLETED
    save_versioned(referral, expected_version=referral.version, fields=["status"])
    audit_record(
        actor=actor,
        action="referral.transition",
        object_type="case",
        object_id=referral.case_id,
        organisation_id=referral.to_org_id,
        detail={"referral": referral.pk, "from": before, "to": ReferralStatus.COMPLETED, "by": "last service"},
    )


def _check_service_referral(actor: User, case: Case, organisation: Organisation, referral) -> None:
    """Refuse a referral the service cannot be given on, naming the ``referral`` field.

    Here and not in a form, so that the API and the commands obey it too. The message says
    nothing of the referral: to a receiver, another receiver's referral does not exist.
    """
    if referral.case_id != case.pk:
        raise invalid("referral", _("The referral belongs to another case."))
    if case.owner_id in owner_organisations(actor, Action.RECORD_SERVICE):
        return
    if referral.to_org_id != organisation.pk or referral.to_org_id not in receiver_organisations(
        actor, Action.RECORD_SERVICE
    ):
        raise invalid("referral", _("Choose a referral addressed to the organisation delivering the service."))


def _validate_service_dates(status: str, started_on, ended_on) -> None:
    _check_not_future("started_on", started_on)
    if started_on and ended_on and ended_on < started_on:
        raise invalid("ended_on", _("The end cannot be before the start."))
    if status == ServiceStatus.DELIVERED and not started_on:
        raise invalid("started_on", _("Give the date the service started."))


@atomic_audited
def service_update(*, actor: User, delivery: ServiceDelivery, expected_version: int, **changes) -> ServiceDelivery:
    """Update a service's status, dates and outcome (optimistic locking)."""
    _lock_case(actor, delivery.case, Action.RECORD_SERVICE)
    mine = owner_organisations(actor, Action.RECORD_SERVICE)
    if delivery.organisation_id not in mine and delivery.case.owner_id not in mine:
        raise denied(actor=actor, action="service.update", object_type="case", object_id=delivery.case_id)
    if delivery.case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    allowed = {"status", "started_on", "ended_on", "outcome"}
    if set(changes) - allowed:
        raise invalid(sorted(set(changes) - allowed)[0], _("This field cannot be changed here."))
    for name, value in changes.items():
        setattr(delivery, name, value)
    _check_choice("status", delivery.status, ServiceStatus)
    _validate_service_dates(delivery.status, delivery.started_on, delivery.ended_on)
    save_versioned(delivery, expected_version=expected_version, fields=sorted(changes))
    audit_record(
        actor=actor,
        action="service.update",
        object_type="case",
        object_id=delivery.case_id,
        organisation_id=delivery.organisation_id,
        detail={"fields": sorted(changes)},
    )
    signals.service_recorded.send(sender=ServiceDelivery, delivery=delivery)
    _complete_referral_when_served(actor, delivery)
    return delivery


@atomic_audited
def case_close(
    *, actor: User, case: Case, reason: str, expected_version: int, note: str = "", closed_on: dt.date | None = None
) -> Case:
    """Close a case with a reason; unanswered and suspended referrals are closed, those in work completed."""
    from nrm.referrals.choices import ReferralStatus
    from nrm.referrals.models import Referral

    _lock_case(actor, case, Action.MANAGE)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is already closed."), field="status")
    _check_choice("reason", reason, ClosureReason)
    closed_on = closed_on or _today()
    _check_not_future("closed_on", closed_on)
    if closed_on < case.opened_on:
        raise invalid("closed_on", _("The case cannot close before it opened."))
    case.status, case.closure_reason, case.closure_note, case.closed_on = CaseStatus.CLOSED, reason, note, closed_on
    save_versioned(
        case, expected_version=expected_version, fields=["status", "closure_reason", "closure_note", "closed_on"]
    )
    # Unanswered referrals are withdrawn; those being worked on are completed, so the organisations
    # that helped keep their read-only record of the case. Each gets a new version, so that a
    # receiver's stale transition cannot reopen it.
    now = timezone.now()
    # A suspended referral closes too: completing it would give the receiver the case back.
    pending = Referral.objects.filter(case=case, status__in=[ReferralStatus.SENT, ReferralStatus.SUSPENDED])
    closed_referrals = sorted(pending.values_list("pk", flat=True))
    working = Referral.objects.filter(case=case, status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS])
    completed_referrals = sorted(working.values_list("pk", flat=True))
    Referral.objects.filter(pk__in=closed_referrals).update(
        status=ReferralStatus.CLOSED, version=F("version") + 1, updated_at=now
    )
    Referral.objects.filter(pk__in=completed_referrals).update(
        status=ReferralStatus.COMPLETED, version=F("version") + 1, updated_at=now
    )
    signals.case_closed.send(sender=Case, case=case, actor=actor)
    audit_record(
        actor=actor,
        action="case.close",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"reason": reason, "referrals_closed": closed_referrals, "referrals_completed": completed_referrals},
    )
    return case


# --- Responsible case worker and flags (issue J) ---------------------------------------------


@atomic_audited
def case_assign(*, actor: User, case: Case, responsible: User | None, expected_version: int | None = None) -> Case:
    """Make ``responsible`` the case's responsible worker: an active case-role member of the owner.

    The owner's case workers reassign (``Action.ASSIGN``); the case's version moves on, so a stale
    edit of the case is refused. Audited with the worker before and after.
    """
    _lock_owned_case(actor, case, Action.ASSIGN)
    if responsible is None or not case_workers(case.owner_id).filter(pk=responsible.pk).exists():
        raise invalid("responsible", _("Choose a case worker of the organisation that owns the case."))
    before = case.responsible_id
    case.responsible = responsible
    save_versioned(case, expected_version=expected_version, fields=["responsible"])
    audit_record(
        actor=actor,
        action="case.assign",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"from": before, "to": responsible.pk},
    )
    return case


def _flagging_organisation(actor: User, case: Case) -> int:
    """Return the organisation through which ``actor`` flags ``case``: the owner, else a receiver."""
    from nrm.referrals.choices import ACTIVE_STATES

    if case.owner_id in owner_organisations(actor, Action.FLAG):
        return case.owner_id
    receivers = receiver_organisations(actor, Action.FLAG)
    found = (
        case.referrals.filter(to_org__in=receivers, status__in=ACTIVE_STATES)
        .order_by("to_org_id")
        .values_list("to_org_id", flat=True)
        .first()
    )
    return found


# A flag's note is a pointer for whoever opens the case, not a case note: a line or two.
FLAG_NOTE_MAX_LENGTH = 300


@atomic_audited
def flag_raise(*, actor: User, case: Case, reason: str, note: str = "") -> CaseFlag:
    """Raise a flag on a case, with an optional short note; one standing flag per reason.

    Raising a standing flag again is a conflict. The note is encrypted (it may name someone) and
    never written to the audit row, which records only whether there is one.
    """
    _lock_case(actor, case, Action.FLAG)
    _check_choice("reason", reason, FlagReason)
    note = _check_text("note", note, FLAG_NOTE_MAX_LENGTH)
    if CaseFlag.objects.filter(case=case, reason=reason, lifted_at=None).exists():
        raise Conflict(_("This flag is already raised on the case."), field="reason")
    flag = CaseFlag.objects.create(
        case=case,
        reason=reason,
        note=note,
        organisation_id=_flagging_organisation(actor, case),
        raised_by=actor,
        raised_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="case.flag",
        object_type="case",
        object_id=case.pk,
        organisation_id=flag.organisation_id,
        detail={"flag": flag.pk, "reason": reason, "note": bool(note)},
    )
    return flag


@atomic_audited
def flag_lift(*, actor: User, flag: CaseFlag) -> CaseFlag:
    """Lift a standing flag, recording who and when; the flag stays in the case's history."""
    _lock_case(actor, flag.case, Action.FLAG)
    # Conditional, so two people lifting at once record one lifting.
    now = timezone.now()
    if not CaseFlag.objects.filter(pk=flag.pk, lifted_at=None).update(lifted_by=actor, lifted_at=now, updated_at=now):
        raise Conflict(_("This flag was already lifted."), field="flag")
    flag.lifted_by, flag.lifted_at = actor, now
    audit_record(
        actor=actor,
        action="case.unflag",
        object_type="case",
        object_id=flag.case_id,
        organisation_id=_flagging_organisation(actor, flag.case),
        detail={"flag": flag.pk, "reason": flag.reason},
    )
    return flag


# --- Episodes of exploitation (issue J) ------------------------------------------------------
#
# The episodes are the source of a case's forms of exploitation; ``Case.forms`` is their union,
# written here (and by the bulk paths, which insert both together) and nowhere else.

EPISODE_FIELDS = ("form", "country", "place", "started_on", "ended_on", "recruiter_relationship", "notes")


def opening_episodes(
    case: Case, forms: Iterable[ExploitationForm], relationship: str = RecruiterRelationship.UNKNOWN
) -> list[Episode]:
    """Return the unsaved episodes a case opens with: one per form, with the case's country, place and period."""
    return [
        Episode(
            case=case,
            form=form,
            country=case.country_of_exploitation,
            place=case.place_of_exploitation,
            started_on=case.exploitation_start,
            ended_on=case.exploitation_end,
            recruiter_relationship=relationship,
        )
        for form in forms
    ]


def forms_follow_episodes(case: Case) -> list[str]:
    """Make ``case.forms`` the union of its episodes' forms; return their codes."""
    objs = list(ExploitationForm.objects.filter(episodes__case=case).distinct())
    case.forms.set(objs)
    return sorted(f.code for f in objs)


def _bare(episode: Episode, case: Case) -> bool:
    """Whether an episode says nothing beyond its form and what the case says (what a form ticked
    on the case edit makes: :func:`opening_episodes`)."""
    return (
        not episode.notes
        and episode.recruiter_relationship == RecruiterRelationship.UNKNOWN
        and episode.country in ("", case.country_of_exploitation)
        and episode.place in ("", case.place_of_exploitation)
        and episode.started_on in (None, case.exploitation_start)
        and episode.ended_on in (None, case.exploitation_end)
    )


def _episodes_follow_forms(actor: User, case: Case, forms: list[ExploitationForm]) -> None:
    """Apply a list of forms chosen on the case edit to the episodes: a new form gets an episode of
    its own (details unknown); a form taken off removes its episodes if they hold no details, and
    is refused otherwise (they are removed one by one, on purpose, from the case page)."""
    wanted = {f.pk for f in forms}
    episodes = list(Episode.objects.filter(case=case).select_related("form"))
    dropped = [e for e in episodes if e.form_id not in wanted]
    detailed = sorted({str(e.form) for e in dropped if not _bare(e, case)})
    if detailed:
        message = _("Remove the episodes of %(forms)s from the case page first: they hold details.")
        raise invalid("forms", message % {"forms": ", ".join(detailed)})
    have = {e.form_id for e in episodes}
    added = [f for f in forms if f.pk not in have]
    if (dropped or added) and case.owner_id not in owner_organisations(actor, Action.CORRECT):
        # The episodes are the owner's to write (the access rule of Episode), and the forms follow them.
        raise invalid("forms", _("Only the owning organisation may change the forms of exploitation."))
    Episode.objects.filter(pk__in=[e.pk for e in dropped]).delete()
    insert_many(opening_episodes(case, added))
    forms_follow_episodes(case)


def _check_episode(values: dict, *, current: Episode | None = None) -> dict:
    """Check an episode's values (all of them, or the changes to ``current``); return them cleaned."""
    unknown = set(values) - set(EPISODE_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    clean = dict(values)
    if "form" in clean:
        form = clean["form"]
        if not isinstance(form, ExploitationForm):
            form = ExploitationForm.objects.filter(code=str(form or "")).first()
            if form is None:
                raise invalid("form", _("Choose a form of exploitation from the list."))
        clean["form"] = form
    if "country" in clean:
        clean["country"] = _check_country("country", clean["country"])
    if "place" in clean:
        clean["place"] = _check_text("place", clean["place"], Episode.PLACE_MAX_LENGTH)
    if "notes" in clean:
        clean["notes"] = _check_text("notes", clean["notes"], NOTE_MAX_LENGTH)
    if "recruiter_relationship" in clean:
        clean["recruiter_relationship"] = _check_choice(
            "recruiter_relationship", clean["recruiter_relationship"] or "", RecruiterRelationship
        )
    for name in ("started_on", "ended_on"):
        if name in clean:
            value = clean[name]
            if isinstance(value, dt.datetime) or (value is not None and not isinstance(value, dt.date)):
                raise invalid(name, _("Enter a date."))
            _check_not_future(name, value)
    start = clean.get("started_on", current.started_on if current else None)
    end = clean.get("ended_on", current.ended_on if current else None)
    if start and end and end < start:
        raise invalid("ended_on", _("The end cannot be before the start."))
    return clean


def _lock_episode_case(actor: User, case: Case, audit_action: str) -> None:
    """Refuse as if missing unless ``actor`` corrects facts in the case's owner; refuse a closed case."""
    if case.owner_id not in owner_organisations(actor, Action.CORRECT):
        raise denied(actor=actor, action=audit_action, object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")


def _lock_episode(actor: User, episode: Episode, audit_action: str) -> Episode:
    """Return ``episode`` as stored if the access rule lets ``actor`` correct it, else refuse as if missing."""
    found = (
        restrict(Episode.objects.filter(pk=episode.pk), actor, Action.CORRECT).select_related("case", "form").first()
    )
    if found is None:
        raise denied(actor=actor, action=audit_action, object_type="case", object_id=episode.case_id)
    _lock_episode_case(actor, found.case, audit_action)
    return found


@atomic_audited
def episode_add(
    *,
    actor: User,
    case: Case,
    form: str | ExploitationForm,
    country: str = "",
    place: str = "",
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    recruiter_relationship: str = RecruiterRelationship.UNKNOWN,
    notes: str = "",
) -> Episode:
    """Add an episode of exploitation to a case (the owner's case roles); the case's forms follow."""
    _lock_episode_case(actor, case, "case.episode_add")
    values = _check_episode(
        {
            "form": form,
            "country": country,
            "place": place,
            "started_on": started_on,
            "ended_on": ended_on,
            "recruiter_relationship": recruiter_relationship,
            "notes": notes,
        }
    )
    episode = Episode.objects.create(case=case, **values)
    forms = forms_follow_episodes(case)
    audit_record(
        actor=actor,
        action="case.episode_add",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"episode": episode.pk, "form": episode.form.code, "forms": forms},
    )
    return episode


@atomic_audited
def episode_update(*, actor: User, episode: Episode, expected_version: int | None, **changes) -> Episode:
    """Change an episode's fields; a stale ``expected_version`` is refused with :class:`Conflict`."""
    stored = _lock_episode(actor, episode, "case.episode_update")
    changes = _check_episode(changes, current=stored)
    for name, value in changes.items():
        setattr(stored, name, value)
    save_versioned(stored, expected_version=expected_version, fields=sorted(changes))
    forms = forms_follow_episodes(stored.case) if "form" in changes else None
    audit_record(
        actor=actor,
        action="case.episode_update",
        object_type="case",
        object_id=stored.case_id,
        organisation_id=stored.case.owner_id,
        detail={"episode": stored.pk, "fields": sorted(changes), **({"forms": forms} if forms is not None else {})},
    )
    return stored


@atomic_audited
def episode_remove(*, actor: User, episode: Episode, expected_version: int | None = None) -> None:
    """Remove an episode (recorded in error); the case's forms follow. A stale version is a Conflict."""
    stored = _lock_episode(actor, episode, "case.episode_remove")
    version = stored.version if expected_version is None else expected_version
    if Episode.objects.filter(pk=stored.pk, version=version).delete()[0] != 1:
        raise Conflict(_("This record was changed by someone else. Reload it and apply your change again."))
    forms = forms_follow_episodes(stored.case)
    audit_record(
        actor=actor,
        action="case.episode_remove",
        object_type="case",
        object_id=stored.case_id,
        organisation_id=stored.case.owner_id,
        detail={"episode": stored.pk, "form": stored.form.code, "forms": forms},
    )
