"""Errors as RFC 9457 ``application/problem+json``, naming the field at fault."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from nrm.api.conditional import HEADER as IF_MATCH
from nrm.api.conditional import PreconditionFailed, PreconditionRequired
from nrm.core.errors import Conflict, NotFound

PROBLEM = "application/problem+json"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            out[prefix or "non_field_errors"] = [str(v) for v in detail]
        else:
            for i, value in enumerate(detail):
                out.update(_flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def problem(status_code: int, title: str, detail: str = "", errors: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status_code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
        body["invalid_params"] = [{"name": k, "reason": "; ".join(v)} for k, v in errors.items()]
    response = Response(body, status=status_code)
    response.content_type = PROBLEM
    return response


def problem_exception_handler(exc, context):
    """Turn every API error, including service errors, into problem+json."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        first = next(iter(errors))
        return problem(400, "Invalid input", f"{first}: {errors[first][0]}", errors)
    if isinstance(exc, (NotFound, Http404)):
        return problem(404, "Not found")
    if isinstance(exc, Conflict):
        return problem(409, "Conflict", f"{exc.field}: {exc.message}", {exc.field: [exc.message]})
    if isinstance(exc, (PreconditionRequired, PreconditionFailed)):
        title = _("Precondition required") if isinstance(exc, PreconditionRequired) else _("Precondition failed")
        return problem(exc.status_code, title, f"{IF_MATCH}: {exc.detail}", {IF_MATCH: [str(exc.detail)]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors))
        out = problem(400, "Invalid input", f"{first}: {errors[first][0]}", errors)
    else:
        detail = exc.detail if isinstance(getattr(exc, "detail", None), str) else str(getattr(exc, "detail", ""))
        out = problem(response.status_code, response.status_text, detail)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            out[header] = response[header]
    return out


def is_api(request) -> bool:
    """Whether ``request`` is for the API (under ``/api/``)."""
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """Django's 404 handler: problem+json under /api/ (no route there is a page), else the page."""
    if is_api(request):
        return JsonResponse(
            {"type": "about:blank", "title": "Not found", "status": 404}, status=404, content_type=PROBLEM
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: problem+json under /api/, without any detail of the failure."""
    if is_api(request):
        return JsonResponse(
            {"type": "about:blank", "title": "Internal server error", "status": 500}, status=500, content_type=PROBLEM
        )
    return defaults.server_error(request)
