"""The programme links of the main navigation."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def programmes_nav_items(context) -> list[dict]:
    """Return the programme links the signed-in user's role calls for."""
    return []
