"""Web pages of the helpline: thin views over selectors, forms and services.

A helpline's staff log and read their organisation's calls and turn one into an anonymous
screening; the Coordinator's office and analysts read only the statistics. Anyone else finds no
page here: a 404, the same as a missing call. Service errors go back on the field they name; a
call already converted is a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import helpline_organisations, reads_national_statistics
from nrm.accounts.gates import role_gate
from nrm.cases import services as case_services
from nrm.core.pages import form_page
from nrm.helpline import selectors, services
from nrm.helpline.choices import Channel
from nrm.helpline.forms import CallFilterForm, CallForm, CallScreeningForm, StatisticsForm
from nrm.helpline.models import Topic
from nrm.reporting import display
from nrm.reporting.engine import MARKER

PAGE_SIZE = 50


# The staff of a helpline; anyone else finds no page here, and an attempt at a particular call
# is an audited denial.
helpline_staff = role_gate(
    lambda user: bool(helpline_organisations(user)),
    record="helpline_call",
    action="helpline.view",
    reason="role without helpline access",
)


@helpline_staff
def call_list(request: HttpRequest) -> HttpResponse:
    """List the calls of the user's helplines, newest first, filtered by month, channel and topic."""
    form = CallFilterForm(request.GET or None)
    qs = selectors.call_list(request.user, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "helpline/call_list.html", {"form": form, "page": page})


@helpline_staff
def call_new(request: HttpRequest) -> HttpResponse:
    """Log a call or message to the helpline."""
    form = CallForm(request.POST or None, user=request.user)

    def save(d: dict):
        return services.call_log(
            actor=request.user,
            organisation=d["organisation"],
            channel=d["channel"],
            topic=d["topic"],
            received_at=d["received_at"],
            language=d["language"],
            region=d["region"],
            referral_made=d["referral_made"],
            referred_to=d["referred_to"],
            referred_to_other=d["referred_to_other"],
            notes=d["notes"],
        )

    return form_page(
        request,
        form,
        save,
        success=_("Call logged."),
        done=lambda call: redirect("helpline:call_detail", pk=call.pk),
        template="helpline/call_form.html",
    )


@helpline_staff
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a call, with its screening or the action that makes one."""
    call = selectors.call_get(request.user, pk)
    return render(request, "helpline/call_detail.html", {"call": call})


@helpline_staff
def call_screening(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a call into an anonymous screening in one step, then show the screening."""
    call = selectors.call_get(request.user, pk)
    if call.screening_id:
        messages.info(request, _("This call was already turned into a screening."))
        return redirect("helpline:call_detail", pk=call.pk)
    try:
        indicator_list = case_services.active_indicator_list()
    except ValidationError:
        return render(request, "helpline/call_screening.html", {"call": call, "no_list": True}, status=503)
    form = CallScreeningForm(request.POST or None, user=request.user, indicator_list=indicator_list)

    def save(d: dict):
        return services.helpline_call_to_screening(
            actor=request.user,
            call=call,
            indicator_list=indicator_list,
            answers=d["answers"],
            is_child=d["is_child"],
            sex=d["sex"],
            age_band=d["age_band"],
            citizenship=d["citizenship"],
        )

    return form_page(
        request,
        form,
        save,
        success=_("Screening saved from the call."),
        done=lambda screening: redirect("web:screening_detail", pk=screening.pk),
        template="helpline/call_screening.html",
        context={"call": call, "indicator_list": indicator_list},
        # Converted meanwhile: the call's page says so.
        conflict_to=reverse("helpline:call_detail", args=[call.pk]),
    )


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Show helpline statistics: national readers get the engine's suppressed tables, staff their own calls.

    The Coordinator's office and analysts read the national tables of the statistics engine, with
    its disclosure control; a helpline's staff read their own helpline's calls by month, channel and
    topic as they are. Anyone else: 404.
    """
    form = StatisticsForm(request.GET or None)
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else None
    context: dict = {"form": form, "is_staff": bool(helpline_organisations(request.user)), "marker": MARKER}
    if reads_national_statistics(request.user):
        query = f"?year_from={year}&year_to={year}" if year else ""
        tables = selectors.national_statistics(request.user, year=year)
        context.update(
            national=True,
            threshold=tables[0].threshold,
            tables=[
                {
                    "table": t,
                    "panels": display.panels(t),
                    "csv": reverse("reporting:table_csv", args=[t.name]) + query,
                    "page": reverse("reporting:table", args=[t.name]) + query,
                }
                for t in tables
            ],
        )
        return render(request, "helpline/statistics.html", context)
    try:
        rows = selectors.call_statistics(request.user, year=year)
    except PermissionDenied:
        raise Http404 from None
    topics = dict(Topic.objects.values_list("code", "name"))
    channels = dict(Channel.choices)
    for row in rows:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["topic_label"] = topics.get(row["topic"], row["topic"])
    context.update(national=False, threshold=None, results=rows)
    return render(request, "helpline/statistics.html", context)
