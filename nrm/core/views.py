"""Views that belong to no domain."""

from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Return JSON saying whether the database answers, and how fast."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unavailable", "error": type(exc).__name__}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": {"vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 2)},
        }
    )
