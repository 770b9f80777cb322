"""Writes of donor programmes: recording an indicator's actual value.

Keyword-only, one transaction, access checked inside it, the audit row written explicitly. Bad
input raises ``ValidationError`` naming the field and stores nothing; an actor who may not
record gets a :class:`~nrm.core.errors.NotFound` whose denial is audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import invalid
from nrm.programmes.loading import load_programmes
from nrm.programmes.models import Indicator, IndicatorValue
from nrm.programmes.selectors import may_record

MAX_VALUE = Decimal("99999999999999.99")
ACTION = "programmes.indicator_value_record"

__all__ = ["indicator_value_record", "load_programmes"]


@atomic_audited
def indicator_value_record(
    *,
    actor: User,
    indicator: Indicator,
    period_start: dt.date,
    period_end: dt.date,
    value: Decimal,
    source: str = "",
    period_text: str = "",
) -> IndicatorValue:
    """Record ``indicator``'s actual ``value`` for a period; a second record for the same period replaces it."""
    if not may_record(actor):
        raise denied(actor=actor, action=ACTION, object_type="programme_indicator", object_id=indicator.pk)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise invalid("value", _("Enter a number from 0 to %(max)s.") % {"max": MAX_VALUE})
    if period_end < period_start:
        raise invalid("period_end", _("The period ends before it starts."))
    if len(source) > 300:
        raise invalid("source", _("Use at most 300 characters."))
    if len(period_text) > 200:
        raise invalid("period_text", _("Use at most 200 characters."))
    value = value.quantize(Decimal("0.01"))
    row = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, period_start=period_start, period_end=period_end)
        .first()
    )
    old = None if row is None else f"{row.value:.2f}"
    if row is None:
        row = IndicatorValue(indicator=indicator, period_start=period_start, period_end=period_end)
    row.value, row.source, row.period_text, row.recorded_by = value, source, period_text, actor
    row.save()
    audit_record(
        actor=actor,
        action=ACTION,
        object_type="programme_indicator_value",
        object_id=row.pk,
        detail={
            "programme": indicator.programme_id,
            "indicator": indicator.code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "old": old,
            "new": f"{value:.2f}",
        },
    )
    return row
