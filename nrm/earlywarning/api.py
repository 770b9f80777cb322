"""API of early warning under ``/api/v1/early-warning/``; writes go through ``nrm.earlywarning.services``.

- ``groups/``, ``indicators/``: the vulnerable groups and risk indicators (reference data).
- ``observations/``: the observations the caller sees (``?group=&region=&year=``); POST records one.
- ``matrix/``: the risk matrix (``?group=&as_of=&window_days=``) over the observations the caller sees.
- ``alerts/``: the alerts the caller sees, open first; POST ``{id}/acknowledge/`` and ``{id}/close/``.
- ``thresholds/``: alert thresholds; the Coordinator's office creates and updates them.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from nrm.accounts.access import WarningAction, warning_organisations
from nrm.api.acting import acting_organisation
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.core.params import int_param, year_param
from nrm.earlywarning import selectors, services
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation, RiskIndicator, VulnerableGroup


class WarningIndicatorSerializer(ModelSerializer):
    group = serializers.CharField(source="group.code", read_only=True)

    class Meta:
        model = RiskIndicator
        fields = ["code", "group", "name", "description", "default_impact"]
        read_only_fields = fields


class WarningGroupSerializer(ModelSerializer):
    indicators = WarningIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = VulnerableGroup
        fields = ["code", "name", "description", "concerned_org_types", "indicators"]
        read_only_fields = fields


class WarningObservationSerializer(ModelSerializer):
    group = serializers.CharField(source="group.code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "observed_on",
            "group",
            "indicator",
            "region",
            "likelihood",
            "impact",
            "persons_concerned",
        ]
        read_only_fields = fields


class WarningObservationDetailSerializer(WarningObservationSerializer):
    class Meta(WarningObservationSerializer.Meta):
        fields = [*WarningObservationSerializer.Meta.fields, "note"]
        read_only_fields = fields


class WarningObservationCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    observed_on = serializers.DateField(required=False)
    indicator = serializers.CharField(max_length=60)
    region = serializers.CharField(max_length=80)
    likelihood = serializers.IntegerField()
    impact = serializers.IntegerField(required=False, allow_null=True)
    persons_concerned = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WarningEventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default="")
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default="")

    class Meta:
        model = AlertEvent
        fields = ["at", "kind", "score", "actor", "organisation", "organisation_name", "note"]
        read_only_fields = fields


class WarningAlertSerializer(ModelSerializer):
    group = serializers.CharField(source="group.code", read_only=True)
    level = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "group",
            "region",
            "threshold",
            "raised_at",
            "status",
            "score",
            "level",
            "likelihood",
            "impact",
            "observations",
            "persons_concerned",
            "window_days",
        ]
        read_only_fields = fields

    def get_level(self, obj: Alert) -> str:
        from nrm.earlywarning.choices import risk_level

        return str(risk_level(obj.score))


class WarningAlertDetailSerializer(WarningAlertSerializer):
    recipients = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    events = WarningEventSerializer(many=True, read_only=True)

    class Meta(WarningAlertSerializer.Meta):
        fields = [*WarningAlertSerializer.Meta.fields, "recipients", "events"]
        read_only_fields = fields


class WarningNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WarningThresholdSerializer(ModelSerializer):
    group = serializers.SlugRelatedField(
        slug_field="code", queryset=VulnerableGroup.objects.all(), required=False, allow_null=True
    )
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    is_active = serializers.BooleanField(required=False, default=True)

    class Meta:
        model = AlertThreshold
        fields = ["id", "group", "region", "min_score", "min_observations", "window_days", "is_active", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            "min_score": {"validators": []},
            "min_observations": {"validators": [], "required": False},
            "window_days": {"validators": [], "required": False},
        }


class WarningMatrixRowSerializer(serializers.Serializer):
    group = serializers.CharField(source="group.code")
    region = serializers.CharField()
    likelihood = serializers.IntegerField()
    impact = serializers.IntegerField()
    score = serializers.IntegerField()
    level = serializers.CharField()
    observations = serializers.IntegerField()
    persons_concerned = serializers.IntegerField(source="persons")


class GroupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Vulnerable groups with their risk indicators (reference data)."""

    serializer_class = WarningGroupSerializer
    queryset = VulnerableGroup.objects.prefetch_related("indicators")
    pagination_class = None


class IndicatorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Risk indicators (``?group=``), reference data."""

    serializer_class = WarningIndicatorSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.indicator_list(group=self.request.query_params.get("group", ""))


class ObservationViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Observations the caller sees (``?group=``, ``?region=``, ``?year=``, ``?indicator=``)."""

    serializer_class = WarningObservationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.observation_list(
            self.request.user,
            group=p.get("group", ""),
            region=p.get("region", ""),
            year=year_param(self.request.query_params.get("year")),
            indicator=p.get("indicator", ""),
        )

    @extend_schema(responses=WarningObservationDetailSerializer)
    def retrieve(self, request: Request, pk=None) -> Response:
        """Return one observation with its note; the read is audited, and so is a refusal."""
        return Response(WarningObservationDetailSerializer(selectors.observation_get(request.user, int(pk))).data)

    @extend_schema(request=WarningObservationCreateSerializer, responses=WarningObservationDetailSerializer)
    def create(self, request: Request) -> Response:
        """Record an observation (``organisation`` defaults to the caller's only one); it may raise an alert."""
        s = WarningObservationCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        # One the caller may not observe for comes back as None: the service refuses it.
        org = acting_organisation(
            request.user,
            data.pop("organisation", None),
            warning_organisations(request.user, WarningAction.OBSERVE),
            refuse=None,
        )
        observation = services.observation_record(actor=request.user, organisation=org, **data)
        return Response(WarningObservationDetailSerializer(observation).data, status=status.HTTP_201_CREATED)


class MatrixViewSet(viewsets.ViewSet):
    """The risk matrix per vulnerable group and region over a window of days ending ``as_of``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("group", str),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("window_days", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request: Request) -> Response:
        as_of_text = request.query_params.get("as_of", "").strip()
        try:
            as_of = dt.date.fromisoformat(as_of_text) if as_of_text else None
        except ValueError:
            raise serializers.ValidationError({"as_of": ["Enter a date as YYYY-MM-DD."]}) from None
        window = int_param(
            request.query_params.get("window_days"),
            field="window_days",
            default=90,
            low=1,
            high=services.MAX_WINDOW_DAYS,
        )
        group = request.query_params.get("group", "").strip()
        if group and not VulnerableGroup.objects.filter(code=group).exists():
            raise serializers.ValidationError({"group": ["Unknown vulnerable group."]})
        matrix = selectors.risk_matrix(request.user, as_of=as_of, window_days=window, group=group or None)
        return Response(
            {
                "as_of": matrix.as_of.isoformat(),
                "window_days": matrix.window_days,
                "from": matrix.start.isoformat(),
                "group": group,
                "national": matrix.national,
                "levels": {"low": "1-4", "medium": "5-9", "high": "10-16", "very_high": "20-25"},
                "results": WarningMatrixRowSerializer(matrix.rows, many=True).data,
            }
        )


class AlertViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Alerts the caller sees, open first (``?status=``, ``?group=``, ``?region=``)."""

    serializer_class = WarningAlertSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.alert_list(
            self.request.user, status=p.get("status", ""), group=p.get("group", ""), region=p.get("region", "")
        )

    @extend_schema(responses=WarningAlertDetailSerializer)
    def retrieve(self, request: Request, pk=None) -> Response:
        """Return one alert with its recipients and its history."""
        return Response(WarningAlertDetailSerializer(selectors.alert_get(request.user, int(pk))).data)

    def _alert(self, pk) -> Alert:
        return selectors.alert_get(self.request.user, int(pk))

    @extend_schema(request=WarningNoteSerializer, responses=WarningAlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk=None) -> Response:
        """Acknowledge an open alert: the Coordinator's office or a recipient organisation's staff."""
        s = WarningNoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.alert_acknowledge(actor=request.user, alert=self._alert(pk), note=s.validated_data["note"])
        return Response(WarningAlertDetailSerializer(selectors.alert_get(request.user, int(pk))).data)

    @extend_schema(request=WarningNoteSerializer, responses=WarningAlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        """Close an alert with a note: the Coordinator's office only."""
        s = WarningNoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.alert_close(actor=request.user, alert=self._alert(pk), note=s.validated_data["note"])
        return Response(WarningAlertDetailSerializer(selectors.alert_get(request.user, int(pk))).data)


class ThresholdViewSet(IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alert thresholds; the Coordinator's office creates (POST) and updates (PUT, PATCH) them."""

    serializer_class = WarningThresholdSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.threshold_list(self.request.user)

    def _save(self, request: Request, threshold: AlertThreshold | None, partial: bool) -> AlertThreshold:
        s = WarningThresholdSerializer(threshold, data=request.data, partial=partial)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        if threshold is not None:
            current = {
                "group": threshold.group,
                "region": threshold.region,
                "min_score": threshold.min_score,
                "min_observations": threshold.min_observations,
                "window_days": threshold.window_days,
                "is_active": threshold.is_active,
            }
            data = {**current, **data}
        return services.threshold_set(actor=request.user, threshold=threshold, **data)

    def create(self, request: Request) -> Response:
        return Response(
            WarningThresholdSerializer(self._save(request, None, False)).data, status=status.HTTP_201_CREATED
        )

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(WarningThresholdSerializer(selectors.threshold_get(request.user, int(pk))).data)

    def update(self, request: Request, pk=None) -> Response:
        threshold = selectors.threshold_get(request.user, int(pk))
        return Response(WarningThresholdSerializer(self._save(request, threshold, False)).data)

    def partial_update(self, request: Request, pk=None) -> Response:
        threshold = selectors.threshold_get(request.user, int(pk))
        return Response(WarningThresholdSerializer(self._save(request, threshold, True)).data)


def register(router: DefaultRouter) -> None:
    """Register the early-warning resources on the API router."""
    router.register("early-warning/groups", GroupViewSet, basename="earlywarning-group")
    router.register("early-warning/indicators", IndicatorViewSet, basename="earlywarning-indicator")
    router.register("early-warning/observations", ObservationViewSet, basename="earlywarning-observation")
    router.register("early-warning/matrix", MatrixViewSet, basename="earlywarning-matrix")
    router.register("early-warning/alerts", AlertViewSet, basename="earlywarning-alert")
    router.register("early-warning/thresholds", ThresholdViewSet, basename="earlywarning-threshold")
