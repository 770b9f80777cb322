"""Web pages of criminal proceedings: thin views over the justice selectors, forms and services.

The staff of police, prosecution and courts read and edit the proceedings their organisation
holds or that were shared with it (only the owner shares); anyone else finds no page here: a
404, the same as a missing one. Service errors go back on the field they name; a stale edit
(optimistic locking) is shown as a conflict, with the user's input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import JusticeAction, justice_org_ids
from nrm.audit.services import audit_record
from nrm.core.errors import Conflict, NotFound
from nrm.justice import forms as jforms
from nrm.justice import selectors, services
from nrm.justice.choices import STAGE_DATE, STAGE_ORDER, Stage
from nrm.justice.models import Charge, Defendant, ProceedingVictim
from nrm.reporting import display
from nrm.reporting.engine import MARKER
from nrm.web.pages import add_conflict, add_service_errors

PAGE_SIZE = 50


def justice_staff(view: Callable) -> Callable:
    """Let in the staff of justice organisations; anyone else, and a NotFound, gets a 404.

    A refused attempt at a particular proceeding is audited.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not justice_org_ids(request.user, JusticeAction.VIEW):
            if "pk" in kwargs:
                audit_record(
                    actor=request.user,
                    action="proceeding.view",
                    object_type="proceeding",
                    object_id=kwargs["pk"],
                    outcome="denied",
                    reason="role without justice access",
                )
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return login_required(wrapped)


@justice_staff
def proceeding_list(request: HttpRequest) -> HttpResponse:
    """List the proceedings of the user's justice organisations, filtered by stage, year and reference."""
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    year = request.GET.get("year", "").strip()
    q = request.GET.get("q", "").strip()
    qs = selectors.proceeding_list(request.user, stage=stage, year=year, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "justice/proceeding_list.html",
        {
            "page": page,
            "stage": stage,
            "year": year,
            "q": q,
            "stages": Stage.choices,
            "can_open": bool(justice_org_ids(request.user, JusticeAction.EDIT)),
        },
    )


@justice_staff
def proceeding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a proceeding: stages, defendants with their charges and verdicts, the victims' parts."""
    view = selectors.proceeding_get(request.user, pk, reason="web")
    p = view.proceeding
    reached = STAGE_ORDER.index(p.stage)
    stages = [
        {"label": label, "on": getattr(p, STAGE_DATE[value]), "reached": n <= reached, "current": value == p.stage}
        for n, (value, label) in enumerate(Stage.choices)
    ]
    return render(
        request,
        "justice/proceeding_detail.html",
        {"view": view, "proceeding": p, "stages": stages, "can_advance": reached < len(STAGE_ORDER) - 1},
    )


# --- Writes ----------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: Form, *, title: str, submit: str, proceeding=None, status: int = 200, intro: str = ""
) -> HttpResponse:
    return render(
        request,
        "justice/form.html",
        {"form": form, "title": title, "submit": submit, "proceeding": proceeding, "intro": intro},
        status=status,
    )


def _done(request: HttpRequest, message: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("justice:proceeding_detail", pk=pk)


@justice_staff
def proceeding_new(request: HttpRequest) -> HttpResponse:
    """Open a proceeding for one of the user's justice organisations, with the victims' cases it concerns."""
    if not justice_org_ids(request.user, JusticeAction.EDIT):
        raise Http404
    form = jforms.ProceedingOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        cases, missing = selectors.cases_by_reference(request.user, d["cases"])
        if missing:
            form.add_error("cases", _("No such case: %(refs)s") % {"refs": ", ".join(missing)})
        else:
            try:
                proceeding = services.proceeding_open(
                    actor=request.user,
                    organisation=d["organisation"],
                    reference=d["reference"],
                    investigation_on=d["investigation_on"],
                    court=d["court"],
                    forms=d["forms"] or None,
                    cases=cases,
                    notes=d["notes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _done(request, _("Proceeding opened."), proceeding.pk)
    return _form_page(request, form, title=_("Open a proceeding"), submit=_("Open the proceeding"))


@justice_staff
def proceeding_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a proceeding forward to a later stage, with the date it was reached."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    form = jforms.AdvanceForm(request.POST or None, proceeding=proceeding)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.proceeding_advance(
                actor=request.user, proceeding=proceeding, stage=d["stage"], on=d["on"], expected_version=d["version"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            status = add_conflict(form, exc)
        else:
            return _done(request, _("Stage recorded."), pk)
    title = _("Advance proceeding %(ref)s") % {"ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Record the stage"), proceeding=proceeding, status=status)


@justice_staff
def defendant_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a defendant (identity encrypted) with the offences charged."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    form = jforms.DefendantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.defendant_add(actor=request.user, proceeding=proceeding, **d)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(request, _("Defendant added."), pk)
    title = _("Add a defendant to proceeding %(ref)s") % {"ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Add the defendant"), proceeding=proceeding)


@justice_staff
def charge_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge a defendant of the proceeding with one more offence."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    form = jforms.ChargeForm(request.POST or None, proceeding=proceeding)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        defendant = Defendant.objects.select_related("proceeding").get(proceeding=proceeding, pk=d["defendant"])
        try:
            services.charge_add(actor=request.user, defendant=defendant, offence=d["offence"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(request, _("Charge added."), pk)
    title = _("Add a charge in proceeding %(ref)s") % {"ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Add the charge"), proceeding=proceeding)


@justice_staff
def verdict_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the verdict on one charge at one instance, with the sentence when convicted."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    form = jforms.VerdictForm(request.POST or None, proceeding=proceeding)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        charge = Charge.objects.select_related("defendant__proceeding").get(
            defendant__proceeding=proceeding, pk=d.pop("charge")
        )
        try:
            services.verdict_record(actor=request.user, charge=charge, **d)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = 409
        else:
            return _done(request, _("Verdict recorded."), pk)
    title = _("Record a verdict in proceeding %(ref)s") % {"ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Record the verdict"), proceeding=proceeding, status=status)


@justice_staff
def victim_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a victim's case (one the user may see) to the proceeding, with role and protection."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    form = jforms.VictimLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        cases, _missing = selectors.cases_by_reference(request.user, [d["case"].strip()])
        if not cases:
            form.add_error("case", _("No such case."))
        else:
            try:
                services.victim_link(
                    actor=request.user,
                    proceeding=proceeding,
                    case=cases[0],
                    role=d["role"],
                    protection_measures=d["protection_measures"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _done(request, _("Victim's case linked."), pk)
    title = _("Link a victim's case to proceeding %(ref)s") % {"ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Link the case"), proceeding=proceeding)


@justice_staff
def victim_edit(request: HttpRequest, pk: int, part_id: int) -> HttpResponse:
    """Change a victim's role, protection and compensation claimed, awarded and paid (optimistic locking)."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    part = (
        ProceedingVictim.objects.filter(proceeding=proceeding, pk=part_id)
        .select_related("case")
        .defer(*selectors.CASE_SECRETS)
        .prefetch_related("protection_measures")
        .first()
    )
    if part is None:
        raise Http404
    form = jforms.VictimPartForm(request.POST or None, part=part)
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.victim_update(
                actor=request.user, part=part, expected_version=form.cleaned_data["version"], **changes
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            status = add_conflict(form, exc)
        else:
            return _done(request, _("Victim's part saved."), pk)
    title = _("Case %(case)s in proceeding %(ref)s") % {"case": part.case.reference, "ref": proceeding.reference}
    return _form_page(request, form, title=title, submit=_("Save"), proceeding=proceeding, status=status)


@justice_staff
def proceeding_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the proceeding with another justice organisation (the owner's staff only)."""
    proceeding = selectors.proceeding_for_edit(request.user, pk, JusticeAction.SHARE)
    form = jforms.ShareForm(request.POST or None, proceeding=proceeding)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.proceeding_share(
                actor=request.user, proceeding=proceeding, organisation=d["organisation"], shared_on=d["shared_on"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(request, _("Proceeding shared with %(org)s.") % {"org": d["organisation"].name}, pk)
    title = _("Share proceeding %(ref)s") % {"ref": proceeding.reference}
    intro = _(
        "The organisation you share with sees the whole proceeding, defendants' identity included, and may edit it."
    )
    return _form_page(request, form, title=title, submit=_("Share"), proceeding=proceeding, intro=intro)


# --- Statistics ------------------------------------------------------------------------------


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Show the justice tables of the statistics engine, suppressed, with amounts and medians where published.

    For justice staff and national readers (the Coordinator's office, analysts); anyone else: 404.
    """
    raw_year = request.GET.get("year", "").strip()
    year = int(raw_year) if raw_year.isdigit() and 1900 <= int(raw_year) <= 2100 else None
    try:
        published = selectors.justice_statistics(request.user, year=year)
    except PermissionDenied:
        raise Http404 from None
    query = f"?year_from={year}&year_to={year}" if year else ""
    tables = []
    for item in published:
        name = item.table.name
        tables.append(
            {
                "table": item.table,
                "panels": display.panels(item.table),
                "amounts": item.amounts,
                "medians": item.medians,
                "labels": item.table.labels,
                "csv": reverse("reporting:table_csv", args=[name]) + query,
                "page": reverse("reporting:table", args=[name]) + query,
            }
        )
    for entry in tables:
        for row in entry["amounts"] or []:
            row["status_label"] = display.label(entry["table"], "compensation_status", row["compensation_status"])
            row["year_label"] = display.label(entry["table"], "year", row["year"])
        for row in entry["medians"] or []:
            row["year_label"] = display.label(entry["table"], "year", row["year"])
    return render(
        request,
        "justice/statistics.html",
        {
            "tables": tables,
            "year": year or "",
            "marker": MARKER,
            "threshold": published[0].table.threshold if published else None,
        },
    )
