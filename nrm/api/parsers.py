"""The API's JSON parser: a body nested beyond any of our schemas, or holding control characters
(NUL...) in any string, is refused with a 400, never a 500."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from nrm.core.validation import CONTROL

# Our deepest request body (a case with its identity and lists) nests 3 levels; 32 leaves room.
MAX_DEPTH = 32


def depth(value: object) -> int:
    """Return how deeply ``value`` nests lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in items)
    return deepest


def control_path(value: object) -> str | None:
    """Return the path (``field``, ``identity.given_name``, ``answers[2]``) of the first string in
    ``value`` holding a control character, or None."""
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if CONTROL.search(item):
                return path or "non_field_errors"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if CONTROL.search(str(key)):
                    return path or "non_field_errors"
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


class BoundedJSONParser(JSONParser):
    """JSON, refused with a 400 when nested deeper than ``MAX_DEPTH`` (Python's decoder recurses)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        if depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        # A last line of defence: the services refuse these too, but nothing unchecked reaches them.
        if (path := control_path(data)) is not None:
            raise ValidationError({path: [_("Remove the control characters (such as NUL) from this text.")]})
        return data
