"""Pages of a child's records, reached from the case page; each answers through ``form_page``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from nrm.accounts.access import Action
from nrm.cases.views import case_action_page, case_for, case_staff, denied
from nrm.children import services
from nrm.children.forms import AssessmentForm, ChildStatusForm, DeterminationForm, GuardianForm


@case_staff
def guardian_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the guardian appointed for the child (the case managers; the name and contact are identity)."""
    view = case_for(request, pk, Action.MANAGE, reason="guardian")
    if not view.show_identity:
        raise denied(request, "child.guardian", pk)
    case = view.case
    return case_action_page(
        request,
        GuardianForm(request.POST or None),
        lambda d: services.guardian_appoint(actor=request.user, case=case, **d),
        case=case,
        title=_("Record the guardian of case %(ref)s") % {"ref": case.reference},
        submit=_("Record the guardian"),
        success=_("Guardian recorded."),
        context={"intro": _("A new appointment ends the current guardian's on the same day; both stay on record.")},
    )


@case_staff
def assessment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a best-interests assessment of the child."""
    view = case_for(request, pk, Action.MANAGE, reason="best interests")
    case = view.case
    return case_action_page(
        request,
        AssessmentForm(request.POST or None),
        lambda d: services.assessment_record(actor=request.user, case=case, **d),
        case=case,
        title=_("Best-interests assessment for case %(ref)s") % {"ref": case.reference},
        submit=_("Record the assessment"),
        success=_("Assessment recorded."),
    )


@case_staff
def determination_new(request: HttpRequest, pk: int, assessment_id: int) -> HttpResponse:
    """Record the best-interests determination taken on one of the child's assessments."""
    view = case_for(request, pk, Action.MANAGE, reason="best interests")
    case = view.case
    if not any(a.pk == assessment_id for a in case.best_interests_assessments.all()):
        raise denied(request, "child.determination", pk)
    return case_action_page(
        request,
        DeterminationForm(request.POST or None),
        lambda d: services.determination_record(actor=request.user, case=case, assessment=assessment_id, **d),
        case=case,
        title=_("Best-interests determination for case %(ref)s") % {"ref": case.reference},
        submit=_("Record the determination"),
        success=_("Determination recorded."),
    )


@case_staff
def child_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Record whether the child is unaccompanied or separated."""
    view = case_for(request, pk, Action.CORRECT, reason="child status")
    case = view.case
    form = ChildStatusForm(request.POST or None, initial={"version": case.version, "child_status": case.child_status})
    return case_action_page(
        request,
        form,
        lambda d: services.child_status_set(
            actor=request.user, case=case, child_status=d["child_status"], expected_version=d["version"]
        ),
        case=case,
        title=_("Unaccompanied or separated child: case %(ref)s") % {"ref": case.reference},
        submit=_("Save"),
        success=_("Case saved."),
    )
