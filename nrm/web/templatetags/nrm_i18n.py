"""Template filters for data that carries its own translations (nrm/core/i18n.py).

{% load nrm_i18n %}
{{ offer.service_type|localized:"name" }}   the name in the active language, English as fallback
{{ dimension|localized:"title" }}           the same for a dict of an indicator list
{{ case.region|region }}                    a stored region name, translated by the reference data
"""

from __future__ import annotations

from django import template

from nrm.accounts.models import region_label
from nrm.core.i18n import localized as _localized

register = template.Library()


@register.filter
def localized(obj, key: str = "name") -> str:
    """Return ``obj``'s ``key`` in the active language (``obj.<key>_i18n``), else in English."""
    return _localized(obj, key)


@register.filter
def region(value) -> str:
    """Return a region name as stored in a record, in the active language."""
    return region_label(value or "")
