"""Web pages of criminal proceedings: thin views over the justice selectors, forms and services.

The staff of police, prosecution and courts read and edit the proceedings their organisation
holds or that were shared with it (only the owner shares); anyone else finds no page here: a
404, the same as a missing one. Service errors go back on the field they name; a stale edit
(optimistic locking) is shown as a conflict, with the user's input kept.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import JusticeAction, justice_organisations
from nrm.accounts.gates import role_gate
from nrm.core.errors import invalid
from nrm.core.pages import form_page
from nrm.core.params import year_or_none
from nrm.justice import forms as jforms
from nrm.justice import selectors, services
from nrm.justice.choices import STAGE_DATE, STAGE_ORDER, Stage
from nrm.justice.models import Charge, Defendant, ProceedingVictim
from nrm.reporting import display
from nrm.reporting.engine import MARKER

PAGE_SIZE = 50


# The staff of justice organisations; anyone else finds no page here, and an attempt at a
# particular proceeding is an audited denial.
justice_staff = role_gate(
    lambda user: bool(justice_organisations(user, JusticeAction.VIEW)),
    record="proceeding",
    reason="role without justice access",
)


@justice_staff
def proceeding_list(request: HttpRequest) -> HttpResponse:
    """List the proceedings of the user's justice organisations, filtered by stage, year and reference."""
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    year = year_or_none(request.GET.get("year"))
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
            "can_open": bool(justice_organisations(request.user, JusticeAction.EDIT)),
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
    request: HttpRequest,
    form: Form,
    save: Callable[[dict], object],
    *,
    title: str,
    submit: str,
    success: str | Callable[[object], str],
    proceeding=None,
    intro: str = "",
    **options,
) -> HttpResponse:
    """Answer a justice form; done, the user is on the proceeding (the one ``save`` opened, if new)."""
    return form_page(
        request,
        form,
        save,
        success=success,
        done=lambda saved: reverse("justice:proceeding_detail", args=[(proceeding or saved).pk]),
        template="justice/form.html",
        context={"title": title, "submit": submit, "proceeding": proceeding, "intro": intro},
        **options,
    )


@justice_staff
def proceeding_new(request: HttpRequest) -> HttpResponse:
    """Open a proceeding for one of the user's justice organisations, with the victims' cases it concerns."""
    if not justice_organisations(request.user, JusticeAction.EDIT):
        raise Http404
    form = jforms.ProceedingOpenForm(request.POST or None, user=request.user)

    def save(d: dict):
        cases, missing = selectors.cases_by_reference(request.user, d["cases"])
        if missing:
            raise invalid("cases", _("No such case: %(refs)s") % {"refs": ", ".join(missing)})
        return services.proceeding_open(
            actor=request.user,
            organisation=d["organisation"],
            reference=d["reference"],
            investigation_on=d["investigation_on"],
            court=d["court"],
            forms=d["forms"] or None,
            cases=cases,
            notes=d["notes"],
        )

    return _form_page(
        request,
        form,
        save,
        title=_("Open a proceeding"),
        submit=_("Open the proceeding"),
        success=_("Proceeding opened."),
    )


@justice_staff
def proceeding_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a proceeding forward to a later stage, with the date it was reached."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    return _form_page(
        request,
        jforms.AdvanceForm(request.POST or None, proceeding=proceeding),
        lambda d: services.proceeding_advance(
            actor=request.user, proceeding=proceeding, stage=d["stage"], on=d["on"], expected_version=d["version"]
        ),
        title=_("Advance proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Record the stage"),
        success=_("Stage recorded."),
        proceeding=proceeding,
    )


@justice_staff
def defendant_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a defendant (identity encrypted) with the offences charged."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    return _form_page(
        request,
        jforms.DefendantForm(request.POST or None),
        lambda d: services.defendant_add(actor=request.user, proceeding=proceeding, **d),
        title=_("Add a defendant to proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Add the defendant"),
        success=_("Defendant added."),
        proceeding=proceeding,
    )


@justice_staff
def charge_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge a defendant of the proceeding with one more offence."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)

    def save(d: dict):
        defendant = Defendant.objects.select_related("proceeding").get(proceeding=proceeding, pk=d["defendant"])
        return services.charge_add(actor=request.user, defendant=defendant, offence=d["offence"])

    return _form_page(
        request,
        jforms.ChargeForm(request.POST or None, proceeding=proceeding),
        save,
        title=_("Add a charge in proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Add the charge"),
        success=_("Charge added."),
        proceeding=proceeding,
    )


@justice_staff
def verdict_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the verdict on one charge at one instance, with the sentence when convicted."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)

    def save(d: dict):
        d = dict(d)
        charge = Charge.objects.select_related("defendant__proceeding").get(
            defendant__proceeding=proceeding, pk=d.pop("charge")
        )
        return services.verdict_record(actor=request.user, charge=charge, **d)

    return _form_page(
        request,
        jforms.VerdictForm(request.POST or None, proceeding=proceeding),
        save,
        title=_("Record a verdict in proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Record the verdict"),
        success=_("Verdict recorded."),
        proceeding=proceeding,
        # A verdict already recorded is told next to the instance it names.
        conflict_on_field=True,
    )


@justice_staff
def asset_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record assets seized provisionally or confiscated by a final decision in the proceeding."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)
    return _form_page(
        request,
        jforms.AssetForm(request.POST or None),
        lambda d: services.asset_record(actor=request.user, proceeding=proceeding, **d),
        title=_("Record assets seized or confiscated in proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Record the assets"),
        success=_("Assets recorded."),
        proceeding=proceeding,
        intro=_("One decision and one currency per record; a seizure later confiscated is recorded again as such."),
    )


@justice_staff
def victim_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a victim's case (one the user may see) to the proceeding, with role and protection."""
    proceeding = selectors.proceeding_for_edit(request.user, pk)

    def save(d: dict):
        cases, _missing = selectors.cases_by_reference(request.user, [d["case"].strip()])
        if not cases:
            raise invalid("case", _("No such case."))
        return services.victim_link(
            actor=request.user,
            proceeding=proceeding,
            case=cases[0],
            role=d["role"],
            protection_measures=d["protection_measures"],
        )

    return _form_page(
        request,
        jforms.VictimLinkForm(request.POST or None),
        save,
        title=_("Link a victim's case to proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Link the case"),
        success=_("Victim's case linked."),
        proceeding=proceeding,
    )


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
    return _form_page(
        request,
        form,
        lambda d: services.victim_update(
            actor=request.user, part=part, expected_version=d["version"], **form.changes()
        ),
        title=_("Case %(case)s in proceeding %(ref)s") % {"case": part.case.reference, "ref": proceeding.reference},
        submit=_("Save"),
        success=_("Victim's part saved."),
        proceeding=proceeding,
    )


@justice_staff
def proceeding_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the proceeding with another justice organisation (the owner's staff only)."""
    proceeding = selectors.proceeding_for_edit(request.user, pk, JusticeAction.SHARE)
    form = jforms.ShareForm(request.POST or None, proceeding=proceeding)
    return _form_page(
        request,
        form,
        lambda d: services.proceeding_share(
            actor=request.user, proceeding=proceeding, organisation=d["organisation"], shared_on=d["shared_on"]
        ),
        title=_("Share proceeding %(ref)s") % {"ref": proceeding.reference},
        submit=_("Share"),
        success=lambda _result: _("Proceeding shared with %(org)s.") % {"org": form.cleaned_data["organisation"].name},
        proceeding=proceeding,
        intro=_(
            "The organisation you share with sees the whole proceeding, defendants' identity included, and may edit it."
        ),
    )


# --- Statistics ------------------------------------------------------------------------------


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Show the justice tables of the statistics engine, suppressed, with amounts and medians where published.

    For justice staff and national readers (the Coordinator's office, analysts); anyone else: 404.
    """
    year = year_or_none(request.GET.get("year"))
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
                "assets": item.assets,
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
        for row in entry["assets"] or []:
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
