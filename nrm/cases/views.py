"""The pages of case work: screenings, cases and what is recorded on them.

Thin views over selectors, forms and services. Every page starts from a selector (which applies
the access rule), checks input with a form, and writes through a service. A record the user may
not see is a 404, the same as a missing one; service errors are put back on the form, next to
the field they name. The URLs are ``web``'s (``nrm/web/urls.py``); the templates are cases'
own, on web's partials. The pages other apps hang on a case (a child's records, protection
measures, transfers, duplicates) use :data:`case_staff`, :func:`case_for`, :func:`denied`,
:func:`paginate` and :func:`case_action_page`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.accounts import access
from nrm.accounts.access import Action, member_organisations, owner_organisations
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.gates import role_gate
from nrm.audit.services import audit_denial, audit_record
from nrm.cases import access as case_access
from nrm.cases import screening as screening_rule
from nrm.cases import selectors as case_selectors
from nrm.cases import services as case_services
from nrm.cases.choices import CaseStatus, FlagReason, ScreeningResult
from nrm.cases.forms import (
    GROUP_LABELS,
    AssignForm,
    CaseCloseForm,
    CaseEditForm,
    CaseFilterForm,
    CaseOpenForm,
    ConsentForm,
    EpisodeForm,
    EvaluateForm,
    FlagForm,
    IdentifyForm,
    NoteForm,
    ScreeningForm,
    ServiceForm,
    ServiceUpdateForm,
)
from nrm.cases.models import Case, IndicatorList
from nrm.cases.screening import UnknownIndicator, evaluate, explain
from nrm.cases.summary import case_summary
from nrm.core.errors import NotFound
from nrm.core.i18n import localized
from nrm.core.jsonrows import release
from nrm.core.pages import NOTHING_CHANGED, form_page
from nrm.core.spreadsheet import csv_download
from nrm.referrals import services as referral_services
from nrm.referrals.choices import Urgency
from nrm.referrals.forms import (
    ReferForm,
)

PAGE_SIZE = 50


# --- Helpers ---------------------------------------------------------------------------------


def _record_kind(view_name: str) -> str:
    return next((k for k in ("referral", "screening") if view_name.startswith(k)), "case")


# Coordinators, analysts and administrators have no case access: case pages do not exist for
# them, exactly as a missing record.
case_staff = role_gate(
    lambda user: access.has_role(user, *CASE_ROLES), record=_record_kind, reason="role without case access"
)


def paginate(request: HttpRequest, queryset):
    """Return the page of ``queryset`` the request asks for (``?page=``), ``PAGE_SIZE`` rows a page."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def denied(request: HttpRequest, action: str, pk: int) -> NotFound:
    """Audit a refused attempt at case ``pk`` and return the NotFound to raise (a 404, as for a missing case)."""
    return audit_denial(actor=request.user, action=action, object_type="case", object_id=pk, reason="web")


def case_for(
    request: HttpRequest, pk: int, action: Action | None = None, *, owner_only: bool = False, reason: str = "web"
) -> case_selectors.CaseView:
    """Return the case (audited read), or raise NotFound if the user may not ``action`` it."""
    view = case_selectors.case_get(request.user, pk, reason=reason)
    if owner_only and not view.is_owner:
        raise denied(request, f"case.{action or 'view'}", pk)
    if action is not None and not case_access.can(request.user, action, view.case):
        raise denied(request, f"case.{action}", pk)
    return view


def _active_list() -> IndicatorList | None:
    try:
        return case_services.active_indicator_list()
    except ValidationError:
        return None


def reasons_context(reasons: dict, definition: dict) -> dict:
    """Return a screening's stored reasons in the shape the templates and the live result show.

    Everything is said in the current language: the indicators and dimensions by their code from
    the list's definition (its translations, English where it has none), not as stored.
    """
    texts = {i["code"]: localized(i, "text") for i in definition.get("indicators", [])}
    titles = {d["code"]: localized(d, "title") for d in definition.get("dimensions", [])}
    reasons = {
        **reasons,
        "dimensions": [{**d, "title": titles.get(d["code"]) or d["title"]} for d in reasons.get("dimensions", [])],
    }
    clauses = reasons.get("clauses") or definition.get("dimension_rule", {}).get("any_of", [])
    dims = []
    for d in reasons["dimensions"]:
        counts = d.get("counts", {})
        dims.append(
            {
                "code": d["code"],
                "title": d["title"],
                "group": str(GROUP_LABELS.get(d["group"], d["group"].capitalize())),
                "positive": d["positive"],
                "status": screening_rule.dimension_status(d, clauses),
                "counts": _("%(strong)d strong, %(medium)d medium, %(weak)d weak")
                % {
                    "strong": counts.get("strong", 0),
                    "medium": counts.get("medium", 0),
                    "weak": counts.get("weak", 0),
                },
                "observed": [texts.get(code, code) for code in d.get("observed", [])],
            }
        )
    outcome = reasons.get("outcome") or (
        ScreeningResult.PRESUMED_VICTIM if reasons.get("presumed_victim") else ScreeningResult.NOT_INDICATED
    )
    return {
        "presumed_victim": bool(reasons.get("presumed_victim")),
        "result": outcome,
        "label": str(ScreeningResult(outcome).label),
        "explanation": explain(reasons),
        "rule": screening_rule.rule_text(clauses),
        "required_groups": [str(GROUP_LABELS.get(g, g)) for g in reasons.get("required_groups", [])],
        "dimensions": dims,
    }


# --- Screening -------------------------------------------------------------------------------


@case_staff
def screening_new(request: HttpRequest) -> HttpResponse:
    """Record a screening; the result is computed by the list's rule (live, with JavaScript)."""
    if not case_access.can_screen(request.user):
        raise Http404
    indicator_list = _active_list()
    if indicator_list is None:
        return render(request, "cases/screening_form.html", {"no_list": True}, status=503)
    form = ScreeningForm(request.POST or None, user=request.user, indicator_list=indicator_list)

    def save(d: dict):
        return case_services.screening_record(
            actor=request.user,
            organisation=d["organisation"],
            indicator_list=indicator_list,
            answers=d["answers"],
            forms=d.get("suspected_forms") or [],
            is_child=d["is_child"],
            anonymous=d["anonymous"],
            screened_on=d["screened_on"],
            sex=d["sex"],
            age_band=d["age_band"],
            citizenship=d["citizenship"],
            region=d["region"],
            channel=d["channel"],
        )

    return form_page(
        request,
        form,
        save,
        success=_("Screening saved."),
        done=lambda screening: redirect("web:screening_detail", pk=screening.pk),
        template="cases/screening_form.html",
        context={"indicator_list": indicator_list},
    )


@case_staff
@require_POST
def screening_evaluate(request: HttpRequest) -> JsonResponse:
    """Return, as JSON, what the screening rule says about the indicators ticked; store nothing."""
    if not case_access.can_screen(request.user):
        raise Http404
    indicator_list = _active_list()
    if indicator_list is None:
        return JsonResponse({"errors": {"indicator_list": [_("No active indicator list is loaded.")]}}, status=503)
    form = EvaluateForm(request.POST, indicator_list=indicator_list)
    if not form.is_valid():
        return JsonResponse({"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, status=400)
    try:
        outcome = evaluate(
            indicator_list.definition,
            form.cleaned_data["answers"],
            is_child=form.cleaned_data["is_child"],
            forms=form.cleaned_data["suspected_forms"],
        )
    except UnknownIndicator as exc:
        message = _("Not an indicator for this person: %(codes)s") % {"codes": exc}
        return JsonResponse({"errors": {"answers": [message]}}, status=400)
    return JsonResponse(reasons_context(outcome.as_reasons(), indicator_list.definition))


@case_staff
def screening_list(request: HttpRequest) -> HttpResponse:
    """List the screenings of the user's organisations, newest first."""
    qs = case_selectors.screening_list(request.user).select_related("case")
    result = request.GET.get("result", "")
    if result in ScreeningResult.values:
        qs = qs.filter(result=result)
    return render(
        request,
        "cases/screening_list.html",
        {"page": paginate(request, qs), "result": result, "results": ScreeningResult.choices},
    )


@case_staff
def screening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a screening's result and the reasons for it."""
    screening = case_selectors.screening_get(request.user, pk)
    case_visible = bool(screening.case_id) and case_access.can(request.user, Action.VIEW, screening.case)
    return render(
        request,
        "cases/screening_detail.html",
        {
            "screening": screening,
            "reasons": reasons_context(screening.reasons, screening.indicator_list.definition),
            "case_visible": case_visible,
            "can_open_case": screening.result != ScreeningResult.NOT_INDICATED and not screening.case_id,
        },
    )


# --- Cases -----------------------------------------------------------------------------------


@case_staff
def case_list(request: HttpRequest) -> HttpResponse:
    """List the cases the user may see, filtered, 50 a page; never decrypts identity."""
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    context = {"form": form, "can_screen": case_access.can_screen(request.user)}
    try:
        search = form.search()
    except ValidationError:
        # A search that cannot be made shows no list: every case would look like its answer.
        return render(request, "cases/case_list.html", {**context, "page": None, "search_refused": True}, status=400)
    page = paginate(request, case_selectors.case_list(request.user, search=search, **filters))
    page.object_list = list(page.object_list)
    case_selectors.audit_case_list(request.user, page.object_list, filters=filters, reason="web", search=search)
    return render(request, "cases/case_list.html", {**context, "page": page, "searched": search is not None})


EXPORT_COLUMNS = [
    "reference",
    "owner",
    "opened_on",
    "status",
    "closed_on",
    "closure_reason",
    "is_child",
    "sex",
    "age_band",
    "citizenship",
    "migration_status",
    "forms",
    "identification_status",
    "region",
    "country_of_exploitation",
]


def _export_rows(cases: Iterable[Case]) -> Iterator[list]:
    yield EXPORT_COLUMNS
    for c in cases:
        yield [
            c.reference,
            c.owner.name,
            c.opened_on.isoformat(),
            c.status,
            c.closed_on.isoformat() if c.closed_on else "",
            c.closure_reason,
            "1" if c.is_child else "0",
            c.person.sex,
            c.person.age_band,
            c.person.citizenship,
            c.person.migration_status,
            ";".join(f.code for f in c.forms.all()),
            c.identification_status,
            c.region,
            c.country_of_exploitation,
        ]


@case_staff
def case_export(request: HttpRequest) -> StreamingHttpResponse:
    """Export the filtered case list as CSV: non-identifying columns only; the export is audited."""
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    try:
        search = form.search()
    except ValidationError:
        return HttpResponse(_("The search by name cannot be made: see the case list."), status=400)
    qs = case_selectors.case_list(request.user, search=search, **filters)
    shown = {k: v for k, v in filters.items() if v}
    if search is not None:  # the token, never the name
        shown["name"] = {"token": search.token, "by": search.by}
    audit_record(
        actor=request.user,
        action="case.export",
        object_type="case",
        outcome="allowed",
        reason="web csv",
        detail={"filters": shown, "rows": qs.count()},
    )
    return csv_download(_export_rows(qs.iterator(chunk_size=2000)), f"cases-{timezone.localdate().isoformat()}.csv")


@case_staff
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case, prefilled from a screening when one is given (``?screening=ID``)."""
    if not case_access.can_screen(request.user):
        raise Http404
    screening = None
    screening_id = request.POST.get("screening") or request.GET.get("screening")
    if screening_id:
        if not str(screening_id).isdigit():
            raise Http404
        screening = case_selectors.screening_get(request.user, int(screening_id))
    initial = CaseOpenForm.initial_from_screening(screening) if screening else {}
    form = CaseOpenForm(request.POST or None, user=request.user, initial=initial)
    return form_page(
        request,
        form,
        lambda d: case_services.case_open(actor=request.user, screening=screening, **form.service_kwargs()),
        success=lambda case: _("Case %(ref)s opened.") % {"ref": case.reference},
        done=lambda case: redirect("web:case_detail", pk=case.pk),
        template="cases/case_form.html",
        context={"screening": screening},
    )


@case_staff
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a case as the user may see it; the read is audited."""
    user = request.user
    view = case_selectors.case_get(user, pk, reason="web")
    case = view.case
    my_orgs = set(member_organisations(user))
    is_open = case.status == CaseStatus.OPEN
    # Answered from the rows case_get loaded, as case_access.can would answer them, without a query each.
    can = {
        "manage": is_open and view.may(user, Action.MANAGE),
        "correct": is_open and view.may(user, Action.CORRECT),
        "refer": view.may(user, Action.REFER),
        "record_service": view.may(user, Action.RECORD_SERVICE),
        "identify": is_open and view.may(user, Action.IDENTIFY),
        "assign": view.is_owner and view.may(user, Action.ASSIGN),
        "flag": view.may(user, Action.FLAG),
        # The episodes are written by the owner's case roles only (the access rule of Episode).
        "episodes": is_open and case.owner_id in owner_organisations(user, Action.CORRECT),
        # GRETA's protection measures: the owner's case workers and identifiers (nrm.protection's rule).
        "protection": is_open and case.owner_id in owner_organisations(user, Action.MANAGE),
    }
    can["consent"] = can["refer"]
    # What ``case_get`` loaded through the access rule: a receiver's own referrals and services.
    services = list(case.services.all())
    for s in services:
        s.can_update = is_open and can["record_service"] and (s.organisation_id in my_orgs or case.owner_id in my_orgs)
    context = {
        "view": view,
        "case": case,
        "person": case.person,
        "forms": list(case.forms.all()),
        "episodes": list(case.episodes.all()),
        "timeline": case_selectors.case_timeline(view),
        "referrals": list(case.referrals.all()),
        "identifications": list(case.identifications.all()),
        "services": services,
        "can": can,
        "is_open": is_open,
        "flags": [f for f in case.flags.all() if f.is_active],
        "lifted_flags": [f for f in case.flags.all() if not f.is_active],
    }
    if can["flag"]:
        standing = {f.reason for f in context["flags"]}
        flag_form = FlagForm()
        flag_form.fields["reason"].choices = [c for c in FlagReason.choices if c[0] not in standing]
        context["flag_form"] = flag_form if flag_form.fields["reason"].choices else None
    if view.is_owner:
        context["consents"] = list(case.consents.all())
        context["notes"] = list(case.notes.all())
        context["note_form"] = NoteForm()
    context.update(_case_extras(user, view, can))
    response = render(request, "cases/case_detail.html", context)
    release(case)
    return response


def _case_extras(user, view: case_selectors.CaseView, can: dict) -> dict:
    """Return what other apps show on the case page (``case_selectors.case_extras``: a child's
    records, the case's transfers, its protection measures), from the rows ``case_get`` loaded."""
    extras = case_selectors.case_extras(user, view)
    can["transfer"] = extras.pop("can_transfer", False)
    return extras


def case_action_page(
    request: HttpRequest, form: Form, save: Callable[[dict], object], *, case: Case, title: str, submit: str, **options
) -> HttpResponse:
    """Answer one of the case's action forms; done, the user is back on the case."""
    context = {"case": case, "title": title, "submit": submit, **options.pop("context", {})}
    return form_page(
        request,
        form,
        save,
        done=reverse("web:case_detail", args=[case.pk]),
        template="cases/case_action.html",
        context=context,
        **options,
    )


@case_staff
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a case; a stale version is refused with a message and the user's input kept."""
    view = case_for(request, pk, Action.CORRECT, reason="edit")
    case = view.case
    form = CaseEditForm(
        request.POST or None,
        initial=CaseEditForm.initial_from_case(case),
        show_identity=view.show_identity,
        can_manage=case_access.can(request.user, Action.MANAGE, case),
    )

    def save(d: dict):
        changes, forms_ = form.changes()
        if not changes and forms_ is None:
            return NOTHING_CHANGED
        return case_services.case_update(
            actor=request.user, case=case, expected_version=d["version"], forms=forms_, **changes
        )

    return form_page(
        request,
        form,
        save,
        success=_("Case saved."),
        done=reverse("web:case_detail", args=[case.pk]),
        template="cases/case_edit.html",
        context={"case": case, "view": view},
    )


@case_staff
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a case with a reason; unanswered referrals are withdrawn, those in work completed."""
    view = case_for(request, pk, Action.MANAGE, reason="close")
    case = view.case
    form = CaseCloseForm(request.POST or None, initial={"version": case.version})
    return case_action_page(
        request,
        form,
        lambda d: case_services.case_close(
            actor=request.user,
            case=case,
            reason=d["reason"],
            note=d["note"],
            closed_on=d["closed_on"],
            expected_version=d["version"],
        ),
        case=case,
        title=_("Close case %(ref)s") % {"ref": case.reference},
        submit=_("Close the case"),
        success=_("Case closed."),
        context={
            "intro": _(
                "Who may close a case: the case workers and identification officers of the organisation that "
                "owns it, and the identification officers of the authority it was referred to. Closing "
                "withdraws the referrals not yet answered and completes those in work; a closed case can no "
                "longer be referred."
            ),
            "confirm": _("Close case %(ref)s? This cannot be undone here.") % {"ref": case.reference},
        },
    )


@case_staff
def consent_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the person's informed consents, several purposes at once; a receiver that refers on may too."""
    view = case_for(request, pk, Action.REFER, reason="consent")
    case = view.case
    return case_action_page(
        request,
        ConsentForm(request.POST or None),
        lambda d: case_services.consents_record(
            actor=request.user,
            case=case,
            purposes=d["purposes"],
            organisations=d["organisations"],
            given_on=d["given_on"],
            note=d["note"],
        ),
        case=case,
        title=_("Record consent for case %(ref)s") % {"ref": case.reference},
        submit=_("Record consent"),
        success=_("Consent recorded."),
    )


@case_staff
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_id: int) -> HttpResponse:
    """Record that the person withdrew a consent."""
    view = case_for(request, pk, Action.REFER, owner_only=True, reason="consent withdraw")
    consent = view.case.consents.filter(pk=consent_id).first()
    if consent is None:
        raise Http404
    consent.case = view.case
    # No page of its own: a refusal is a message on the case.
    back = reverse("web:case_detail", args=[view.case.pk])
    return form_page(
        request,
        None,
        lambda d: case_services.consent_withdraw(actor=request.user, consent=consent),
        success=_("Consent withdrawn."),
        done=back,
        invalid_to=back,
        conflict_to=back,
    )


@case_staff
def case_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Refer the case to another organisation, with consent or a stated legal ground."""
    view = case_for(request, pk, Action.REFER, reason="refer")
    case = view.case
    form = ReferForm(request.POST or None, user=request.user, case=case)

    def save(d: dict):
        return referral_services.referral_send(
            actor=request.user,
            case=case,
            to_org=d["to_org"],
            from_org=d["from_org"] if form.several_from else None,
            kind=d["kind"],
            urgency=d["urgency"] or Urgency.ROUTINE,
            service_type=d["service_type"],
            message=d["message"],
            legal_ground=d["legal_ground"],
            legal_ground_note=d["legal_ground_note"],
            shares_identity=d["shares_identity"],
            shares_documents=d["shares_documents"],
        )

    return form_page(
        request,
        form,
        save,
        success=lambda referral: _("Referral sent to %(org)s.") % {"org": referral.to_org.name},
        done=lambda referral: redirect("web:referral_detail", pk=referral.pk),
        template="cases/case_refer.html",
        context={"case": case, "view": view},
    )


@case_staff
def case_identify(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the identification authority's decision on a case."""
    view = case_for(request, pk, Action.IDENTIFY, reason="identify")
    case = view.case
    return case_action_page(
        request,
        IdentifyForm(request.POST or None),
        lambda d: case_services.identification_decide(
            actor=request.user, case=case, decision=d["decision"], grounds=d["grounds"], decided_on=d["decided_on"]
        ),
        case=case,
        title=_("Identification decision on case %(ref)s") % {"ref": case.reference},
        submit=_("Record the decision"),
        success=_("Decision recorded."),
    )


@case_staff
def service_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a service to the case's assistance plan."""
    view = case_for(request, pk, Action.RECORD_SERVICE, reason="service")
    case = view.case
    form = ServiceForm(request.POST or None, user=request.user, case=case, is_owner=view.is_owner)
    if not form.is_bound:
        form.prefill_from_referral(request.GET.get("referral", ""))
    return case_action_page(
        request,
        form,
        lambda d: case_services.service_record(
            actor=request.user,
            case=case,
            service_type=d["service_type"],
            organisation=d["organisation"],
            referral=d["referral"],
            status=d["status"],
            started_on=d["started_on"],
            ended_on=d["ended_on"],
            outcome=d["outcome"],
        ),
        case=case,
        title=_("Add a service to case %(ref)s") % {"ref": case.reference},
        submit=_("Add the service"),
        success=_("Service added to the assistance plan."),
    )


@case_staff
def service_edit(request: HttpRequest, pk: int, service_id: int) -> HttpResponse:
    """Update a service's status, dates and outcome (optimistic locking)."""
    view = case_for(request, pk, Action.RECORD_SERVICE, reason="service update")
    case = view.case
    # Among the services the user may see: another receiver's is missing, like an unknown one.
    delivery = next((s for s in case.services.all() if s.pk == service_id), None)
    if delivery is None:
        raise denied(request, "service.update", pk)
    delivery.case = case
    form = ServiceUpdateForm(request.POST or None, initial=ServiceUpdateForm.initial_from(delivery))

    def save(d: dict):
        changes = form.changes()
        if not changes:
            return NOTHING_CHANGED
        return case_services.service_update(
            actor=request.user, delivery=delivery, expected_version=d["version"], **changes
        )

    return case_action_page(
        request,
        form,
        save,
        case=case,
        title=_("%(service)s by %(org)s") % {"service": delivery.service_type.name, "org": delivery.organisation.name},
        submit=_("Save"),
        success=_("Service updated."),
    )


@case_staff
@require_POST
def note_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a note to the case (the owner's staff only)."""
    view = case_for(request, pk, Action.MANAGE, owner_only=True, reason="note")
    case = view.case
    return case_action_page(
        request,
        NoteForm(request.POST),
        lambda d: case_services.note_add(actor=request.user, case=case, text=d["text"]),
        case=case,
        title=_("Add a note to case %(ref)s") % {"ref": case.reference},
        submit=_("Add the note"),
        success=_("Note added."),
        context={"action_url": request.path},
    )


@case_staff
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the case's responsible case worker (the owner's case workers)."""
    # Refused before the case is read: the owner's frontline worker may read it, not assign it.
    if not Case.objects.filter(pk=pk, owner__in=owner_organisations(request.user, Action.ASSIGN)).exists():
        raise denied(request, "case.assign", pk)
    view = case_for(request, pk, Action.ASSIGN, owner_only=True, reason="assign")
    case = view.case
    return case_action_page(
        request,
        AssignForm(request.POST or None, case=case),
        lambda d: case_services.case_assign(actor=request.user, case=case, responsible=d["responsible"]),
        case=case,
        title=_("Responsible case worker for case %(ref)s") % {"ref": case.reference},
        submit=_("Assign"),
        success=_("Responsible case worker assigned."),
        conflict_on_field=True,
    )


@case_staff
@require_POST
def flag_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a flag on the case; no page of its own, a refusal is a message on the case."""
    view = case_for(request, pk, Action.FLAG, reason="flag")
    back = reverse("web:case_detail", args=[view.case.pk])
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the reason of the flag."))
        return redirect(back)

    def save(data: dict):
        try:
            return case_services.flag_raise(
                actor=request.user, case=view.case, reason=data["reason"], note=data["note"]
            )
        except ValidationError as exc:
            # No page of its own: the message is shown on the case, so it names the field itself.
            raise ValidationError(_labelled(form, exc)) from None

    return form_page(request, form, save, success=_("Flag raised."), done=back, invalid_to=back, conflict_to=back)


def _labelled(form: Form, exc: ValidationError) -> list[str]:
    """Return the messages of ``exc``, each after the label of the form field it names."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    return [
        f"{form.fields[name].label}: {message}" if name in form.fields else message
        for name, messages_ in errors.items()
        for message in messages_
    ]


@case_staff
@require_POST
def flag_lift(request: HttpRequest, pk: int, flag_id: int) -> HttpResponse:
    """Lift a standing flag of the case."""
    view = case_for(request, pk, Action.FLAG, reason="flag lift")
    flag = next((f for f in view.case.flags.all() if f.pk == flag_id), None)
    if flag is None:
        raise Http404
    flag.case = view.case
    back = reverse("web:case_detail", args=[view.case.pk])
    return form_page(
        request,
        None,
        lambda d: case_services.flag_lift(actor=request.user, flag=flag),
        success=_("Flag lifted."),
        done=back,
        invalid_to=back,
        conflict_to=back,
    )


# --- Episodes of exploitation ----------------------------------------------------------------


def _episode_case(request: HttpRequest, pk: int, audit_action: str, reason: str) -> case_selectors.CaseView:
    """Return the case whose episodes the user writes: the owner's case roles, the case open."""
    # Asked before the audited read: anyone else is refused without having read the case.
    if not Case.objects.filter(pk=pk, owner__in=owner_organisations(request.user, Action.CORRECT)).exists():
        raise denied(request, audit_action, pk)
    return case_for(request, pk, reason=reason)


def _episode_of(request: HttpRequest, view: case_selectors.CaseView, episode_id: int, audit_action: str):
    # Among the episodes loaded with the case: another case's is missing, like an unknown one.
    episode = next((e for e in view.case.episodes.all() if e.pk == episode_id), None)
    if episode is None:
        raise denied(request, audit_action, view.case.pk)
    episode.case = view.case
    return episode


@case_staff
def episode_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an episode of exploitation to the case."""
    view = _episode_case(request, pk, "case.episode_add", reason="episode")
    case = view.case
    form = EpisodeForm(request.POST or None, adding=True)
    return case_action_page(
        request,
        form,
        lambda d: case_services.episode_add(actor=request.user, case=case, **form.values()),
        case=case,
        title=_("Add an episode of exploitation to case %(ref)s") % {"ref": case.reference},
        submit=_("Add the episode"),
        success=_("Episode added."),
    )


@case_staff
def episode_edit(request: HttpRequest, pk: int, episode_id: int) -> HttpResponse:
    """Change an episode of exploitation (optimistic locking)."""
    view = _episode_case(request, pk, "case.episode_update", reason="episode update")
    episode = _episode_of(request, view, episode_id, "case.episode_update")
    form = EpisodeForm(request.POST or None, initial=EpisodeForm.initial_from(episode))

    def save(d: dict):
        changes = form.changes()
        if not changes:
            return NOTHING_CHANGED
        return case_services.episode_update(
            actor=request.user, episode=episode, expected_version=d["version"], **changes
        )

    return case_action_page(
        request,
        form,
        save,
        case=view.case,
        title=_("Episode of exploitation: %(form)s") % {"form": episode.form},
        submit=_("Save"),
        success=_("Episode updated."),
    )


@case_staff
@require_POST
def episode_remove(request: HttpRequest, pk: int, episode_id: int) -> HttpResponse:
    """Remove an episode recorded in error; no page of its own, a refusal is a message on the case."""
    view = _episode_case(request, pk, "case.episode_remove", reason="episode remove")
    episode = _episode_of(request, view, episode_id, "case.episode_remove")
    back = reverse("web:case_detail", args=[view.case.pk])
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() else None
    return form_page(
        request,
        None,
        lambda d: case_services.episode_remove(actor=request.user, episode=episode, expected_version=expected),
        success=_("Episode removed."),
        done=back,
        invalid_to=back,
        conflict_to=back,
    )


@case_staff
def case_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the case summary PDF in the user's language; a case the user may not see is a 404."""
    view, pdf = case_summary(request.user, pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{view.case.reference}-summary.pdf"'
    response["Cache-Control"] = "no-store"
    return response
