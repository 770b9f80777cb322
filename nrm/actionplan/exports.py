"""Reports in the standard templates: an institution's report and the consolidated annual report.

Each comes as XLSX (openpyxl) and as PDF (WeasyPrint, from the templates in
``actionplan/pdf/``). The workbooks hold real numbers and dates, so they sum and sort in a
spreadsheet; text that looks like a formula stays text. The PDF renderer fetches nothing: the
documents carry their own styles and no link is followed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nrm.actionplan.choices import FundingSource, Progress, Rating, ReportStatus
from nrm.actionplan.models import Report
from nrm.core.pdf import render_pdf
from nrm.core.spreadsheet import new_workbook, safe_cell, workbook_bytes


def _period(report: Report) -> str:
    if report.month == 0:
        return str(report.year)
    return formats.date_format(report.period.start, "F Y")


def _when(value: dt.datetime | None) -> dt.datetime | None:
    """Return an aware datetime as naive local time (spreadsheets know no time zones)."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def report_rows(report: Report) -> list[dict]:
    """Return one row per activity of ``report``, as the standard template prints it."""
    rows = []
    for e in report.entries.all():
        values = {v.indicator_id: v.value for v in e.values.all()}
        rows.append(
            {
                "number": e.activity.number,
                "activity": e.activity.title,
                "progress": _label(Progress, e.progress),
                "done": e.done,
                "indicators": [(i.text, values.get(i.pk, "")) for i in e.activity.indicators.all()],
                "money_spent": e.money_spent,
                "currency": e.currency if e.money_spent is not None else "",
                "funding_source": _label(FundingSource, e.funding_source),
                "problems": e.problems,
            }
        )
    return rows


def report_facts(report: Report) -> list[tuple[str, object]]:
    """Return the heading facts of a report: who, which period, when due and sent, its state."""
    facts = [
        (_("Action plan"), report.plan.title),
        (_("Institution"), report.institution.name),
        (_("Period"), _period(report)),
        (_("Due on"), report.due_on),
        (_("Status"), ReportStatus(report.status).label),
        (_("First submitted"), _when(report.first_submitted_at)),
        (_("Submitted late"), _("Yes") if report.is_late else _("No")),
    ]
    if report.reviewed_at:
        facts.append((_("Reviewed"), _when(report.reviewed_at)))
    if report.review_note:
        facts.append((_("Comment of the Coordinator"), report.review_note))
    if report.summary:
        facts.append((_("Summary"), report.summary))
    return facts


def _text(value) -> str:
    """Return a fact as printed text: dates in ISO form, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def report_title(report: Report) -> str:
    if report.month == 0:
        return _("Annual report on the implementation of the Action Plan")
    return _("Monthly report on the implementation of the Action Plan")


# --- XLSX ------------------------------------------------------------------------------------


def _book():
    return new_workbook()


def _clean(value):
    """Return ``value`` fit for a cell: text without control characters nor formulas, money as Decimal."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Promise):  # a lazy translation, such as a choice's label
        value = str(value)
    if isinstance(value, str):
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _append(ws, values: list, *, bold: bool = False, wrap: bool = True) -> None:
    """Append a row; strings that look like formulas are kept as text, dates and money formatted."""
    from openpyxl.styles import Alignment, Font

    ws.append([_clean(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(cell.value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(cell.value, Decimal | float):
            cell.number_format = "#,##0.00"
        if bold:
            cell.font = Font(bold=True)
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _header(ws, values: list) -> None:
    from openpyxl.styles import PatternFill

    _append(ws, values, bold=True)
    for cell in ws[ws.max_row]:
        cell.fill = PatternFill("solid", fgColor="DCE3EE")


def _title(ws, title: str, subtitle: str) -> None:
    from openpyxl.styles import Font

    ws.append([_clean(title)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=14)
    ws.append([_clean(subtitle)])
    ws.append([])


def _widths(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _sheet(title: str) -> str:
    """Return ``title`` fit for a sheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join("-" if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"


def _save(wb) -> bytes:
    return workbook_bytes(wb)


def report_columns() -> list[str]:
    """Return the column headings of the standard report template."""
    return [
        _("No."),
        _("Activity"),
        _("Status"),
        _("What was done"),
        _("Indicators and values"),
        _("Money spent"),
        _("Currency"),
        _("Funding source"),
        _("Problems"),
    ]


def report_xlsx(report: Report) -> bytes:
    """Return ``report`` as an XLSX workbook: sheet "Report" in the standard template, sheet "History"."""
    from openpyxl.styles import Font

    wb, ws = _book()
    ws.title = _sheet(_("Report"))
    _title(ws, report_title(report), report.plan.title)
    for label, value in report_facts(report):
        _append(ws, [label, value])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([])
    _header(ws, report_columns())
    header_row = ws.max_row
    for r in report_rows(report):
        _append(
            ws,
            [
                r["number"],
                r["activity"],
                r["progress"],
                r["done"],
                "\n".join(f"{text}: {value or '—'}" for text, value in r["indicators"]),
                r["money_spent"],
                r["currency"],
                r["funding_source"],
                r["problems"],
            ],
        )
    ws.freeze_panes = f"A{header_row + 1}"
    _widths(ws, [10, 40, 16, 40, 40, 16, 10, 16, 32])
    history = wb.create_sheet(_sheet(_("History")))
    _header(
        history,
        [pgettext("status change", "From"), pgettext("status change", "To"), _("By"), _("When"), _("Note")],
    )
    for t in report.transitions.all():
        _append(
            history,
            [
                ReportStatus(t.from_status).label,
                ReportStatus(t.to_status).label,
                t.actor.username if t.actor_id and t.actor else "",
                _when(t.at),
                t.note,
            ],
        )
    _widths(history, [22, 22, 18, 18, 60])
    return _save(wb)


def annual_context(summary: dict) -> dict:
    """Return the consolidated annual report flattened for templates and workbooks."""
    rows = []
    for o in summary["objectives"]:
        for a in o["activities"]:
            evaluation = a["evaluation"]
            for i, inst in enumerate(a["institutions"]):
                entry = inst["entry"]
                rows.append(
                    {
                        "objective": o["objective"],
                        "activity": a["activity"],
                        "first": i == 0,
                        "span": len(a["institutions"]),
                        "institution": inst["name"],
                        "period": inst["period"],
                        "progress": _label(Progress, entry.progress) if entry else "",
                        "done": entry.done if entry else "",
                        "problems": entry.problems if entry else "",
                        "values": inst["values"],
                        "planned": a["planned"],
                        "spent": a["spent"],
                        "rating": _label(Rating, evaluation.rating) if evaluation else "",
                        "rating_code": evaluation.rating if evaluation else "",
                        "comments": evaluation.comments if evaluation else "",
                    }
                )
    annual = [
        {
            "institution": c.institution,
            "due_on": c.due_on,
            "status": ReportStatus(c.status).label if c.status else _("Not started"),
            "submitted_on": c.submitted_on,
            "late": c.is_late,
            "received": c.received,
        }
        for c in summary["annual"]
    ]
    sources = dict(FundingSource.choices)
    by_objective = [
        {**r, "source_label": str(sources.get(r["funding_source"], r["funding_source"] or ""))}
        for r in summary["budget"]["by_objective"]
    ]
    return {
        "title": _("Consolidated annual report on the implementation of the Action Plan"),
        "rows": rows,
        "rates": summary["rates"],
        "total": summary["total"],
        "annual_reports": annual,
        "budget_by_institution": summary["budget"]["by_institution"],
        "budget_by_objective": by_objective,
        "generated_at": timezone.localtime(),
    }


def _money(pairs: list[tuple[str, object]]) -> str:
    return "; ".join(f"{formats.number_format(v, 2, force_grouping=True)} {c}".strip() for c, v in pairs)


def annual_xlsx(summary: dict) -> bytes:
    """Return the consolidated annual report as an XLSX workbook.

    Sheets: "Activities" (one row per activity and responsible institution), "Reporting"
    (completeness and timeliness per institution, and the annual reports), "Budget" (planned
    against spent per institution and per objective and funding source).
    """
    ctx = annual_context(summary)
    plan, year = summary["plan"], summary["year"]
    wb, ws = _book()
    ws.title = _sheet(_("Activities"))
    _title(ws, f"{ctx['title']} {year}", plan.title)
    _header(
        ws,
        [
            _("Objective"),
            _("No."),
            _("Activity"),
            _("Institution"),
            _("Latest report"),
            _("Status"),
            _("What was done"),
            _("Indicators and values"),
            _("Problems"),
            _("Planned"),
            _("Spent"),
            _("Evaluation"),
            _("Comments"),
        ],
    )
    ws.freeze_panes = f"A{ws.max_row + 1}"
    for r in ctx["rows"]:
        _append(
            ws,
            [
                f"{r['objective'].number}. {r['objective'].title}",
                r["activity"].number,
                r["activity"].title,
                r["institution"],
                r["period"],
                r["progress"],
                r["done"],
                "\n".join(f"{t}: {v}" for t, v in r["values"]),
                r["problems"],
                # Money and the rating belong to the activity: on its first row only, so nothing counts twice.
                _money(r["planned"]) if r["first"] else "",
                _money(r["spent"]) if r["first"] else "",
                r["rating"] if r["first"] else "",
                r["comments"] if r["first"] else "",
            ],
        )
    _widths(ws, [30, 8, 40, 28, 12, 14, 40, 36, 30, 20, 20, 18, 36])

    rep = wb.create_sheet(_sheet(_("Reporting")))
    _append(rep, [_("Monthly reports: completeness and timeliness")], bold=True, wrap=False)
    _header(rep, [_("Institution"), _("Expected"), _("Received"), _("On time"), _("Completeness %"), _("Timeliness %")])
    for r in [*ctx["rates"], ctx["total"]]:
        label = _("Total") if r.key == "total" else r.label
        _append(rep, [label, r.expected, r.received, r.on_time, r.completeness, r.timeliness])
    rep.append([])
    _append(rep, [_("Annual reports")], bold=True, wrap=False)
    _header(rep, [_("Institution"), _("Due on"), _("Status"), _("Submitted"), _("Late")])
    for a in ctx["annual_reports"]:
        _append(rep, [a["institution"], a["due_on"], a["status"], a["submitted_on"], _("Yes") if a["late"] else ""])
    _widths(rep, [40, 14, 22, 14, 16, 16])

    bud = wb.create_sheet(_sheet(_("Budget")))
    _append(bud, [_("Planned and spent per institution")], bold=True, wrap=False)
    _header(bud, [_("Institution"), _("Year"), _("Currency"), _("Planned"), _("Spent"), _("Spent %")])
    for r in ctx["budget_by_institution"]:
        _append(
            bud,
            [r["institution"], r["year"], r["currency"], Decimal(r["planned"]), Decimal(r["spent"]), r["spent_share"]],
        )
    bud.append([])
    _append(bud, [_("Planned and spent per objective and funding source")], bold=True, wrap=False)
    _header(
        bud, [_("Objective"), _("Funding source"), _("Year"), _("Currency"), _("Planned"), _("Spent"), _("Spent %")]
    )
    for r in ctx["budget_by_objective"]:
        _append(
            bud,
            [
                f"{r['objective']}. {r['title']}",
                r["source_label"],
                r["year"],
                r["currency"],
                Decimal(r["planned"]),
                Decimal(r["spent"]),
                r["spent_share"],
            ],
        )
    _widths(bud, [40, 18, 8, 10, 18, 18, 10])
    return _save(wb)


# --- PDF -------------------------------------------------------------------------------------


_pdf = render_pdf


def report_pdf(report: Report) -> bytes:
    """Return ``report`` as a PDF in the standard template (A4 landscape)."""
    return _pdf(
        "actionplan/pdf/report.html",
        {
            "title": report_title(report),
            "report": report,
            "facts": [(label, _text(value)) for label, value in report_facts(report)],
            "rows": report_rows(report),
            "history": list(report.transitions.all()),
            "generated_at": timezone.localtime(),
        },
    )


def annual_pdf(summary: dict) -> bytes:
    """Return the consolidated annual report as a PDF (A4 landscape)."""
    return _pdf(
        "actionplan/pdf/annual.html", {**annual_context(summary), "plan": summary["plan"], "year": summary["year"]}
    )
