"""API for probable duplicates: list them, confirm or reject a link (``nrm.exchange.dedup``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.idempotency import IdempotentPostMixin
from nrm.exchange import dedup
from nrm.exchange.models import PersonLink


class LinkedCaseSerializer(serializers.Serializer):
    """A case of a link: reference and owner; the id only for the user's own case."""

    id = serializers.IntegerField(required=False)
    reference = serializers.CharField()
    owner = serializers.CharField()


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(PersonLink.Status.choices)
    case = LinkedCaseSerializer()
    other_case = LinkedCaseSerializer()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def represent(view: dedup.LinkView) -> dict:
    """Return a link as the user may see it: never the other organisation's identity or case id."""
    other = {"reference": view.other.reference, "owner": view.other.owner.name}
    if view.other_is_mine:
        other["id"] = view.other.pk
    link = view.link
    return {
        "id": link.pk,
        "status": link.status,
        "case": {"id": view.case.pk, "reference": view.case.reference, "owner": view.case.owner.name},
        "other_case": other,
        "decided_by": link.decided_by.username if link.decided_by else None,
        "decided_at": link.decided_at,
        "created_at": link.created_at,
    }


class DuplicateViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Probable duplicates involving the caller's organisations' cases (same person, same linkage key)."""

    serializer_class = DuplicateSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return dedup.duplicate_list(self.request.user, status=self.request.query_params.get("status", ""))

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=PersonLink.Status.values, required=False)],
        responses=DuplicateSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([represent(dedup.link_view(request.user, link)) for link in page])

    def _answer(self, request: Request, link: PersonLink) -> Response:
        link = dedup.duplicate_list(request.user).get(pk=link.pk)
        return Response(represent(dedup.link_view(request.user, link)))

    @extend_schema(request=None, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        """Confirm that both cases are the same person (case workers of an owning organisation)."""
        return self._answer(request, dedup.link_confirm(actor=request.user, link_id=int(pk)))

    @extend_schema(request=None, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        """Record that the cases are different people despite the shared key."""
        return self._answer(request, dedup.link_reject(actor=request.user, link_id=int(pk)))
