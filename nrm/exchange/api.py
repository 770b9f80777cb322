"""API for probable duplicates: list them, confirm or reject a link, agree to contact (``nrm.exchange.dedup``),
and merge a confirmed one (``nrm.exchange.merge``: ask, accept, decline; an administrator undoes)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.idempotency import IdempotentPostMixin
from nrm.exchange import dedup
from nrm.exchange import merge as merging
from nrm.exchange.models import CaseMerge, PersonLink


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


class LinkMergeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="requested, declined, merged or undone")
    survivor = serializers.ChoiceField(["ours", "theirs"], help_text="Which side's case survives the merge")
    asked_by_us = serializers.BooleanField(help_text="Your organisation asked for the merge")
    merged_at = serializers.DateTimeField(allow_null=True)


class MergeRequestSerializer(serializers.Serializer):
    survivor = serializers.CharField(
        help_text='The case that survives: "ours", "theirs", or the id of your organisation\'s case of the link'
    )


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
    merge = LinkMergeSerializer(allow_null=True, help_text="The latest merge asked for on this link, if any")


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
        "merge": None
        if view.merge is None
        else {
            "id": view.merge.merge.pk,
            "status": view.merge.merge.status,
            "survivor": "ours" if view.merge.survivor_ours else "theirs",
            "asked_by_us": view.merge.asked_by_us,
            "merged_at": view.merge.merge.merged_at,
        },
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

    @extend_schema(request=MergeRequestSerializer, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk=None) -> Response:
        """Ask to merge a confirmed duplicate, naming the surviving case; the other organisation accepts.

        Both organisations must have agreed to contact. When your organisation owns both cases,
        your request is enough: they merge at once.
        """
        s = MergeRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        merging.merge_request(actor=request.user, link_id=int(pk), survivor=s.validated_data["survivor"])
        return self._answer(request, PersonLink(pk=int(pk)))

    @extend_schema(request=None, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"], url_path="merge/accept")
    def merge_accept(self, request: Request, pk=None) -> Response:
        """Accept the other organisation's request to merge: the cases merge now."""
        merging.merge_accept(actor=request.user, link_id=int(pk))
        return self._answer(request, PersonLink(pk=int(pk)))

    @extend_schema(request=None, responses=DuplicateSerializer)
    @action(detail=True, methods=["post"], url_path="merge/decline")
    def merge_decline(self, request: Request, pk=None) -> Response:
        """Decline the other organisation's request to merge, or withdraw your own."""
        merging.merge_decline(actor=request.user, link_id=int(pk))
        return self._answer(request, PersonLink(pk=int(pk)))


class CaseMergeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="requested, declined, merged or undone")
    survivor = serializers.IntegerField(help_text="The surviving case's id")
    absorbed = serializers.IntegerField(help_text="The id of the case merged into it")
    survivor_owner = serializers.CharField()
    absorbed_owner = serializers.CharField()
    requested_at = serializers.DateTimeField()
    merged_at = serializers.DateTimeField(allow_null=True)
    moved = serializers.IntegerField(help_text="How many rows moved to the survivor")
    kept = serializers.IntegerField(help_text="How many rows stayed on the absorbed case (the survivor had their like)")
    undo_until = serializers.DateTimeField(allow_null=True, help_text="Until when an administrator may undo it")
    undone_at = serializers.DateTimeField(allow_null=True)


def merge_json(m: CaseMerge) -> dict:
    """A merge as its readers see it: case ids and owners, counts, dates; no identity, no case content."""
    return {
        "id": m.pk,
        "status": m.status,
        "survivor": m.survivor_id,
        "absorbed": m.absorbed_id,
        "survivor_owner": m.survivor.owner.name,
        "absorbed_owner": m.absorbed.owner.name,
        "requested_at": m.requested_at,
        "merged_at": m.merged_at,
        "moved": len(m.moved),
        "kept": len(m.kept),
        "undo_until": merging.undo_deadline(m),
        "undone_at": m.undone_at,
    }


class MergeViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Merges of duplicate cases: every one for the administrators, who may undo them for a period."""

    serializer_class = CaseMergeSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return merging.merge_list(self.request.user, status=self.request.query_params.get("status", ""))

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=CaseMerge.Status.values, required=False)],
        responses=CaseMergeSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([merge_json(m) for m in page])

    @extend_schema(request=None, responses=CaseMergeSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk=None) -> Response:
        """Undo a merge within ``NRM_MERGE_UNDO_DAYS``: the moved rows go back and the absorbed case returns."""
        done = merging.merge_undo(actor=request.user, merge_id=int(pk))
        return Response(merge_json(merging.merge_list(request.user).get(pk=done.pk)))
