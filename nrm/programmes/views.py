"""Web pages of donor programmes: thin views over selectors, forms and services.

Anyone with a role in some organisation reads programmes; only the Coordinator's office sees
and uses the forms. Anyone else, and a reader at a write page, gets a 404, the same as a missing
programme (refusals at write pages are audited). Service errors go back on the field they name;
a stale edit is shown on the form with a 409.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.gates import role_gate
from nrm.core.pages import form_page
from nrm.core.spreadsheet import csv_download, new_workbook, workbook_bytes
from nrm.programmes import selectors, services
from nrm.programmes.charts import funding_bars
from nrm.programmes.choices import PartnerRole
from nrm.programmes.forms import (
    DocumentForm,
    FundingLineForm,
    IndicatorForm,
    PartnerForm,
    ProgrammeFilterForm,
    ProgrammeForm,
    TargetsForm,
    ValueForm,
)
from nrm.programmes.iati import activity_xml
from nrm.programmes.models import Programme

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Users with a role in some organisation read programmes; anyone else finds no page here.
reader = role_gate(selectors.may_read)


# Within readers, the Coordinator's office only; any other reader's attempt at a write page is
# audited (with or without a programme in the URL) and answered 404, as a missing page.
_write_gate = role_gate(
    selectors.may_record,
    record="programme",
    action=lambda view_name: f"programmes.{view_name}",
    reason="role may not write programmes",
    every_attempt=True,
)


def writer(view: Callable) -> Callable:
    """Let in the Coordinator's office only; a reader's attempt is audited and answered 404."""
    return reader(_write_gate(view))


def _csv(filename: str, rows: Iterable[Iterable]) -> HttpResponse:
    return csv_download(rows, filename)


# --- reading ---------------------------------------------------------------------------------


@reader
def programme_list(request: HttpRequest) -> HttpResponse:
    """List programmes with period, budget, donors and indicators; filter by donor, partner, year."""
    form = ProgrammeFilterForm(request.GET or None, user=request.user)
    rows = selectors.programme_rows(selectors.programme_list(request.user, **form.filters()))
    return render(
        request,
        "programmes/programme_list.html",
        {"form": form, "rows": rows, "may_write": selectors.may_record(request.user), "query": request.GET.urlencode()},
    )


@reader
def programme_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV."""
    form = ProgrammeFilterForm(request.GET or None, user=request.user)
    rows = selectors.programme_rows(selectors.programme_list(request.user, **form.filters()))
    header = [
        "code",
        "title",
        "period_start",
        "period_end",
        "period_text",
        "budget_amount",
        "budget_currency",
        "donors",
        "indicators",
    ]
    lines = [header]
    for r in rows:
        p = r["programme"]
        lines.append(
            [
                p.code,
                p.title,
                p.period_start,
                p.period_end,
                p.period_text,
                p.budget_amount,
                p.budget_currency,
                "; ".join(r["donors"]),
                r["indicators"],
            ]
        )
    return _csv(f"programmes-{timezone.localdate().isoformat()}.csv", lines)


def _funding_chart(programme: Programme, funding: dict):
    rows = [(line.donor, line.amount, line.currency) for line in programme.funding.all()]
    if not rows:
        return None
    return funding_bars(
        f"funding-{programme.pk}",
        title=_("Funding by donor"),
        desc=_("Amount committed by each donor; the table below gives the same figures."),
        rows=rows,
    )


@reader
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a programme: summary, partners, funding, results framework, values and documents."""
    programme = selectors.programme_get(request.user, pk)
    partners = list(programme.partners.all())
    by_role = [
        (label, [p for p in partners if p.role == role]) for role, label in PartnerRole.choices if role is not None
    ]
    funding = selectors.funding_dict(programme)
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "programme": programme,
            "partners_by_role": [(label, items) for label, items in by_role if items],
            "funding": funding,
            "funding_lines": list(programme.funding.all()),
            "chart": _funding_chart(programme, funding),
            "framework": selectors.framework(programme),
            "documents": list(programme.documents.all()),
            "may_write": selectors.may_record(request.user),
            "status": selectors.activity_status(programme),
        },
    )


@reader
def programme_iati_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme as an IATI 2.03 activity file."""
    programme = selectors.programme_get(request.user, pk)
    response = HttpResponse(activity_xml(programme), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="iati-{programme.code}.xml"'
    return response


@reader
def values_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Every indicator value of the programme as CSV."""
    programme = selectors.programme_get(request.user, pk)
    return _csv(f"indicator-values-{programme.code}.csv", [selectors.VALUE_COLUMNS, *selectors.value_rows(programme)])


@reader
def values_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Every indicator value of the programme as an Excel workbook."""
    from openpyxl.styles import Font

    programme = selectors.programme_get(request.user, pk)
    book, sheet = new_workbook("Indicator values")
    sheet.append(selectors.VALUE_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in selectors.value_rows(programme):
        sheet.append(list(row))
    response = HttpResponse(workbook_bytes(book), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="indicator-values-{programme.code}.xlsx"'
    return response


# --- writing ---------------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form: Form,
    *,
    title: str,
    save: Callable[[dict], object],
    done: str | Callable[[object], str],
    success: str,
    programme: Programme | None = None,
    intro: str = "",
    cancel: str = "",
) -> HttpResponse:
    """Render ``form``; on a valid POST call ``save`` (a service call) and redirect to ``done``."""
    return form_page(
        request,
        form,
        save,
        success=success,
        done=done,
        template="programmes/form.html",
        context={"title": title, "programme": programme, "intro": intro, "cancel": cancel or done},
    )


@writer
def programme_new(request: HttpRequest) -> HttpResponse:
    """Create a programme."""
    return _form_page(
        request,
        ProgrammeForm(request.POST or None),
        title=_("New programme"),
        save=lambda d: services.programme_create(actor=request.user, **{k: v for k, v in d.items() if k != "version"}),
        done=lambda created: reverse("programmes:programme_detail", args=[created.pk]),
        success=_("Programme created."),
        cancel=reverse("programmes:programme_list"),
    )


@writer
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a programme's summary; someone else's edit in between is a conflict, not an overwrite."""
    programme = selectors.programme_get(request.user, pk)
    form = ProgrammeForm(request.POST or None, programme=programme)

    def save(d: dict) -> None:
        version = d.pop("version")
        services.programme_edit(actor=request.user, programme=programme, expected_version=version, **d)

    return _form_page(
        request,
        form,
        title=_("Edit programme"),
        save=save,
        done=reverse("programmes:programme_detail", args=[programme.pk]),
        success=_("Programme saved."),
        programme=programme,
    )


@writer
def funding_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a donor's funding line."""
    programme = selectors.programme_get(request.user, pk)
    return _form_page(
        request,
        FundingLineForm(request.POST or None),
        title=_("Add a funding line"),
        save=lambda d: services.funding_line_add(actor=request.user, programme=programme, **d),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + "#h-funding",
        success=_("Funding line added."),
        programme=programme,
    )


@writer
def partner_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Name an organisation as a partner of the programme."""
    programme = selectors.programme_get(request.user, pk)
    return _form_page(
        request,
        PartnerForm(request.POST or None),
        title=_("Add a partner"),
        save=lambda d: services.partner_add(actor=request.user, programme=programme, **d),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + "#h-partners",
        success=_("Partner added."),
        programme=programme,
    )


@writer
def indicator_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an indicator to the programme's results framework."""
    programme = selectors.programme_get(request.user, pk)
    return _form_page(
        request,
        IndicatorForm(request.POST or None, programme=programme),
        title=_("Add an indicator"),
        save=lambda d: services.indicator_add(actor=request.user, programme=programme, **d),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + "#h-results",
        success=_("Indicator added."),
        programme=programme,
    )


@writer
def indicator_targets(request: HttpRequest, pk: int, indicator_id: int) -> HttpResponse:
    """Set an indicator's baseline and target."""
    programme = selectors.programme_get(request.user, pk)
    indicator = selectors.indicator_get(request.user, programme, indicator_id)
    form = TargetsForm(
        request.POST or None,
        initial={"baseline": indicator.baseline, "target": indicator.target, "version": indicator.version},
    )
    return _form_page(
        request,
        form,
        title=_("Baseline and target"),
        intro=indicator.name,
        save=lambda d: services.indicator_targets_set(
            actor=request.user,
            indicator=indicator,
            expected_version=d["version"],
            baseline=d["baseline"],
            target=d["target"],
        ),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + f"#i-{indicator.pk}",
        success=_("Baseline and target saved."),
        programme=programme,
    )


@writer
def value_new(request: HttpRequest, pk: int, indicator_id: int) -> HttpResponse:
    """Record an indicator's actual value for a period."""
    programme = selectors.programme_get(request.user, pk)
    indicator = selectors.indicator_get(request.user, programme, indicator_id)
    return _form_page(
        request,
        ValueForm(request.POST or None),
        title=_("Record an actual value"),
        intro=indicator.name,
        save=lambda d: services.indicator_value_record(actor=request.user, indicator=indicator, **d),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + f"#i-{indicator.pk}",
        success=_("Value recorded."),
        programme=programme,
    )


@writer
def document_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a document by title and web address or citation."""
    programme = selectors.programme_get(request.user, pk)
    return _form_page(
        request,
        DocumentForm(request.POST or None),
        title=_("Add a document"),
        save=lambda d: services.document_add(actor=request.user, programme=programme, **d),
        done=reverse("programmes:programme_detail", args=[programme.pk]) + "#h-documents",
        success=_("Document added."),
        programme=programme,
    )
