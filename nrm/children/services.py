"""Writes of a child's records: guardian, best-interests assessment and determination, the
unaccompanied/separated flag. Each checks the rule inside its transaction and writes its audit row."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from nrm.accounts.access import Action, acting_organisations
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.access import can
from nrm.cases.choices import CaseStatus, ChildStatus
from nrm.cases.models import Case
from nrm.cases.retention import ERASED
from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination, Guardian
from nrm.core.bulk import insert_rows
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_choice, check_date, check_model_text, check_not_future


def _lock_child_case(actor: User, case: Case, what: str) -> Organisation:
    """Refuse unless ``actor`` may manage ``case`` and it is an open child's case; return the acting organisation."""
    if not can(actor, Action.MANAGE, case):
        raise denied(actor=actor, action=f"child.{what}", object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    if not case.is_child:
        raise invalid("case", _("This is not a child's case: mark the person as a child first."))
    orgs = acting_organisations(actor, Action.MANAGE)
    # The owner when the actor works there, else the receiver through which they manage it.
    org_id = case.owner_id if case.owner_id in orgs else orgs[0]
    return Organisation.objects.get(pk=org_id)


def _audit(actor: User, case: Case, action: str, org: Organisation, detail: dict) -> None:
    audit_record(
        actor=actor, action=action, object_type="case", object_id=case.pk, organisation_id=org.pk, detail=detail
    )


def _no_earlier(field: str, value: dt.date, floor: dt.date, message: str) -> None:
    if value < floor:
        raise invalid(field, message)


@atomic_audited
def guardian_appoint(
    *,
    actor: User,
    case: Case,
    name: str,
    appointing_authority: str,
    appointed_on: dt.date,
    contact: str = "",
) -> Guardian:
    """Record the guardian appointed for a child; the current guardian's appointment ends that day."""
    org = _lock_child_case(actor, case, "guardian")
    name = check_model_text(Guardian, "name", name, required=True)
    contact = check_model_text(Guardian, "contact", contact)
    appointing_authority = check_model_text(Guardian, "appointing_authority", appointing_authority, required=True)
    appointed_on = check_date("appointed_on", appointed_on)
    check_not_future("appointed_on", appointed_on)
    current = list(Guardian.objects.select_for_update().filter(case=case, ended_on=None))
    for previous in current:
        if previous.appointed_on and appointed_on < previous.appointed_on:
            raise invalid(
                "appointed_on",
                _("The current guardian was appointed on %(on)s: a new appointment cannot be earlier.")
                % {"on": previous.appointed_on.isoformat()},
            )
    Guardian.objects.filter(pk__in=[g.pk for g in current]).update(ended_on=appointed_on)
    guardian = Guardian.objects.create(
        case=case,
        organisation=org,
        recorded_by=actor,
        appointing_authority=appointing_authority,
        appointed_on=appointed_on,
        name=name,
        contact=contact,
    )
    _audit(actor, case, "child.guardian", org, {"guardian": guardian.pk, "ended": [g.pk for g in current]})
    return guardian


def guardian_named_at_opening(*, actor: User, case: Case, guardian: str, **_signal) -> Guardian | None:
    """Record the guardian named when a case is opened (``case_open(guardian=...)``), inside its transaction.

    Only a name, as the opening form asks: the authority and date are added with :func:`guardian_appoint`.
    Connected to ``cases.signals.case_opened``; nothing when no guardian was named.
    """
    if not guardian:
        return None
    name = check_model_text(Guardian, "name", guardian, required=True)
    return Guardian.objects.create(
        case=case, organisation=case.owner, recorded_by=actor, appointing_authority="", appointed_on=None, name=name
    )


@atomic_audited
def assessment_record(
    *, actor: User, case: Case, assessed_by: str, assessed_on: dt.date, options_weighed: str
) -> BestInterestsAssessment:
    """Record a best-interests assessment of the child: who, when and the options weighed."""
    org = _lock_child_case(actor, case, "assessment")
    assessed_by = check_model_text(BestInterestsAssessment, "assessed_by", assessed_by, required=True)
    options_weighed = check_model_text(BestInterestsAssessment, "options_weighed", options_weighed, required=True)
    assessed_on = check_date("assessed_on", assessed_on)
    check_not_future("assessed_on", assessed_on)
    _no_earlier("assessed_on", assessed_on, case.opened_on, _("The assessment cannot be before the case was opened."))
    assessment = BestInterestsAssessment.objects.create(
        case=case,
        organisation=org,
        recorded_by=actor,
        assessed_by=assessed_by,
        assessed_on=assessed_on,
        options_weighed=options_weighed,
    )
    _audit(actor, case, "child.assessment", org, {"assessment": assessment.pk})
    return assessment


@atomic_audited
def determination_record(
    *,
    actor: User,
    case: Case,
    assessment: BestInterestsAssessment | int | None = None,
    determined_by: str,
    determined_on: dt.date,
    decision: str,
    review_on: dt.date,
) -> BestInterestsDetermination:
    """Record the best-interests determination taken on an assessment of this child, with its review date.

    A determination rests on an assessment of the same case, is not dated before it, and is
    reviewed after it is taken.
    """
    org = _lock_child_case(actor, case, "determination")
    assessment_id = getattr(assessment, "pk", assessment)
    found = BestInterestsAssessment.objects.filter(case=case, pk=assessment_id).first() if assessment_id else None
    if found is None:
        raise invalid(
            "assessment", _("A determination needs a best-interests assessment of this child: record it first.")
        )
    determined_by = check_model_text(BestInterestsDetermination, "determined_by", determined_by, required=True)
    decision = check_model_text(BestInterestsDetermination, "decision", decision, required=True)
    determined_on = check_date("determined_on", determined_on)
    check_not_future("determined_on", determined_on)
    _no_earlier(
        "determined_on", determined_on, found.assessed_on, _("The determination cannot be before its assessment.")
    )
    review_on = check_date("review_on", review_on)
    if review_on <= determined_on:
        raise invalid("review_on", _("The review date must be after the determination."))
    determination = BestInterestsDetermination.objects.create(
        case=case,
        assessment=found,
        organisation=org,
        recorded_by=actor,
        determined_by=determined_by,
        determined_on=determined_on,
        decision=decision,
        review_on=review_on,
    )
    _audit(actor, case, "child.determination", org, {"assessment": found.pk, "determination": determination.pk})
    return determination


@atomic_audited
def child_status_set(*, actor: User, case: Case, child_status: str, expected_version: int | None = None) -> Case:
    """Record whether the child is unaccompanied or separated (a fact: the owner's frontline staff may too)."""
    if not can(actor, Action.CORRECT, case):
        raise denied(actor=actor, action="child.status", object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    if not case.is_child:
        raise invalid("child_status", _("This is not a child's case: mark the person as a child first."))
    check_choice("child_status", child_status, ChildStatus)
    case.child_status = child_status
    save_versioned(case, expected_version=expected_version, fields=["child_status"])
    audit_record(
        actor=actor,
        action="case.update",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"fields": ["child_status"], "child_status": child_status},
    )
    return case


def child_identity_erase(case: Case) -> None:
    """Blank the child's records that identify someone, at the end of retention (``nrm.cases.retention``).

    The guardians' names and contacts, the options weighed and the decisions (they describe the
    family); dates and authorities stay.
    """
    # Each value is bound to its row, so they are sealed per row (update() cannot encrypt).
    for guardian in Guardian.objects.filter(case=case).only("pk", "binding"):
        guardian.name, guardian.contact = ERASED, ""
        guardian.save(update_fields=["name", "contact"])
    for assessment in BestInterestsAssessment.objects.filter(case=case).only("pk", "binding"):
        assessment.options_weighed = ERASED
        assessment.save(update_fields=["options_weighed"])
    for determination in BestInterestsDetermination.objects.filter(case=case).only("pk", "binding"):
        determination.decision = ERASED
        determination.save(update_fields=["decision"])


def guardians_named_in_bulk(*, guardians: list[tuple], **_signal) -> None:
    """Record the guardians named when cases were opened in bulk (``cases.signals.cases_opened_in_bulk``):
    rows of case id, organisation id, recorder id and name, checked with their cases."""
    if guardians:
        insert_rows(Guardian, ("case_id", "organisation_id", "recorded_by_id", "name"), guardians)
