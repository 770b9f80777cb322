"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched, allowed by the CSP.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``;
each bar carries its own ``<title>`` (a tooltip, read by screen readers). The page puts a table
of the same figures beside the chart, so nobody depends on the picture. Colours come from CSS
classes (``nrm/actionplan/static/actionplan/actionplan.css``), and every bar is labelled with
its number, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_H = 18  # a row's label line
BAR_H = 14
GAP = 4
ROW_GAP = 12
VALUE_W = 130  # room right of the longest bar for its number


def amount(value: Decimal | float | int | None) -> str:
    """Return ``value`` as a whole number with the locale's digit grouping (an en dash for None)."""
    if value is None:
        return "–"
    return number_format(Decimal(value).quantize(Decimal(1)), 0, use_l10n=True, force_grouping=True)


def _svg(chart_id: str, title: str, desc: str, height: int, body: SafeString, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" role="img" aria-labelledby="{}-t {}-d" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        css,
        chart_id,
        chart_id,
        WIDTH,
        height,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def _legend(series: Sequence[tuple[str, str]], y: int) -> SafeString:
    parts = []
    x = 0
    for name, css in series:
        parts.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="12" height="12" rx="2"></rect>'
                '<text class="legend" x="{}" y="{}">{}</text>',
                css,
                x,
                y,
                x + 16,
                y + 11,
                name,
            )
        )
        x += 28 + 8 * len(name)
    return mark_safe("".join(parts))  # noqa: S308 - each part is built by format_html


def grouped_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    series: Sequence[tuple[str, str]],
    rows: Sequence[tuple[str, Sequence[Decimal | float | int | None]]],
    unit: str = "",
) -> SafeString:
    """Return horizontal bars, one group per row and one bar per series, on one scale.

    ``series`` is ``[(name, css class)]``; ``rows`` is ``[(label, [value per series])]``.
    """
    top = 22
    peak = max((float(v) for _label, values in rows for v in values if v), default=0.0) or 1.0
    span = WIDTH - VALUE_W
    parts = [_legend(series, 0)]
    y = top
    for label, values in rows:
        parts.append(format_html('<text class="row-label" x="0" y="{}">{}</text>', y + 13, label))
        y += LABEL_H
        for (name, css), value in zip(series, values, strict=True):
            width = 0 if not value else max(1, round(span * float(value) / peak))
            shown = f"{amount(value)} {unit}".strip()
            parts.append(
                format_html(
                    '<g><title>{}: {}: {}</title><rect class="{}" x="0" y="{}" width="{}" height="{}" rx="2"></rect>'
                    '<text class="value" x="{}" y="{}">{}</text></g>',
                    label,
                    name,
                    shown,
                    css,
                    y,
                    width,
                    BAR_H,
                    width + 6,
                    y + BAR_H - 3,
                    shown,
                )
            )
            y += BAR_H + GAP
        y += ROW_GAP
    return _svg(chart_id, title, desc, y, mark_safe("".join(parts)), "bars")  # noqa: S308


def stacked_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    segments: Sequence[tuple[str, str, str]],
    rows: Sequence[tuple[str, dict[str, int]]],
) -> SafeString:
    """Return one horizontal bar per row, split into ``segments`` (``[(key, name, css class)]``).

    Each row's bar is as long as its total, so rows compare; every segment wide enough shows its
    count, and every one has a tooltip naming it.
    """
    top = 22
    peak = max((sum(counts.values()) for _label, counts in rows), default=0) or 1
    span = WIDTH - 60
    parts = [_legend([(name, css) for _key, name, css in segments], 0)]
    y = top
    for label, counts in rows:
        total = sum(counts.values())
        parts.append(format_html('<text class="row-label" x="0" y="{}">{}</text>', y + 13, label))
        y += LABEL_H
        x = 0
        for key, name, css in segments:
            n = counts.get(key, 0)
            if not n:
                continue
            width = span * n / peak
            parts.append(
                format_html(
                    '<g><title>{}: {}: {}</title><rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>{}</g>',
                    label,
                    name,
                    n,
                    css,
                    f"{x:.1f}",
                    y,
                    f"{width:.1f}",
                    BAR_H + 6,
                    format_html(
                        '<text class="in-bar {}" x="{}" y="{}" text-anchor="middle">{}</text>',
                        css,
                        f"{x + width / 2:.1f}",
                        y + BAR_H,
                        n,
                    )
                    if width >= 16
                    else "",
                )
            )
            x += width
        parts.append(format_html('<text class="value" x="{}" y="{}">{}</text>', f"{x + 6:.1f}", y + BAR_H, total))
        y += BAR_H + 6 + ROW_GAP
    return _svg(chart_id, title, desc, y, mark_safe("".join(parts)), "stacked")  # noqa: S308


__all__ = ["amount", "grouped_bars", "stacked_bars"]
