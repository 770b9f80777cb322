"""The funding chart of a programme, drawn on the server as inline SVG (no JavaScript, CSP-safe).

The ``<svg role="img">`` is named by its ``<title>`` and described by its ``<desc>``; every bar
has its own ``<title>`` and is labelled with its amount, and the page shows the same figures in a
table, so nobody depends on the picture. Bars are compared only within one currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_H = 18
BAR_H = 16
ROW_GAP = 10
VALUE_W = 170  # room right of the longest bar for its amount


def amount(value: Decimal) -> str:
    """Return ``value`` as a whole number with the locale's digit grouping."""
    return number_format(Decimal(value).quantize(Decimal(1)), 0, use_l10n=True, force_grouping=True)


def funding_bars(chart_id: str, *, title: str, desc: str, rows: Sequence[tuple[str, Decimal, str]]) -> SafeString:
    """Return one horizontal bar per ``(donor, amount, currency)``, scaled within each currency."""
    peaks: dict[str, Decimal] = {}
    for _label, value, currency in rows:
        peaks[currency] = max(peaks.get(currency, Decimal(0)), value)
    span = WIDTH - VALUE_W
    parts = []
    y = 0
    for label, value, currency in rows:
        peak = peaks[currency] or Decimal(1)
        width = 0 if not value else max(1, round(span * float(value / peak)))
        shown = f"{amount(value)} {currency}"
        parts.append(
            format_html(
                '<g><title>{}: {}</title><text x="0" y="{}" font-size="13" fill="#1f2933">{}</text>'
                '<rect x="0" y="{}" width="{}" height="{}" rx="2" fill="#2f5d8a"></rect>'
                '<text x="{}" y="{}" font-size="13" fill="#1f2933">{}</text></g>',
                label,
                shown,
                y + 13,
                label,
                y + LABEL_H,
                width,
                BAR_H,
                width + 6,
                y + LABEL_H + BAR_H - 3,
                shown,
            )
        )
        y += LABEL_H + BAR_H + ROW_GAP
    body = mark_safe("".join(parts))  # noqa: S308 - each part is built by format_html
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{}-t {}-d" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        chart_id,
        chart_id,
        WIDTH,
        max(y, 1),
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )
