"""API for probable duplicates: list them, confirm or reject a link, agree to contact (``nrm.exchange.dedup``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.idempotency import IdempotentPostMixin
from nrm.exchange import dedup
from nrm.exchange.models import PersonLink


class OwnCaseSerializer(serializers.Serializer):
    """The user's own case of a link."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    owner = serializers.CharField()


class OtherCaseSerializer(serializers.Serializer):
    """The other side of a link: its organisation once both agreed to contact, the case only if it is one's own."""

    id = serializers.IntegerField(required=False, help_text="Only when the other case is your organisation's too")
    reference = serializers.CharField(required=False, help_text="Only when the other case is your organisation's too")
    owner = serializers.CharField(allow_null=True, help_text="Null until both organisations agreed to contact")
    notified = serializers.BooleanField(help_text="The other organisation has been told of this probable duplicate")


class ContactSerializer(serializers.Serializer):
    ours = serializers.BooleanField(help_text="Your organisation agreed to contact")
    theirs = serializers.BooleanField(help_text="The other organisation agreed to contact")


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(PersonLink.Status.choices)
    case = OwnCaseSerializer()
    other_case = OtherCaseSerializer()
    contact = ContactSerializer()
    decided_by = serializers.CharField(allow_null=True, help_text="Only a decider of your own organisation")
    decided_by_other = serializers.BooleanField(help_text="The last decision was the other organisation's")
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def represent(view: dedup.LinkView) -> dict:
    """Return a link as the user may see it: of the other side, its organisation only once both agreed to contact."""
    link = view.link
    other: dict = {"owner": view.other_owner, "notified": link.notified_at is not None}
    if view.other is not None:
        other |= {"id": view.other.pk, "reference": view.other.reference}
    return {
        "id": link.pk,
        "status": link.status,
        "case": {"id": view.case.pk, "reference": view.case.reference, "owner": view.case.owner.name},
        "other_case": other,
        "contact": {"ours": view.contact_ours, "theirs": view.contact_theirs},
        "decided_by": view.decided_by,
        "decided_by_other": view.decided_by_other,
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
        return self.get_paginated_response([represent(view) for view in dedup.duplicate_views(request.user, page)])

    def _answer(self, request: Request, link: PersonLink) -> Response:
        link = dedup.duplicate_list(request.user).get(pk=link.pk)
        [view] = dedup.duplicate_views(request.user, [link], reason="view")
        return Response(represent(view))

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

    @extend_schema(request=None, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"])
    def contact(self, request: Request, pk=None) -> Response:
        """Agree that the other organisation may learn who you are; once both agree, each sees the other's."""
        return self._answer(request, dedup.link_contact(actor=request.user, link_id=int(pk)))
