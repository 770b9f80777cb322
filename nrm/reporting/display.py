"""A published table laid out for a page: cross-tab panels and a bar chart; never a raw count.

Panels: one dimension is a list of categories; two are a cross-tab with margins; three are one
cross-tab of the last two per category of the first (and one for its total). The chart reuses the
action-plan's inline SVG bars (no JavaScript); a suppressed cell has no bar.
"""

from __future__ import annotations

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from nrm.reporting.engine import DIMENSIONS, MARKER, TOTAL, Cell, StatTable
from nrm.web.charts import grouped_bars

MAX_SERIES = 6  # columns drawn as separate bars; wider tables chart the first dimension's totals


def dimension_title(name: str) -> str:
    return DIMENSIONS.get(name, name)


def label(table: StatTable, dim: str, value) -> str:
    """Return a category's label (``Total`` for a margin)."""
    if value is TOTAL:
        return _("Total")
    return table.labels.get(dim, {}).get(str(value), str(value))


def _index(table: StatTable) -> dict[tuple, Cell]:
    return {tuple(c.key[d] for d in table.dims): c for c in (*table.cells, *table.totals)}


def _crosstab(table: StatTable, index: dict, prefix: tuple, caption: str) -> dict:
    r, c = table.dims[-2:]
    rows_dom, cols_dom = table.domains[-2], table.domains[-1]
    return {
        "caption": caption,
        "row_header": dimension_title(r),
        "column_header": dimension_title(c),
        "columns": [label(table, c, v) for v in cols_dom] + [_("Total")],
        "rows": [
            {
                "label": label(table, r, rv),
                "cells": [index[(*prefix, rv, cv)] for cv in cols_dom] + [index[(*prefix, rv, TOTAL)]],
            }
            for rv in rows_dom
        ],
        "foot": [index[(*prefix, TOTAL, cv)] for cv in cols_dom] + [index[(*prefix, TOTAL, TOTAL)]],
    }


def panels(table: StatTable) -> list[dict]:
    """Return the table as panels for the template (see the module docstring)."""
    index = _index(table)
    if not table.dims:
        return [
            {
                "caption": table.title,
                "row_header": "",
                "column_header": "",
                "columns": [_("Count")],
                "rows": [],
                "foot": [table.grand_total()],
            }
        ]
    if len(table.dims) == 1:
        d = table.dims[0]
        return [
            {
                "caption": table.title,
                "row_header": dimension_title(d),
                "column_header": "",
                "columns": [_("Count")],
                "rows": [{"label": label(table, d, v), "cells": [index[(v,)]]} for v in table.domains[0]],
                "foot": [index[(TOTAL,)]],
            }
        ]
    if len(table.dims) == 2:
        return [_crosstab(table, index, (), table.title)]
    first = table.dims[0]
    out = []
    for v in [*table.domains[0], TOTAL]:
        caption = f"{table.title}: {dimension_title(first)} = {label(table, first, v)}"
        out.append(_crosstab(table, index, (v,), caption))
    return out


def chart(table: StatTable, chart_id: str = "stats-chart") -> SafeString | None:
    """Return a bar chart of ``table`` (None without dimensions): suppressed counts draw no bar."""
    if not table.dims:
        return None
    index = _index(table)
    first = table.dims[0]
    rest = (TOTAL,) * (len(table.dims) - 1)
    desc = _("Suppressed counts (shown as '%(marker)s' in the table) have no bar and read '–'.") % {"marker": MARKER}
    if len(table.dims) == 2 and len(table.domains[1]) <= MAX_SERIES:
        second = table.dims[1]
        series = [(label(table, second, v), f"rs-{i}") for i, v in enumerate(table.domains[1])]
        rows = [
            (label(table, first, rv), [_shown(index[(rv, cv)]) for cv in table.domains[1]]) for rv in table.domains[0]
        ]
        title = _("%(title)s (chart)") % {"title": table.title}
    else:
        series = [(_("Total"), "rs-0")]
        rows = [(label(table, first, v), [_shown(index[(v, *rest)])]) for v in table.domains[0]]
        title = _("%(title)s: totals by %(dim)s (chart)") % {"title": table.title, "dim": dimension_title(first)}
    return grouped_bars(chart_id, title=title, desc=desc, series=series, rows=rows, unit="")


def _shown(cell: Cell) -> int | None:
    return None if cell.suppressed else cell.count
