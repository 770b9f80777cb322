"""Sentence length bands of convicted persons (UNODC's Global Report, GLOTIP): the one place they are defined.

A band is data: its code, its label and the months of effective prison it covers. Everything
else is derived from :data:`BANDS`: the band of one verdict in Python (:func:`band_of`), the same
band as an SQL expression for the statistics engine (:func:`band_expression`), and how severe a
sentence is (:func:`severity_expression`), which picks the one sentence a person counts by.

A suspended prison sentence and a fine without prison fall in one band whatever their amount; a
conviction with neither prison nor a fine recorded is "unknown". The bands follow the
questionnaire's grouping (less than 1 year, 1 to less than 5, 5 to less than 10, 10 years or more).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import CharField, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

SUSPENDED_OR_FINE = "suspended_or_fine"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SentenceBand:
    """A band of effective (not suspended) prison: from ``low`` months up to, not including, ``high``."""

    code: str
    label: str
    low: int
    high: int | None  # None: no upper bound


# Effective prison, shortest first. The bands cover 1 month upwards with no gap (a test checks).
PRISON_BANDS: tuple[SentenceBand, ...] = (
    SentenceBand("under_1y", _("Prison, less than 1 year"), 1, 12),
    SentenceBand("1y_to_5y", _("Prison, 1 to less than 5 years"), 12, 60),
    SentenceBand("5y_to_10y", _("Prison, 5 to less than 10 years"), 60, 120),
    SentenceBand("10y_plus", _("Prison, 10 years or more"), 120, None),
)
# Every band in display order: the two without effective prison first, "unknown" last.
BAND_ORDER: list[str] = [SUSPENDED_OR_FINE, *(b.code for b in PRISON_BANDS), UNKNOWN]


def band_labels() -> dict[str, str]:
    """Return each band's label in the current language."""
    return {
        SUSPENDED_OR_FINE: str(_("Suspended sentence or fine only")),
        **{b.code: str(b.label) for b in PRISON_BANDS},
        UNKNOWN: str(_("Sentence not recorded")),
    }


def band_of(prison_months: int | None, suspended: bool, fine_amount: Decimal | None) -> str:
    """Return the band of one conviction's sentence."""
    if prison_months and not suspended:
        for band in PRISON_BANDS:
            if prison_months >= band.low and (band.high is None or prison_months < band.high):
                return band.code
    if (prison_months and suspended) or fine_amount:
        return SUSPENDED_OR_FINE
    return UNKNOWN


def _effective(p: str) -> Q:
    return Q(**{f"{p}prison_months__gt": 0, f"{p}suspended": False})


def band_expression(p: str = "") -> CaseWhen:
    """Return the band of the verdict reached through ``p``, as :func:`band_of` gives it, in SQL."""
    whens = []
    for band in PRISON_BANDS:
        within = Q(**{f"{p}prison_months__gte": band.low})
        if band.high is not None:
            within &= Q(**{f"{p}prison_months__lt": band.high})
        whens.append(When(_effective(p) & within, then=Value(band.code)))
    other = Q(**{f"{p}prison_months__gt": 0, f"{p}suspended": True}) | Q(**{f"{p}fine_amount__gt": 0})
    whens.append(When(other, then=Value(SUSPENDED_OR_FINE)))
    return CaseWhen(*whens, default=Value(UNKNOWN), output_field=CharField())


# Severity: effective prison above anything else, by its months; then a suspended sentence, by
# its months; then a fine; a conviction with no sentence recorded counts least, so that a
# person's recorded sentence wins over a missing one.
EFFECTIVE, SUSPENDED, FINE = 2000, 1000, 1


def severity_expression(p: str = "") -> Any:
    """Return a whole number ordering the sentences of the verdicts reached through ``p``, most severe highest."""
    return CaseWhen(
        When(_effective(p), then=Value(EFFECTIVE) + F(f"{p}prison_months")),
        When(Q(**{f"{p}prison_months__gt": 0}), then=Value(SUSPENDED) + F(f"{p}prison_months")),
        When(Q(**{f"{p}fine_amount__gt": 0}), then=Value(FINE)),
        default=Value(0),
        output_field=IntegerField(),
    )
