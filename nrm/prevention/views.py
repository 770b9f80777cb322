"""Web pages of prevention, training and awareness: thin views over selectors, forms and services.

Anyone who may read prevention records sees the pages (their organisation's records; the
Coordinator's office and analysts every organisation's); those who may record them for an
organisation get the forms. Anyone else, and any record outside the access rule, is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.core.paginator import Paginator
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import PreventionAction
from nrm.accounts.gates import role_gate
from nrm.core.pages import form_page
from nrm.core.params import year_or_none
from nrm.core.spreadsheet import csv_download
from nrm.prevention import selectors, services
from nrm.prevention.choices import AwarenessKind, EventKind
from nrm.prevention.forms import (
    AttendanceFormSet,
    AwarenessForm,
    EventForm,
    FilterForm,
    MaterialFormSet,
    ResultFormSet,
    SurveyForm,
    add_row_errors,
    rows_of,
)
from nrm.prevention.models import Event

PAGE_SIZE = 50


# Users who may read prevention records; anyone else finds no page here (a 404).
prevention_reader = role_gate(selectors.may_view)
# A record's page: anyone signed in reaches the selector, which refuses a record outside the
# access rule with an audited denial (a 404, as for a missing one).
record_page = role_gate(lambda user: True)


def _editor(request: HttpRequest) -> None:
    if not selectors.may_edit(request.user):
        raise Http404


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@prevention_reader
def index(request: HttpRequest) -> HttpResponse:
    """This year's figures (or ``?year=``) of the records the user may see, and the links."""
    year = year_or_none(request.GET.get("year")) or timezone.localdate().year
    return render(
        request,
        "prevention/index.html",
        {"summary": selectors.year_summary(request.user, year), "can_edit": selectors.may_edit(request.user)},
    )


# --- Events ------------------------------------------------------------------------------------


def _event_filters(request: HttpRequest) -> tuple[FilterForm, dict]:
    form = FilterForm(request.GET or None, user=request.user, kinds=EventKind.choices)
    return form, form.filters()


@prevention_reader
def event_list(request: HttpRequest) -> HttpResponse:
    """List the events the user may see, filtered by year, kind, region and organiser."""
    form, filters = _event_filters(request)
    page = _page(request, selectors.event_list(request.user, **filters))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prevention/event_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "can_edit": selectors.may_edit(request.user)},
    )


EXPORT_COLUMNS = [
    "id",
    "kind",
    "title",
    "topic",
    "starts_on",
    "ends_on",
    "organiser",
    "region",
    "location",
    "programme",
    "task",
    "participants",
    "forms_returned",
    "average_score",
    "share_useful",
]


def _export_rows(events) -> Iterator[list]:
    yield EXPORT_COLUMNS
    for e in events:
        yield [
            e.pk,
            e.kind,
            e.title,
            e.topic,
            e.starts_on.isoformat(),
            e.ends_on.isoformat(),
            e.organiser.name,
            e.region,
            e.location,
            e.programme.code if e.programme_id else "",
            e.task.number if e.task_id else "",
            e.participants,
            e.forms_returned,
            e.average_score,
            e.share_useful,
        ]


@prevention_reader
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered event list as CSV (no free text beyond titles and topics)."""
    _form, filters = _event_filters(request)
    events = selectors.event_list(request.user, **filters).iterator(chunk_size=2000)
    return csv_download(_export_rows(events), f"events-{timezone.localdate().isoformat()}.csv")


def _attendance_initial(event: Event) -> list[dict]:
    return [
        {"profession": a.profession.code, "organisation": a.organisation_id, "sex": a.sex, "count": a.count}
        for a in event.attendance.all()
    ]


def _rows_page(
    request: HttpRequest,
    form: Form,
    formset: BaseFormSet,
    prefix: str,
    save: Callable[[dict, list[dict]], object],
    **options,
) -> HttpResponse:
    """Answer a record form with its rows: ``save(cleaned_data, rows)``; a service's error on a row goes there."""
    return form_page(
        request,
        form,
        lambda d: save(d, rows_of(formset)[0]),
        formsets=[formset],
        errors=lambda exc: add_row_errors(form, formset, rows_of(formset)[1], exc, prefix),
        **options,
    )


def _event_form_page(request: HttpRequest, event: Event | None) -> HttpResponse:
    initial, rows_initial = {}, []
    if event is not None:
        initial = {name: getattr(event, name) for name in services.EVENT_FIELDS}
        initial.update(partners=list(event.partners.all()), version=event.version)
        rows_initial = _attendance_initial(event)
    form = EventForm(request.POST or None, user=request.user, initial=initial)
    formset = AttendanceFormSet(request.POST or None, prefix="attendance", initial=rows_initial)

    def save(d: dict, rows: list[dict]) -> Event:
        d = dict(d)
        version = d.pop("version")
        if event is None:
            return services.event_record(actor=request.user, attendance=rows, **d)
        return services.event_update(
            actor=request.user, event=event, expected_version=version or event.version, attendance=rows, **d
        )

    return _rows_page(
        request,
        form,
        formset,
        "attendance",
        save,
        success=_("Event saved."),
        done=lambda saved: redirect("prevention:event_detail", pk=saved.pk),
        template="prevention/event_form.html",
        context={"formset": formset, "event": event},
    )


@prevention_reader
def event_new(request: HttpRequest) -> HttpResponse:
    """Record a training, round table, seminar or conference with its participants."""
    _editor(request)
    return _event_form_page(request, None)


@record_page
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an event of the user's organisation; a stale edit is refused (409), not lost."""
    event = selectors.event_get(request.user, pk, PreventionAction.EDIT)
    return _event_form_page(request, event)


@record_page
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an event: participants by profession, evaluation, linked programme and Action Plan task."""
    event = selectors.event_get(request.user, pk)
    evidence = None
    if event.task_id:
        evidence = selectors.task_evidence(request.user, event.task, event.starts_on.year, event.starts_on.month)
    can_edit = selectors.event_editable(request.user, event)
    rows = selectors.participants_by_profession(event)
    totals = {k: sum(r[k] for r in rows) for k in ("F", "M", "U", "total")}
    return render(
        request,
        "prevention/event_detail.html",
        {"event": event, "rows": rows, "totals": totals, "evidence": evidence, "can_edit": can_edit},
    )


# --- Awareness ---------------------------------------------------------------------------------


@prevention_reader
def awareness_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, user=request.user, kinds=AwarenessKind.choices)
    page = _page(request, selectors.awareness_list(request.user, **form.filters()))
    return render(
        request,
        "prevention/awareness_list.html",
        {"form": form, "page": page, "can_edit": selectors.may_edit(request.user)},
    )


@prevention_reader
def awareness_new(request: HttpRequest) -> HttpResponse:
    """Record an awareness action with its materials."""
    _editor(request)
    formset = MaterialFormSet(request.POST or None, prefix="materials")
    return _rows_page(
        request,
        AwarenessForm(request.POST or None, user=request.user),
        formset,
        "materials",
        lambda d, rows: services.awareness_record(actor=request.user, materials=rows, **d),
        success=_("Awareness action saved."),
        done=lambda saved: redirect("prevention:awareness_detail", pk=saved.pk),
        template="prevention/awareness_form.html",
        context={"formset": formset},
    )


@record_page
def awareness_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "prevention/awareness_detail.html", {"action": selectors.awareness_get(request.user, pk)})


# --- Surveys -----------------------------------------------------------------------------------


@prevention_reader
def survey_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, user=request.user, kinds=[])
    del form.fields["kind"]
    page = _page(request, selectors.survey_list(request.user, **form.filters()))
    return render(
        request,
        "prevention/survey_list.html",
        {"form": form, "page": page, "can_edit": selectors.may_edit(request.user)},
    )


@prevention_reader
def survey_new(request: HttpRequest) -> HttpResponse:
    """Record a knowledge, attitudes and practices survey with its results."""
    _editor(request)
    formset = ResultFormSet(request.POST or None, prefix="results")
    return _rows_page(
        request,
        SurveyForm(request.POST or None, user=request.user),
        formset,
        "results",
        lambda d, rows: services.survey_record(actor=request.user, results=rows, **d),
        success=_("Survey saved."),
        done=lambda saved: redirect("prevention:survey_detail", pk=saved.pk),
        template="prevention/survey_form.html",
        context={"formset": formset},
    )


@record_page
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "prevention/survey_detail.html", {"survey": selectors.survey_get(request.user, pk)})
