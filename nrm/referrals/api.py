"""API for referrals and the service directory; writes go through ``nrm.referrals.services``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, get_or_deny
from nrm.accounts.models import Organisation
from nrm.api.conditional import ConditionalMixin
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.cases.models import Case
from nrm.referrals import selectors, services
from nrm.referrals.choices import GroundReview, LegalGround, ReferralKind, ReferralStatus, Urgency
from nrm.referrals.models import Referral, ServiceOffer, ServiceType


class ReferralSerializer(ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    from_org_name = serializers.CharField(source="from_org.name", read_only=True)
    to_org_name = serializers.CharField(source="to_org.name", read_only=True)
    service_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    message = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "case_reference",
            "kind",
            "urgency",
            "from_org",
            "from_org_name",
            "to_org",
            "to_org_name",
            "service_type",
            "status",
            "sent_on",
            "due_on",
            "responded_on",
            "decline_reason",
            "message",
            "without_consent",
            "legal_ground",
            "shares_identity",
            "shares_documents",
            "suspended_on",
            "version",
        ]
        read_only_fields = fields

    def get_message(self, obj: Referral) -> str:
        # Read through the selectors, which blank a suspended referral's message for its receiver;
        # a referral just written by the caller's own service call carries its message as stored.
        return getattr(obj, "visible_message", obj.message)


class LegalGroundSerializer(ReferralSerializer):
    """A referral on the owner's review list: its written ground and the review, if made."""

    ground_reviewed_by = serializers.CharField(source="ground_reviewed_by.username", read_only=True, default=None)

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "legal_ground_note",
            "ground_review",
            "ground_review_note",
            "ground_reviewed_by",
            "ground_reviewed_on",
        ]
        read_only_fields = fields


class GroundReviewSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    ground_review = serializers.ChoiceField(GroundReview.choices)
    ground_review_note = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    to_org = serializers.IntegerField()
    # Without a kind, the receiver decides it: identification for the Centre, asylum, else a service.
    kind = serializers.ChoiceField(ReferralKind.choices, required=False, default="")
    urgency = serializers.ChoiceField(Urgency.choices, required=False, default=Urgency.ROUTINE)
    service_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceType.objects.all(), required=False, allow_null=True
    )
    from_org = serializers.IntegerField(required=False)
    message = serializers.CharField(required=False, allow_blank=True, default="")
    legal_ground = serializers.ChoiceField(LegalGround.choices, required=False, default="")
    legal_ground_note = serializers.CharField(required=False, allow_blank=True, default="")
    shares_identity = serializers.BooleanField(required=False, default=True)
    # The receiver may download the case's documents (only together with the identity).
    shares_documents = serializers.BooleanField(required=False, default=False)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(ReferralStatus.choices)
    version = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        # Named as the client sent it ("reason"), not as the model stores it.
        if attrs["status"] == ReferralStatus.DECLINED and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": ["Give the reason for declining."]})
        return attrs


class ReferralViewSet(
    ConditionalMixin, IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Referrals sent or received by the caller's organisations (``?box=in|out``, ``?status=``).

    Responses about one referral carry its ``ETag``; a transition or review honours ``If-Match``.
    """

    serializer_class = ReferralSerializer
    lookup_value_regex = r"\d+"
    conditional_actions = frozenset({"transition", "ground_review"})

    def get_queryset(self):
        p = self.request.query_params
        box = p.get("box", "")
        user = self.request.user
        if box == "in":
            return selectors.referral_inbox(user, status=p.get("status", ""))
        if box == "out":
            return selectors.referral_outbox(user, status=p.get("status", ""))
        qs = selectors.referral_inbox(user) | selectors.referral_outbox(user)
        return qs.filter(status=p["status"]) if p.get("status") else qs

    def retrieve(self, request: Request, pk=None) -> Response:
        """Return one referral; reading it is audited, and so is a refusal."""
        referral = selectors.referral_get(request.user, int(pk))
        return self.tagged(Response(ReferralSerializer(referral).data), referral)

    @extend_schema(request=ReferralCreateSerializer, responses=ReferralSerializer)
    def create(self, request: Request) -> Response:
        s = ReferralCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        case = get_or_deny(
            Case.objects.all(),
            request.user,
            Action.REFER,
            object_type="case",
            audit_action="referral.send",
            audit_reason="api",
            pk=data.pop("case"),
        )
        to_org = Organisation.objects.select_related("type").filter(pk=data.pop("to_org")).first()
        if to_org is None:
            raise serializers.ValidationError({"to_org": ["No such organisation."]})
        from_id = data.pop("from_org", None)
        from_org = Organisation.objects.filter(pk=from_id).first() if from_id else None
        if from_id and from_org is None:
            raise serializers.ValidationError({"from_org": ["No such organisation."]})
        referral = services.referral_send(actor=request.user, case=case, to_org=to_org, from_org=from_org, **data)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk=None) -> Response:
        referral = services.referral_for_update(request.user, int(pk))
        self.check_if_match(referral)
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        referral = services.referral_transition(
            actor=request.user,
            referral=referral,
            to_status=s.validated_data["status"],
            expected_version=s.validated_data["version"],
            reason=s.validated_data["reason"],
        )
        return self.tagged(Response(ReferralSerializer(referral).data), referral)

    @extend_schema(
        responses=LegalGroundSerializer(many=True),
        parameters=[OpenApiParameter("reviewed", bool, description="true: those already reviewed")],
    )
    @action(detail=False, url_path="legal-grounds")
    def legal_grounds(self, request: Request) -> Response:
        """The owner's review list: referrals of the caller's organisations' cases sent without consent."""
        reviewed = request.query_params.get("reviewed", "") in ("1", "true")
        qs = selectors.legal_grounds_to_review(request.user, pending=not reviewed)
        if reviewed:
            qs = qs.exclude(ground_review="")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(LegalGroundSerializer(page, many=True).data)

    @extend_schema(request=GroundReviewSerializer, responses=LegalGroundSerializer)
    @action(detail=True, methods=["post"], url_path="ground-review")
    def ground_review(self, request: Request, pk=None) -> Response:
        """Record whether the legal ground of a referral sent without consent was justified."""
        referral = selectors.legal_ground_get(request.user, int(pk))
        self.check_if_match(referral)
        s = GroundReviewSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        referral = services.legal_ground_review(
            actor=request.user,
            referral=referral,
            outcome=s.validated_data["ground_review"],
            note=s.validated_data["ground_review_note"],
            expected_version=s.validated_data["version"],
        )
        return self.tagged(Response(LegalGroundSerializer(referral).data), referral)


class DirectorySerializer(ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    organisation_id = serializers.IntegerField()
    organisation_type = serializers.CharField(source="organisation.type.code")
    service_type = serializers.CharField(source="service_type.code")

    class Meta:
        model = ServiceOffer
        fields = [
            "id",
            "organisation_id",
            "organisation",
            "organisation_type",
            "service_type",
            "coverage",
            "languages",
            "for_children",
            "notes",
        ]


class DirectoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The service directory: who offers which service where (``?service=``, ``?region=``, ``?language=``)."""

    serializer_class = DirectorySerializer

    def get_queryset(self):
        p = self.request.query_params
        return selectors.directory(
            service=p.get("service", ""), region=p.get("region", ""), language=p.get("language", "")
        )
