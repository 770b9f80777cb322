"""API for helpline calls and their statistics; writes go through ``nrm.helpline.services``.

- ``helpline/calls/``: the calls of the caller's helplines (list, log, read, ``to-screening``).
  Anyone else: an empty list, and 404 for a call.
- ``helpline/statistics/``: the statistics engine's national tables (disclosure control) for the
  Coordinator's office and analysts; a helpline's own calls by month, channel and topic for its staff.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, get_or_deny, helpline_organisations, reads_national_statistics
from nrm.accounts.models import Organisation
from nrm.api.acting import acting_organisation
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.cases.api import ScreeningSerializer
from nrm.cases.choices import AgeBand, Sex
from nrm.helpline import selectors, services
from nrm.helpline.choices import Channel
from nrm.helpline.models import Call, Topic


class CallSerializer(ModelSerializer):
    topic = serializers.CharField(source="topic.code", read_only=True)
    referred_to_name = serializers.CharField(source="referred_to.name", read_only=True, default="")

    class Meta:
        model = Call
        fields = [
            "id",
            "organisation",
            "received_at",
            "channel",
            "topic",
            "language",
            "region",
            "referral_made",
            "referred_to",
            "referred_to_name",
            "referred_to_other",
            "screening",
        ]
        read_only_fields = fields


class CallDetailSerializer(CallSerializer):
    class Meta(CallSerializer.Meta):
        fields = [*CallSerializer.Meta.fields, "notes"]
        read_only_fields = fields


class CallCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    received_at = serializers.DateTimeField(required=False)
    channel = serializers.ChoiceField(Channel.choices)
    topic = serializers.CharField()
    language = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    referral_made = serializers.BooleanField(default=False)
    referred_to = serializers.IntegerField(required=False, allow_null=True)
    referred_to_other = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ToScreeningSerializer(serializers.Serializer):
    answers = serializers.ListField(child=serializers.CharField(max_length=80), allow_empty=True)
    is_child = serializers.BooleanField()
    sex = serializers.ChoiceField(Sex.choices, default=Sex.UNKNOWN)
    age_band = serializers.ChoiceField(AgeBand.choices, default=AgeBand.UNKNOWN)
    citizenship = serializers.CharField(required=False, allow_blank=True, default="")


class TopicSerializer(ModelSerializer):
    class Meta:
        model = Topic
        fields = ["code", "name"]


class CallViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Calls of the caller's helplines (``?month=YYYY-MM``, ``?channel=``, ``?topic=``, ``?converted=1|0``)."""

    serializer_class = CallSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.call_list(
            self.request.user,
            month=p.get("month", ""),
            channel=p.get("channel", ""),
            topic=p.get("topic", ""),
            converted=p.get("converted", ""),
        )

    @extend_schema(responses=CallDetailSerializer)
    def retrieve(self, request: Request, pk=None) -> Response:
        """Return one call with its notes; reading it is audited, and so is a refusal."""
        return Response(CallDetailSerializer(selectors.call_get(request.user, int(pk))).data)

    @extend_schema(request=CallCreateSerializer, responses=CallDetailSerializer)
    def create(self, request: Request) -> Response:
        s = CallCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        org = acting_organisation(
            request.user,
            data.pop("organisation", None),
            helpline_organisations(request.user),
            choose="Choose the helpline you act for.",
            refuse="You cannot log calls for this organisation.",
        )
        referred_to = data.pop("referred_to", None)
        if referred_to is not None:
            data["referred_to"] = Organisation.objects.filter(pk=referred_to).first()
            if data["referred_to"] is None:
                raise serializers.ValidationError({"referred_to": ["No such organisation."]})
        call = services.call_log(actor=request.user, organisation=org, **data)
        return Response(CallDetailSerializer(call).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ToScreeningSerializer, responses={201: ScreeningSerializer})
    @action(detail=True, methods=["post"], url_path="to-screening")
    def to_screening(self, request: Request, pk=None) -> Response:
        """Turn the call into an anonymous screening in one step; a second time is a 409."""
        call = get_or_deny(
            Call.objects.all(),
            request.user,
            Action.VIEW,
            object_type="helpline_call",
            audit_action="helpline.convert",
            audit_reason="api",
            pk=pk,
        )
        s = ToScreeningSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        screening = services.helpline_call_to_screening(actor=request.user, call=call, **s.validated_data)
        return Response(ScreeningSerializer(screening).data, status=status.HTTP_201_CREATED)


class TopicViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Topics helpline calls are logged under (reference data)."""

    serializer_class = TopicSerializer
    queryset = Topic.objects.all()


class HelplineStatisticsViewSet(viewsets.ViewSet):
    """Helpline statistics (``?year=``).

    The Coordinator's office and analysts get the statistics engine's national tables, with
    disclosure control (``national``: true, ``tables``); a helpline's staff get their own calls by
    month, channel and topic as they are (``national``: false, ``results``). Anyone else: 403.
    """

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        year = request.query_params.get("year", "").strip()
        if year and not (year.isdigit() and 1900 <= int(year) <= 2100):
            raise serializers.ValidationError({"year": ["Enter a year, such as 2024."]})
        year_value = int(year) if year else None
        if reads_national_statistics(request.user):
            tables = selectors.national_statistics(request.user, year=year_value)
            return Response(
                {"national": True, "threshold": tables[0].threshold, "tables": [t.as_dict() for t in tables]}
            )
        rows = selectors.call_statistics(request.user, year=year_value)
        return Response({"national": False, "threshold": None, "results": rows})
