"""API of prevention under /api/v1/prevention/; writes go through ``nrm.prevention.services``.

- ``professions/``: reference data, read only.
- ``events/``: trainings, round tables, seminars, conferences with their attendance (list with
  ``?year=&kind=&organiser=&region=&programme=&task=``, create, read, PATCH with ``version``).
- ``awareness/``: awareness actions with their materials (list, create, read, ``materials`` to add one).
- ``surveys/``: KAP surveys with their results (list, create, read).
- ``indicator-feeds/``: which measure feeds a programme indicator, and ``apply`` for a period
  (the Coordinator's office; analysts read).
- ``task-evidence/?task=ID&month=YYYY-MM``: what was done for an action-plan task in a month.

A record outside the caller's access is a 404; lists hold only what the caller may see.
"""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from nrm.accounts.access import PreventionAction, prevention_organisations
from nrm.accounts.models import Organisation
from nrm.api.acting import acting_organisation
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.core.params import year_param
from nrm.prevention import selectors, services
from nrm.prevention.choices import AwarenessKind, EventKind, FeedMeasure, MaterialKind
from nrm.prevention.models import Attendance, AwarenessAction, Event, IndicatorFeed, KapResult, KapSurvey, Material
from nrm.programmes.models import Indicator

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- Serializers -----------------------------------------------------------------------------


class PreventionProfessionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class PreventionAttendanceSerializer(ModelSerializer):
    profession = serializers.CharField(source="profession.code", read_only=True)
    organisation_type = serializers.CharField(source="organisation_type.code", read_only=True, default=None)

    class Meta:
        model = Attendance
        fields = ["profession", "organisation", "organisation_type", "sex", "count"]
        read_only_fields = fields


class PreventionEventSerializer(ModelSerializer):
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    participants = serializers.IntegerField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "version",
            "kind",
            "title",
            "topic",
            "starts_on",
            "ends_on",
            "organiser",
            "organiser_name",
            "region",
            "location",
            "programme",
            "task",
            "participants",
        ]
        read_only_fields = fields


class PreventionEventDetailSerializer(PreventionEventSerializer):
    attendance = PreventionAttendanceSerializer(many=True, read_only=True)
    participants = serializers.SerializerMethodField()

    class Meta(PreventionEventSerializer.Meta):
        fields = [
            *PreventionEventSerializer.Meta.fields,
            "partners",
            "forms_returned",
            "average_score",
            "share_useful",
            "evaluation_summary",
            "attendance",
        ]
        read_only_fields = fields

    def get_participants(self, obj: Event) -> int:
        return sum(a.count for a in obj.attendance.all())


class PreventionAttendanceWriteSerializer(serializers.Serializer):
    profession = serializers.CharField(max_length=40)
    organisation = serializers.IntegerField(required=False, allow_null=True)
    organisation_type = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    sex = serializers.CharField(required=False, allow_blank=True, default="U", max_length=1)
    count = serializers.IntegerField()


class PreventionEventWriteSerializer(serializers.Serializer):
    organiser = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(EventKind.choices)
    title = serializers.CharField(max_length=300)
    topic = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    partners = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    programme = serializers.IntegerField(required=False, allow_null=True)
    task = serializers.IntegerField(required=False, allow_null=True)
    forms_returned = serializers.IntegerField(required=False, allow_null=True)
    average_score = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True)
    share_useful = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True)
    evaluation_summary = serializers.CharField(required=False, allow_blank=True, default="")
    attendance = PreventionAttendanceWriteSerializer(many=True, required=False, default=list)


class PreventionEventUpdateSerializer(PreventionEventWriteSerializer):
    version = serializers.IntegerField()


class PreventionMaterialSerializer(ModelSerializer):
    class Meta:
        model = Material
        fields = ["id", "kind", "language", "title", "copies_produced", "copies_distributed", "distributed_where"]
        read_only_fields = fields


class PreventionMaterialWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(MaterialKind.choices)
    language = serializers.CharField(max_length=3)
    title = serializers.CharField(max_length=300)
    copies_produced = serializers.IntegerField(required=False, allow_null=True)
    copies_distributed = serializers.IntegerField(required=False, default=0)
    distributed_where = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class PreventionAwarenessSerializer(ModelSerializer):
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    materials = PreventionMaterialSerializer(many=True, read_only=True)

    class Meta:
        model = AwarenessAction
        fields = [
            "id",
            "kind",
            "title",
            "starts_on",
            "ends_on",
            "organiser",
            "organiser_name",
            "region",
            "location",
            "audience",
            "programme",
            "task",
            "materials",
        ]
        read_only_fields = fields


class PreventionAwarenessWriteSerializer(serializers.Serializer):
    organiser = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(AwarenessKind.choices)
    title = serializers.CharField(max_length=300)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    audience = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    programme = serializers.IntegerField(required=False, allow_null=True)
    task = serializers.IntegerField(required=False, allow_null=True)
    materials = PreventionMaterialWriteSerializer(many=True, required=False, default=list)


class PreventionResultSerializer(ModelSerializer):
    class Meta:
        model = KapResult
        fields = ["id", "domain", "statement", "measure", "baseline", "result", "respondents"]
        read_only_fields = fields


class PreventionResultWriteSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=12)
    statement = serializers.CharField(max_length=400)
    measure = serializers.CharField(max_length=12)
    baseline = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    result = serializers.DecimalField(max_digits=8, decimal_places=2)
    respondents = serializers.IntegerField(required=False, allow_null=True)


class PreventionSurveySerializer(ModelSerializer):
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    results = PreventionResultSerializer(many=True, read_only=True)

    class Meta:
        model = KapSurvey
        fields = [
            "id",
            "title",
            "organiser",
            "organiser_name",
            "conducted_from",
            "conducted_to",
            "population",
            "region",
            "sample_size",
            "method",
            "programme",
            "results",
        ]
        read_only_fields = fields


class PreventionSurveyWriteSerializer(serializers.Serializer):
    organiser = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=300)
    conducted_from = serializers.DateField()
    conducted_to = serializers.DateField()
    population = serializers.CharField(max_length=300)
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    sample_size = serializers.IntegerField()
    method = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    programme = serializers.IntegerField(required=False, allow_null=True)
    results = PreventionResultWriteSerializer(many=True, required=False, default=list)


class PreventionFeedSerializer(ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    programme = serializers.CharField(source="indicator.programme.code", read_only=True)

    class Meta:
        model = IndicatorFeed
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "programme",
            "measure",
            "event_kind",
            "material_kind",
        ]
        read_only_fields = fields


class PreventionFeedWriteSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    measure = serializers.ChoiceField(FeedMeasure.choices)
    event_kind = serializers.CharField(required=False, allow_blank=True, default="")
    material_kind = serializers.CharField(required=False, allow_blank=True, default="")


class PreventionFeedApplySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class PreventionFeedValueSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2)


# --- Helpers ---------------------------------------------------------------------------------


def _organiser(user, pk: int | None) -> Organisation | None:
    """Return the organisation the caller records for: the one given, else their only one.

    One the caller may not record for comes back as None, and the service names ``organiser``.
    """
    return acting_organisation(
        user,
        pk,
        prevention_organisations(user, PreventionAction.EDIT),
        field="organiser",
        choose="Choose the organisation you record for.",
        refuse=None,
    )


def _filters(request: Request) -> dict:
    p = request.query_params
    year_param(p.get("year"))  # a year outside any record's is a typing error: 400 naming it
    return {k: p.get(k, "") for k in ("year", "kind", "organiser", "region")}


# --- Views -----------------------------------------------------------------------------------


class ProfessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Professions participants are counted by (reference data)."""

    serializer_class = PreventionProfessionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.professions()


class EventViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Trainings, round tables, seminars and conferences, with participants by profession."""

    serializer_class = PreventionEventSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.event_list(
            self.request.user, **_filters(self.request), programme=p.get("programme"), task=p.get("task")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(n, str, required=False)
            for n in ("year", "kind", "organiser", "region", "programme", "task")
        ]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PreventionEventSerializer(page, many=True).data)

    @extend_schema(responses=PreventionEventDetailSerializer)
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(PreventionEventDetailSerializer(selectors.event_get(request.user, int(pk))).data)

    @extend_schema(request=PreventionEventWriteSerializer, responses=PreventionEventDetailSerializer)
    def create(self, request: Request) -> Response:
        s = PreventionEventWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data["organiser"] = _organiser(request.user, data.pop("organiser", None))
        data["attendance"] = [dict(row) for row in data["attendance"]]
        event = services.event_record(actor=request.user, **data)
        return Response(
            PreventionEventDetailSerializer(selectors.event_get(request.user, event.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PreventionEventUpdateSerializer, responses=PreventionEventDetailSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        event = selectors.event_get(request.user, int(pk), PreventionAction.EDIT)
        s = PreventionEventUpdateSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        if "version" not in data:
            raise serializers.ValidationError({"version": ["Give the version of the event you edited."]})
        if "organiser" in data:
            data["organiser"] = _organiser(request.user, data["organiser"])
        if "attendance" in data:
            data["attendance"] = [dict(row) for row in data["attendance"]]
        services.event_update(actor=request.user, event=event, expected_version=data.pop("version"), **data)
        return Response(PreventionEventDetailSerializer(selectors.event_get(request.user, event.pk)).data)


class AwarenessViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Awareness actions with the materials they produced and distributed."""

    serializer_class = PreventionAwarenessSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.awareness_list(self.request.user, **_filters(self.request))

    @extend_schema(
        parameters=[OpenApiParameter(n, str, required=False) for n in ("year", "kind", "organiser", "region")]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PreventionAwarenessSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(PreventionAwarenessSerializer(selectors.awareness_get(request.user, int(pk))).data)

    @extend_schema(request=PreventionAwarenessWriteSerializer, responses=PreventionAwarenessSerializer)
    def create(self, request: Request) -> Response:
        s = PreventionAwarenessWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data["organiser"] = _organiser(request.user, data.pop("organiser", None))
        data["materials"] = [dict(row) for row in data["materials"]]
        found = services.awareness_record(actor=request.user, **data)
        return Response(
            PreventionAwarenessSerializer(selectors.awareness_get(request.user, found.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PreventionMaterialWriteSerializer, responses={201: PreventionMaterialSerializer})
    @action(detail=True, methods=["post"])
    def materials(self, request: Request, pk=None) -> Response:
        """Add one material to the awareness action."""
        found = selectors.awareness_get(request.user, int(pk))
        s = PreventionMaterialWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        material = services.material_add(actor=request.user, action=found, **s.validated_data)
        return Response(PreventionMaterialSerializer(material).data, status=status.HTTP_201_CREATED)


class SurveyViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Knowledge, attitudes and practices surveys with their results."""

    serializer_class = PreventionSurveySerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.survey_list(
            self.request.user, year=year_param(p.get("year")), organiser=p.get("organiser"), region=p.get("region", "")
        )

    @extend_schema(parameters=[OpenApiParameter(n, str, required=False) for n in ("year", "organiser", "region")])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PreventionSurveySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(PreventionSurveySerializer(selectors.survey_get(request.user, int(pk))).data)

    @extend_schema(request=PreventionSurveyWriteSerializer, responses=PreventionSurveySerializer)
    def create(self, request: Request) -> Response:
        s = PreventionSurveyWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data["organiser"] = _organiser(request.user, data.pop("organiser", None))
        data["results"] = [dict(row) for row in data["results"]]
        survey = services.survey_record(actor=request.user, **data)
        return Response(
            PreventionSurveySerializer(selectors.survey_get(request.user, survey.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class IndicatorFeedViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Which measure of the prevention records feeds a programme indicator; ``apply`` records a period's value."""

    serializer_class = PreventionFeedSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.feed_list(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PreventionFeedSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(PreventionFeedSerializer(selectors.feed_get(request.user, int(pk))).data)

    @extend_schema(request=PreventionFeedWriteSerializer, responses=PreventionFeedSerializer)
    def create(self, request: Request) -> Response:
        s = PreventionFeedWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        indicator = Indicator.objects.filter(pk=data.pop("indicator")).first()
        if indicator is None:
            raise serializers.ValidationError({"indicator": ["No such indicator."]})
        feed = services.indicator_feed_define(actor=request.user, indicator=indicator, **data)
        return Response(PreventionFeedSerializer(feed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PreventionFeedApplySerializer, responses={201: PreventionFeedValueSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk=None) -> Response:
        """Compute the figure for the period and record it as the indicator's actual value."""
        feed = selectors.feed_get(request.user, int(pk))
        s = PreventionFeedApplySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        value = services.indicator_feed_apply(actor=request.user, feed=feed, **s.validated_data)
        return Response(PreventionFeedValueSerializer(value).data, status=status.HTTP_201_CREATED)


class TaskEvidenceViewSet(viewsets.ViewSet):
    """Prevention work linked to an action-plan task in a month (``?task=ID&month=YYYY-MM``)."""

    @extend_schema(
        parameters=[OpenApiParameter("task", int, required=True), OpenApiParameter("month", str, required=True)],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request: Request) -> Response:
        task = request.query_params.get("task", "")
        month = MONTH.match(request.query_params.get("month", "").strip())
        if not task.isdigit():
            raise serializers.ValidationError({"task": ["Give the id of an action-plan task."]})
        if month is None:
            raise serializers.ValidationError({"month": ["Enter a month as YYYY-MM."]})
        found = selectors.task_get(task)
        return Response(selectors.task_evidence(request.user, found, int(month[1]), int(month[2])))


def register(router: DefaultRouter) -> None:
    """Register this app's resources on the API router."""
    router.register("prevention/professions", ProfessionViewSet, basename="prevention-profession")
    router.register("prevention/events", EventViewSet, basename="prevention-event")
    router.register("prevention/awareness", AwarenessViewSet, basename="prevention-awareness")
    router.register("prevention/surveys", SurveyViewSet, basename="prevention-survey")
    router.register("prevention/indicator-feeds", IndicatorFeedViewSet, basename="prevention-feed")
    router.register("prevention/task-evidence", TaskEvidenceViewSet, basename="prevention-task-evidence")
