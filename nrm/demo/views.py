"""The baseline view of ``nrm bench``: a plain primary-key read through the same server.

It exists only when ``NRM_BENCH=1`` (never in production, see settings), answers without
authentication, access rule or audit — that is the point of a baseline — and returns nothing
but the id it was asked for, so it tells no more than whether a case number exists.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from nrm.cases.models import Case


@require_GET
def bench_read(request: HttpRequest, pk: int) -> JsonResponse:
    """Return ``{"id": pk}`` after reading that case's row by primary key."""
    found = Case.objects.filter(pk=pk).values_list("pk", flat=True).first()
    if found is None:
        raise Http404
    return JsonResponse({"id": found})
