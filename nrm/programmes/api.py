"""API for donor programmes: read by anyone with a role, indicator values recorded by the Coordinator.

``GET /programmes/`` lists each programme with partners, funding (per donor and total) and its
indicators' actual values; ``GET /programmes/<id>/`` adds the results framework and documents;
``GET /programmes/<id>/iati/`` gives the activity in IATI 2.03's shape;
``POST /programmes/<id>/values/`` records an actual value through
:func:`nrm.programmes.services.indicator_value_record`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.idempotency import IdempotentPostMixin
from nrm.core.errors import NotFound
from nrm.programmes import selectors, services
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


class ValueSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    source = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    period_text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ProgrammeViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Donor-funded programmes, their funding and their indicators' actual values."""

    permission_classes = [permissions.IsAuthenticated, HasRole]
    serializer_class = serializers.Serializer

    def get_queryset(self):
        return selectors.programme_list(self.request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([selectors.programme_summary(p) for p in page])

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(selectors.programme_detail(selectors.programme_get(request.user, _pk(pk))))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def iati(self, request: Request, pk=None) -> Response:
        return Response(selectors.programme_iati(selectors.programme_get(request.user, _pk(pk))))

    @extend_schema(request=ValueSerializer, responses=OpenApiTypes.OBJECT)
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
