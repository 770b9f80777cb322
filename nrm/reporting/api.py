"""Statistics API under /api/v1/stats/: ad-hoc tables, the standard tables, exports.

Every table is published with disclosure control. Who may read (see ``selectors``): any user
with a role; ``?raw=1`` only the admin role, audited. ``?format=csv`` and ``?format=xlsx`` (or
the Accept header) return the same table as a file.

Query parameters: ``by`` (dimensions, comma-separated; ad-hoc tables only), ``dataset`` (an
external data set's name; default the national records), ``population``, ``threshold`` (only
the configured one), ``rounding`` (5 or 10), ``raw``, and any dimension name as a filter
(``?year=2023,2024&sex=F``, known categories only). Published tables are slices of the
population's protected family of cubes (:mod:`nrm.reporting.protect`).
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nrm.api.errors import problem
from nrm.api.pagination import Pagination
from nrm.core.errors import invalid
from nrm.reporting import engine, exports, selectors
from nrm.reporting.engine import DIMENSIONS, POPULATIONS, StatTable
from nrm.reporting.tables import REPORTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanReadStats(BasePermission):
    """Signed in, with an active role in some organisation."""

    def has_permission(self, request, view) -> bool:
        return selectors.can_read_stats(request.user)


class _FileRenderer(BaseRenderer):
    """Selects a file format; the view renders tables itself, so only errors (JSON) reach here."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, default=str).encode("utf-8")


class CSVRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(_FileRenderer):
    media_type = XLSX
    format = "xlsx"


def _int(params, name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, _("Enter a whole number.")) from None


def _options(request: Request) -> dict:
    p = request.query_params
    return {
        "source": p.get("dataset", "").strip() or engine.NATIONAL,
        "filters": {name: p.get(name) for name in DIMENSIONS if p.get(name, "").strip()},
        "threshold": _int(p, "threshold"),
        "rounding": _int(p, "rounding"),
        "raw": p.get("raw", "").strip().lower() in ("1", "true", "yes"),
    }


COMMON_PARAMETERS = [
    OpenApiParameter("dataset", str, description="External data set name; default: the national records"),
    OpenApiParameter("threshold", int, description="Suppression threshold: only the configured one"),
    OpenApiParameter("rounding", int, enum=[5, 10], description="Round published counts to 5 or 10"),
    OpenApiParameter("raw", bool, description="Raw counts without disclosure control: admin only, audited"),
    OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
    *[
        OpenApiParameter(name, str, description=f"Filter: {title} (comma-separated values)")
        for name, title in DIMENSIONS.items()
    ],
]


class _TableView(APIView):
    permission_classes = [CanReadStats]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, selectors.StatsDenied):
            field = exc.field or "non_field_errors"
            return problem(403, "Forbidden", f"{exc.field}: {exc}" if exc.field else str(exc), {field: [str(exc)]})
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are problem+json whatever format was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def respond(self, request: Request, table: StatTable) -> HttpResponse:
        fmt = getattr(request.accepted_renderer, "format", "json")
        base = table.name or "stats-" + "-".join(table.dims or ["total"])
        if fmt == "csv":
            response = HttpResponse(exports.table_csv(table), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{base}.csv"'
            return response
        if fmt == "xlsx":
            response = HttpResponse(exports.table_xlsx(table), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{base}.xlsx"'
            return response
        return Response(table.as_dict())


class StatsView(_TableView):
    """Count a population by any dimensions: ``?by=year,sex``, with disclosure control."""

    @extend_schema(
        operation_id="stats_table",
        parameters=[
            OpenApiParameter(
                "by", str, required=True, description="Dimensions, comma-separated: " + ", ".join(DIMENSIONS)
            ),
            OpenApiParameter(
                "population", str, enum=list(POPULATIONS), description="What is counted (default registered)"
            ),
            *COMMON_PARAMETERS,
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponse:
        by = request.query_params.get("by", "").strip()
        if not by:
            raise invalid("by", _("Name the dimensions to count by, e.g. by=year,sex."))
        population = request.query_params.get("population", "").strip() or "registered"
        table = selectors.stats_table(request.user, by=by, population=population, **_options(request))
        return self.respond(request, table)


class ReportView(_TableView):
    """One standard table, with disclosure control; narrow it with filters (``?year=2023``)."""

    @extend_schema(
        operation_id="stats_standard_table", parameters=COMMON_PARAMETERS, responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request, name: str) -> HttpResponse:
        if name not in REPORTS:
            raise Http404
        table = selectors.report_table(request.user, name, **_options(request))
        return self.respond(request, table)


class ReportListView(APIView):
    """The standard tables: name, title, family, population, dimensions and fixed filters."""

    permission_classes = [CanReadStats]

    @extend_schema(operation_id="stats_standard_tables_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        reports = [r.as_dict() for r in selectors.report_list(request.user)]
        page = paginator.paginate_queryset(reports, request, view=self)
        return paginator.get_paginated_response(page)


class DatasetListView(APIView):
    """The external data sets a table can be computed over (``?dataset=NAME``)."""

    permission_classes = [CanReadStats]

    @extend_schema(operation_id="stats_datasets_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.dataset_list(request.user), request, view=self)
        return paginator.get_paginated_response(page)


class DimensionsView(APIView):
    """The dimensions and populations tables can use, with their definitions."""

    permission_classes = [CanReadStats]

    @extend_schema(operation_id="stats_dimensions", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "dimensions": [{"name": k, "title": v} for k, v in DIMENSIONS.items()],
                "populations": [
                    {
                        "name": p.name,
                        "title": p.title,
                        "definition": p.definition,
                        "external": p.external,
                        # An ad-hoc table uses the dimensions of one of these sets, or fewer.
                        "publishable": [list(dims) for dims in selectors.publishable_dimensions(p.name)],
                    }
                    for p in POPULATIONS.values()
                ],
                "threshold": engine.threshold_default(),
                "suppressed_marker": engine.MARKER,
            }
        )


urlpatterns = [
    path("", StatsView.as_view(), name="api-stats"),
    path("tables/", ReportListView.as_view(), name="api-stats-tables"),
    path("tables/<slug:name>/", ReportView.as_view(), name="api-stats-table"),
    path("datasets/", DatasetListView.as_view(), name="api-stats-datasets"),
    path("dimensions/", DimensionsView.as_view(), name="api-stats-dimensions"),
]
