"""API for donor programmes: read by anyone with a role, indicator values recorded by the Coordinator.

``GET /programmes/`` lists each programme with partners, funding (per donor and total) and its
indicators' actual values; ``GET /programmes/<id>/`` adds the results framework and documents;
``GET /programmes/<id>/iati/`` gives the activity in IATI 2.03's shape (JSON) and
``GET /programmes/<id>/iati-xml/`` the same as an IATI 2.03 XML activity file;
``POST /programmes/<id>/values/`` records an actual value through
:func:`nrm.programmes.services.indicator_value_record`; ``POST /programmes/`` creates a programme,
``POST /programmes/<id>/funding/``, ``.../documents/`` and ``.../indicators/`` add a funding line,
a document and an indicator. Only the Coordinator's office writes: others get 403 (the denial
is audited); bad input is a problem+json naming the field.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.idempotency import IdempotentPostMixin
from nrm.core.errors import NotFound
from nrm.programmes import selectors, services
from nrm.programmes.iati import activity_xml
from nrm.programmes.models import Indicator


class HasRole(permissions.BasePermission):
    """Allow users who hold an active role in some organisation."""

    message = "You need a role in an organisation to read programmes."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and selectors.may_read(request.user))


def _pk(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound from None


class IatiXmlRenderer(renderers.BaseRenderer):
    """Lets content negotiation accept ``application/xml``; the view returns the bytes itself.

    Errors (problem+json dicts) are rendered as JSON, as everywhere else in the API.
    """

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")


class ValueSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    source = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    period_text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ProgrammeCreateSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=60)
    title = serializers.CharField(max_length=300)
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    period_text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    budget_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    budget_currency = serializers.CharField(required=False, allow_blank=True, max_length=3, default="")
    source = serializers.CharField(required=False, allow_blank=True, default="")
    secondary_reporter = serializers.BooleanField(
        required=False, default=True, help_text="Another organisation runs the activity; this system republishes it."
    )
    sectors = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=200,
        help_text="DAC 5-digit purpose codes with their share, e.g. 15190:60, 15180:40 (a lone code is 100%).",
    )


class FundingSerializer(serializers.Serializer):
    donor = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3)
    source_text = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    reference = serializers.CharField(max_length=500, help_text="A URL (http or https) or a citation.")


class IndicatorSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=300)
    unit = serializers.CharField(max_length=60)
    baseline = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    target = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    output = serializers.CharField(required=False, allow_blank=True, default="", help_text="The output's number.")


WRITE_REFUSED = "Only the Coordinator's office changes programmes."


def _write(call, **kwargs):
    """Call a service; a denial of a readable programme is said plainly as 403 (it is audited)."""
    try:
        return call(**kwargs)
    except NotFound:
        raise PermissionDenied(WRITE_REFUSED) from None


class ProgrammeViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Donor-funded programmes, their funding and their indicators' actual values."""

    permission_classes = [permissions.IsAuthenticated, HasRole]
    serializer_class = serializers.Serializer

    def get_queryset(self):
        return selectors.programme_list(self.request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="programmes_list")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([selectors.programme_summary(p) for p in page])

    @extend_schema(request=ProgrammeCreateSerializer, responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        s = ProgrammeCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        programme = _write(services.programme_create, actor=request.user, **s.validated_data)
        body = selectors.programme_detail(selectors.programme_get(request.user, programme.pk))
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=FundingSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def funding(self, request: Request, pk=None) -> Response:
        programme = selectors.programme_get(request.user, _pk(pk))
        s = FundingSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        line = _write(services.funding_line_add, actor=request.user, programme=programme, **s.validated_data)
        body = {"id": line.pk, "donor": line.donor, "amount": f"{line.amount:.2f}", "currency": line.currency}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=DocumentSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, pk=None) -> Response:
        programme = selectors.programme_get(request.user, _pk(pk))
        s = DocumentSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        doc = _write(services.document_add, actor=request.user, programme=programme, **s.validated_data)
        return Response({"id": doc.pk, "title": doc.title, "reference": doc.reference}, status=status.HTTP_201_CREATED)

    @extend_schema(request=IndicatorSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def indicators(self, request: Request, pk=None) -> Response:
        programme = selectors.programme_get(request.user, _pk(pk))
        s = IndicatorSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        number = data.pop("output")
        output = None
        if number:
            output = selectors.output_choices(programme).filter(number=number).first()
            if output is None:
                raise serializers.ValidationError({"output": ["No such output in this programme."]})
        indicator = _write(services.indicator_add, actor=request.user, programme=programme, output=output, **data)
        indicator = Indicator.objects.prefetch_related("values").select_related("output").get(pk=indicator.pk)
        return Response(selectors.indicator_dict(indicator), status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        programme = selectors.programme_get(request.user, _pk(pk))
        body = selectors.programme_detail(programme)
        body["links"] = {
            "iati": request.build_absolute_uri(reverse("programme-iati", args=[programme.pk])),
            "iati_xml": request.build_absolute_uri(reverse("programme-iati-xml", args=[programme.pk])),
        }
        return Response(body)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def iati(self, request: Request, pk=None) -> Response:
        return Response(selectors.programme_iati(selectors.programme_get(request.user, _pk(pk))))

    @extend_schema(
        summary="The programme as an IATI 2.03 XML activity file",
        responses={
            (200, "application/xml"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The programme as an IATI 2.03 activity file (iati-activities/iati-activity).",
            )
        },
    )
    @action(detail=True, methods=["get"], url_path="iati-xml", renderer_classes=[IatiXmlRenderer])
    def iati_xml(self, request: Request, pk=None) -> HttpResponse:
        programme = selectors.programme_get(request.user, _pk(pk))
        response = HttpResponse(activity_xml(programme), content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="iati-{programme.code}.xml"'
        return response

    @extend_schema(request=ValueSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def values(self, request: Request, pk=None) -> Response:
        programme = selectors.programme_get(request.user, _pk(pk))
        s = ValueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        indicator = Indicator.objects.filter(programme=programme, pk=data.pop("indicator")).first()
        if indicator is None:
            raise serializers.ValidationError({"indicator": ["No such indicator in this programme."]})
        try:
            row = services.indicator_value_record(actor=request.user, indicator=indicator, **data)
        except NotFound:
            # The programme is readable, so say plainly that recording is not allowed (the denial is audited).
            raise PermissionDenied("Only the Coordinator's office records indicator values.") from None
        return Response(selectors.value_dict(row), status=status.HTTP_201_CREATED)


__all__ = ["ProgrammeViewSet"]
