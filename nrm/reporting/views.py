"""Statistics pages under ``/statistics/``: the standard tables and ad-hoc tables, always suppressed.

Access is the API's rule (``selectors.can_read_stats``): any signed-in user with a role in some
organisation; anyone else signed in finds no page (404), the anonymous are sent to sign in. Pages
never ask for raw counts; downloads are the same published table as CSV or XLSX.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nrm.accounts.gates import role_gate
from nrm.core.pages import add_service_errors, form_page
from nrm.reporting import display, exports, selectors, services
from nrm.reporting.engine import DIMENSIONS, MARKER, POPULATIONS, StatTable
from nrm.reporting.forms import CustomTableForm, PublishForm, TableFilterForm
from nrm.reporting.tables import REPORTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAMILIES = [
    ("centre", gettext_lazy("Centre for identification")),
    ("eurostat", gettext_lazy("Eurostat")),
    ("glotip", gettext_lazy("UNODC Global Report on Trafficking in Persons (GLOTIP)")),
    ("greta", gettext_lazy("GRETA (Council of Europe)")),
    ("justice", gettext_lazy("Criminal justice")),
    ("helpline", gettext_lazy("Helpline")),
    ("prevention", gettext_lazy("Prevention, training and awareness")),
    ("earlywarning", gettext_lazy("Early warning")),
    ("programmes", gettext_lazy("Programmes")),
]


# Users with a role (the API's rule); anyone else signed in finds no page here.
stats_reader = role_gate(selectors.can_read_stats)


def _download(table: StatTable, fmt: str) -> HttpResponse:
    base = table.name or "stats-" + "-".join(table.dims or ["total"])
    if fmt == "csv":
        response = HttpResponse(exports.table_csv(table), content_type="text/csv; charset=utf-8")
    elif fmt == "pdf":
        response = HttpResponse(exports.table_pdf(table), content_type="application/pdf")
    else:
        response = HttpResponse(exports.table_xlsx(table), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{base}.{fmt}"'
    return response


def _downloads(request: HttpRequest, csv_name: str, xlsx_name: str, *args) -> list[tuple[str, str]]:
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""
    pdf_name = csv_name.replace("_csv", "_pdf")
    return [
        (_("CSV"), reverse(csv_name, args=args) + suffix),
        (_("Excel (XLSX)"), reverse(xlsx_name, args=args) + suffix),
        ("PDF", reverse(pdf_name, args=args) + suffix),
    ]


def _table_context(table: StatTable) -> dict:
    return {
        "table": table,
        "panels": display.panels(table),
        "chart": display.chart(table),
        "marker": MARKER,
        "population": POPULATIONS[table.population],
    }


@stats_reader
def index(request: HttpRequest) -> HttpResponse:
    reports = selectors.report_list(request.user)
    groups = []
    for family, title in FAMILIES:
        items = [r for r in reports if r.family == family]
        if items:
            groups.append({"family": family, "title": title, "reports": items})
    others = [r for r in reports if r.family not in {f for f, _t in FAMILIES}]
    if others:
        groups.append({"family": "other", "title": _("Other tables"), "reports": others})
    left_out = selectors.statistics_left_out(request.user)
    return render(request, "reporting/index.html", {"groups": groups, "left_out": left_out})


def _report_form(request: HttpRequest, name: str) -> TableFilterForm:
    if name not in REPORTS:
        raise Http404
    return TableFilterForm(request.GET or None, report=REPORTS[name], datasets=selectors.dataset_list(request.user))


def _report_table(request: HttpRequest, name: str, form: TableFilterForm) -> StatTable | None:
    if form.is_bound and not form.is_valid():
        return None
    source = form.source() if form.is_bound else "national"
    filters = form.filters() if form.is_bound else {}
    try:
        return selectors.report_table(request.user, name, source=source, filters=filters)
    except ValidationError as exc:
        if not form.is_bound:
            raise
        add_service_errors(form, exc, _renames(form))
        return None


def _renames(form) -> dict[str, str]:
    """Map an engine's field name (a dimension, ``dataset``) onto the form's field."""
    out = {name[2:]: name for name in form.fields if name.startswith("f_")}
    out["year"] = "year_from"
    return out


@stats_reader
def table(request: HttpRequest, name: str) -> HttpResponse:
    form = _report_form(request, name)
    result = _report_table(request, name, form)
    context = {"report": REPORTS[name], "form": form}
    if result is not None:
        context |= _table_context(result)
        context["downloads"] = _downloads(request, "reporting:table_csv", "reporting:table_xlsx", name)
    return render(request, "reporting/table.html", context, status=200 if result is not None else 400)


@stats_reader
def table_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    form = _report_form(request, name)
    result = _report_table(request, name, form)
    if result is None:
        return HttpResponseBadRequest(_("Check the filters of the table."))
    return _download(result, fmt)


def _custom_table(request: HttpRequest, form: CustomTableForm) -> StatTable | None:
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return selectors.stats_table(
            request.user,
            by=form.dims(),
            source=form.source(),
            population=form.population(),
            filters=form.filters(),
        )
    except ValidationError as exc:
        add_service_errors(form, exc, {"by": "dim1", "year": "year_from"})
        return None


def _publishable(population: str, source: str) -> dict | None:
    """The sets of dimensions an ad-hoc table of ``population`` may combine, as titles."""
    try:
        sets = selectors.publishable_dimensions(population, source)
    except ValidationError:
        return None
    return {
        "title": POPULATIONS[population].title,
        "sets": [[DIMENSIONS[d].split(" (")[0] for d in dims] for dims in sets],
    }


@stats_reader
def custom(request: HttpRequest) -> HttpResponse:
    form = CustomTableForm(request.GET or None, datasets=selectors.dataset_list(request.user))
    result = _custom_table(request, form)
    population = form.population() if form.is_bound and form.is_valid() else "registered"
    context = {"form": form, "publishable": _publishable(population, form.source() if form.is_bound else "national")}
    if result is not None:
        context |= _table_context(result)
        context["downloads"] = _downloads(request, "reporting:custom_csv", "reporting:custom_xlsx")
    status = 400 if form.is_bound and result is None else 200
    return render(request, "reporting/custom.html", context, status=status)


@stats_reader
def custom_download(request: HttpRequest, fmt: str) -> HttpResponse:
    form = CustomTableForm(request.GET or None, datasets=selectors.dataset_list(request.user))
    result = _custom_table(request, form)
    if result is None:
        return HttpResponseBadRequest(_("Choose the dimensions of the table."))
    return _download(result, fmt)


@stats_reader
def publications(request: HttpRequest) -> HttpResponse:
    """List the publications of statistics; the Coordinator's office and analysts publish from here.

    Publishing computes the chosen standard tables as readers get them and records the
    publication (:func:`nrm.reporting.services.publication_record`). A POST by anyone else is a 404.
    """
    user = request.user
    publisher = selectors.may_publish(user)
    if request.method == "POST" and not publisher:
        raise Http404
    form = PublishForm(request.POST or None, reports=selectors.report_list(user)) if publisher else None
    return form_page(
        request,
        form,
        lambda d: services.publication_record(
            actor=user, tables=d["tables"], year_from=d["year_from"], year_to=d["year_to"], note=d["note"]
        ),
        success=_("Publication recorded."),
        done=reverse("reporting:publications"),
        template="reporting/publications.html",
        context=lambda: {
            "form": form,
            "publications": selectors.publication_list(user)[:50],
            "new": selectors.new_since_publication(user),
        },
        invalid_status=400,
    )
