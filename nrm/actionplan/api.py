"""API for strategy and action-plan monitoring; every write goes through ``nrm.actionplan.services``.

The plan (objectives, activities, budget tables) is open to every signed-in user. Reports and
the figures computed from them follow the access rule: the Coordinator's office sees every
institution, a focal point its own institution; anyone else gets empty lists and 404s.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import PlanAction, actionplan_institution_ids
from nrm.actionplan import selectors, services
from nrm.actionplan.choices import BriefingKind, FundingSource, Progress, Rating, ReportKind
from nrm.actionplan.models import ActionPlan, Activity, Briefing, Evaluation, Objective, Report
from nrm.api.acting import acting_organisation
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.core.errors import NotFound
from nrm.core.params import int_param, year_param

PLAN_PARAM = OpenApiParameter("plan", int, description="action plan id (default: the newest plan)")


def _plan(request: Request, pk: int | None = None) -> ActionPlan:
    pk = pk if pk is not None else int_param(request.query_params.get("plan"), field="plan")
    return selectors.plan_get(pk=pk)


# --- The plan ---------------------------------------------------------------------------------


class StrategySerializer(serializers.Serializer):
    code = serializers.CharField()
    country = serializers.CharField()
    title = serializers.CharField()
    period_start = serializers.IntegerField()
    period_end = serializers.IntegerField()
    vision = serializers.CharField()
    general_objective = serializers.CharField()
    adopted_on = serializers.DateField()
    is_synthetic = serializers.BooleanField()
    special_objectives = serializers.SerializerMethodField()

    def get_special_objectives(self, strategy) -> list[dict]:
        return [{"number": o.number, "title": o.title} for o in strategy.objectives.all()]


class PlanSerializer(ModelSerializer):
    strategy = StrategySerializer(read_only=True)
    closes_on = serializers.DateField(read_only=True, help_text="after this day nothing of the plan is overdue")

    class Meta:
        model = ActionPlan
        fields = [
            "id",
            "code",
            "title",
            "period_start",
            "period_end",
            "currency",
            "monthly_due_working_day",
            "annual_due_month",
            "annual_due_day",
            "council_interval_days",
            "closing_days",
            "closes_on",
            "is_synthetic",
            "strategy",
        ]
        read_only_fields = fields


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Action plans and their strategies. ``budget`` gives the budget tables, ``export`` the whole plan."""

    serializer_class = PlanSerializer

    def get_queryset(self):
        return selectors.plan_list().prefetch_related("strategy__objectives")

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def budget(self, request: Request, pk=None) -> Response:
        plan = self.get_object()
        sections = selectors.budget_sections(plan.strategy)
        return Response(
            {"results": [selectors.budget_section_dict(s) for s in sections if s.plan_id in (None, plan.pk)]}
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk=None) -> Response:
        return Response(selectors.plan_export(self.get_object()))


class ObjectiveViewSet(viewsets.GenericViewSet):
    """A plan's objectives with their activities, tasks, indicators, deadlines, resources and risks."""

    serializer_class = serializers.Serializer  # the shape is selectors.objective_dict
    queryset = Objective.objects.none()  # names the model for the schema; list and retrieve read the plan

    @extend_schema(parameters=[PLAN_PARAM], responses=OpenApiTypes.OBJECT, operation_id="actionplan_objectives_list")
    def list(self, request: Request) -> Response:
        plan = _plan(request)
        page = self.paginate_queryset(selectors.objectives_with_activities(plan))
        return self.get_paginated_response([selectors.objective_dict(o, plan, ids=True) for o in page])

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        plan_id = ActionPlan.objects.filter(objectives__pk=_pk(pk)).values_list("pk", flat=True).first()
        if plan_id is None:
            raise NotFound
        plan = selectors.plan_get(pk=plan_id)
        objective = selectors.objectives_with_activities(plan).get(pk=_pk(pk))
        return Response(selectors.objective_dict(objective, plan, ids=True))


def _pk(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound from None


# --- Reports ----------------------------------------------------------------------------------


class ReportSerializer(ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    period = serializers.CharField(source="period.label", read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "plan",
            "institution",
            "institution_name",
            "kind",
            "year",
            "month",
            "period",
            "status",
            "due_on",
            "first_submitted_at",
            "submitted_at",
            "is_late",
            "reviewed_at",
            "version",
        ]
        read_only_fields = fields


def report_detail(report: Report) -> dict:
    """Return a report with its entries, indicator values and history."""
    data = ReportSerializer(report).data
    data["summary"] = report.summary
    data["review_note"] = report.review_note
    entries = []
    for e in report.entries.all():
        values = {v.indicator_id: v.value for v in e.values.all()}
        entries.append(
            {
                "id": e.pk,
                "activity": e.activity_id,
                "activity_number": e.activity.number,
                "activity_title": e.activity.title,
                "progress": e.progress,
                "done": e.done,
                "money_spent": None if e.money_spent is None else f"{e.money_spent:.2f}",
                "currency": e.currency,
                "funding_source": e.funding_source,
                "problems": e.problems,
                "indicators": [
                    {"indicator": i.pk, "text": i.text, "value": values.get(i.pk)} for i in e.activity.indicators.all()
                ],
            }
        )
    data["entries"] = entries
    data["history"] = [
        {"from": t.from_status, "to": t.to_status, "at": t.at.isoformat(), "note": t.note}
        for t in report.transitions.all()
    ]
    return data


class ReportCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False)
    institution = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(ReportKind.choices, default=ReportKind.MONTHLY)
    year = serializers.IntegerField(min_value=1900, max_value=2200)
    month = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=12)


class IndicatorValueSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    value = serializers.CharField(allow_blank=True, max_length=300)


class EntrySerializer(serializers.Serializer):
    activity = serializers.IntegerField()
    progress = serializers.ChoiceField(Progress.choices, required=False, allow_blank=True)
    done = serializers.CharField(required=False, allow_blank=True)
    money_spent = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3)
    funding_source = serializers.ChoiceField(FundingSource.choices, required=False, allow_blank=True)
    problems = serializers.CharField(required=False, allow_blank=True)
    indicators = IndicatorValueSerializer(many=True, required=False)


class ReportUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    summary = serializers.CharField(required=False, allow_blank=True)
    entries = EntrySerializer(many=True, required=False)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class ReturnSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class AcceptSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReportViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Institutions' monthly and annual reports (``?plan= &kind= &year= &month= &institution= &status=``).

    A focal point creates, fills and submits their institution's reports; the Coordinator
    returns or accepts them. Another institution's report is a 404.
    """

    serializer_class = ReportSerializer

    def get_queryset(self):
        p = self.request.query_params
        return selectors.report_list(
            self.request.user,
            plan=_plan(self.request) if p.get("plan") else None,
            kind=p.get("kind", ""),
            year=year_param(self.request.query_params.get("year")),
            month=int_param(self.request.query_params.get("month"), field="month", low=0, high=12),
            institution=int_param(self.request.query_params.get("institution"), field="institution"),
            status=p.get("status", ""),
        )

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReportSerializer(page, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(report_detail(selectors.report_get(request.user, _pk(pk))))

    @extend_schema(request=ReportCreateSerializer, responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        s = ReportCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        plan = _plan(request, data.get("plan"))
        institution = acting_organisation(
            request.user,
            data.get("institution"),
            actionplan_institution_ids(request.user, PlanAction.EDIT) or [],
            field="institution",
            choose="Choose the institution you report for.",
            refuse="You cannot report for this institution.",
        )
        org_id = institution.pk
        month = data.get("month") if data["kind"] == ReportKind.MONTHLY else None
        # Creating the same report twice returns the first: API creates are idempotent.
        existing = Report.objects.filter(
            plan=plan, institution=org_id, kind=data["kind"], year=data["year"], month=month or 0
        ).first()
        if existing is not None:
            return Response(report_detail(selectors.report_get(request.user, existing.pk)), status=status.HTTP_200_OK)
        report = services.report_create(
            actor=request.user,
            plan=plan,
            institution=institution,
            kind=data["kind"],
            year=data["year"],
            month=month,
        )
        return Response(report_detail(selectors.report_get(request.user, report.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportUpdateSerializer, responses=OpenApiTypes.OBJECT)
    def partial_update(self, request: Request, pk=None) -> Response:
        report = selectors.report_get(request.user, _pk(pk), PlanAction.EDIT)
        s = ReportUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        entries = []
        for item in data.get("entries", []):
            item = dict(item)
            if "indicators" in item:
                item["indicators"] = {v["indicator"]: v["value"] for v in item["indicators"]}
            entries.append(item)
        services.report_save_draft(
            actor=request.user,
            report=report,
            expected_version=data["version"],
            summary=data.get("summary"),
            entries=entries,
        )
        return Response(report_detail(selectors.report_get(request.user, report.pk)))

    @extend_schema(request=VersionSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        report = selectors.report_get(request.user, _pk(pk), PlanAction.EDIT)
        s = VersionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.report_submit(actor=request.user, report=report, expected_version=s.validated_data["version"])
        return Response(report_detail(selectors.report_get(request.user, report.pk)))

    @extend_schema(request=ReturnSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_correction(self, request: Request, pk=None) -> Response:
        report = selectors.report_get(request.user, _pk(pk), PlanAction.REVIEW)
        s = ReturnSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.report_return(
            actor=request.user,
            report=report,
            expected_version=s.validated_data["version"],
            reason=s.validated_data["reason"],
        )
        return Response(report_detail(selectors.report_get(request.user, report.pk)))

    @extend_schema(request=AcceptSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        report = selectors.report_get(request.user, _pk(pk), PlanAction.REVIEW)
        s = AcceptSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.report_accept(
            actor=request.user,
            report=report,
            expected_version=s.validated_data["version"],
            note=s.validated_data["note"],
        )
        return Response(report_detail(selectors.report_get(request.user, report.pk)))


# --- Figures ----------------------------------------------------------------------------------


class CompletenessViewSet(viewsets.GenericViewSet):
    """Completeness (received / expected) and timeliness (on time / expected), DHIS2 style.

    ``?plan= &kind=monthly|annual &year= &month= &by=institution|period``. Periods whose report
    is not due yet are left out. Rows cover the institutions the caller may see.
    """

    serializer_class = serializers.Serializer

    @extend_schema(
        parameters=[
            PLAN_PARAM,
            OpenApiParameter("kind", str, enum=ReportKind.values),
            OpenApiParameter("year", int),
            OpenApiParameter("month", int),
            OpenApiParameter("by", str, enum=["institution", "period"]),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request: Request) -> Response:
        plan = _plan(request)
        kind = request.query_params.get("kind", ReportKind.MONTHLY)
        if kind not in ReportKind.values:
            raise serializers.ValidationError({"kind": [f"Choose one of {', '.join(ReportKind.values)}."]})
        by = request.query_params.get("by", "institution")
        if by not in ("institution", "period"):
            raise serializers.ValidationError({"by": ["Choose institution or period."]})
        year = int_param(request.query_params.get("year"), field="year", low=plan.period_start, high=plan.period_end)
        year = year or plan.period_start
        month = int_param(request.query_params.get("month"), field="month", low=1, high=12)
        rows, total = selectors.reporting_rates(
            request.user, plan, kind=kind, year=year, month=month, by=by, due_by=timezone.localdate()
        )
        return Response(
            {
                "plan": plan.pk,
                "kind": kind,
                "year": year,
                "month": month,
                "by": by,
                "results": [r.as_dict() for r in rows],
                "total": total.as_dict(),
            }
        )


class OverdueViewSet(viewsets.GenericViewSet):
    """Expected reports past their due date and not received, oldest first (``?plan=``)."""

    serializer_class = serializers.Serializer

    @extend_schema(parameters=[PLAN_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        plan = _plan(request)
        today = timezone.localdate()
        cells = selectors.overdue_list(request.user, plan, today=today)
        page = self.paginate_queryset(cells)
        return self.get_paginated_response(
            [
                {
                    "organisation": c.organisation_id,
                    "institution": c.institution,
                    "period": c.period.label,
                    "kind": c.period.kind,
                    "due_on": c.due_on.isoformat(),
                    "days_overdue": (today - c.due_on).days,
                    "report": c.report_id,
                    "status": c.status,
                }
                for c in page
            ]
        )


class BudgetViewSet(viewsets.GenericViewSet):
    """Money planned per institution and year (§11) against spending reported, and per objective and source."""

    serializer_class = serializers.Serializer

    @extend_schema(parameters=[PLAN_PARAM, OpenApiParameter("year", int)], responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        plan = _plan(request)
        year = year_param(request.query_params.get("year"))
        return Response({"plan": plan.pk, "year": year, **selectors.budget_execution(request.user, plan, year=year)})


class EvaluationSerializer(ModelSerializer):
    activity_number = serializers.CharField(source="activity.number", read_only=True)
    evaluated_by = serializers.CharField(source="evaluated_by.username", read_only=True, default="")

    class Meta:
        model = Evaluation
        fields = ["id", "activity", "activity_number", "year", "rating", "comments", "evaluated_by", "evaluated_at"]
        read_only_fields = fields


class EvaluationCreateSerializer(serializers.Serializer):
    activity = serializers.IntegerField()
    year = serializers.IntegerField()
    rating = serializers.ChoiceField(Rating.choices)
    comments = serializers.CharField(required=False, allow_blank=True, default="")


class EvaluationViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Annual evaluations of activities, with their history (``?plan= &year= &current=1``).

    The Coordinator's office rates; a new rating adds a row and keeps the old ones.
    """

    serializer_class = EvaluationSerializer

    def list(self, request: Request) -> Response:
        plan = _plan(request)
        rows = selectors.evaluation_list(
            request.user,
            plan,
            year=year_param(request.query_params.get("year")),
            current=request.query_params.get("current") == "1",
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EvaluationSerializer(page, many=True).data)

    @extend_schema(request=EvaluationCreateSerializer, responses=EvaluationSerializer)
    def create(self, request: Request) -> Response:
        s = EvaluationCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        activity = Activity.objects.select_related("plan").filter(pk=data.pop("activity")).first()
        if activity is None:
            raise serializers.ValidationError({"activity": ["No such activity."]})
        evaluation = services.evaluation_record(actor=request.user, activity=activity, **data)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class BriefingSerializer(ModelSerializer):
    class Meta:
        model = Briefing
        fields = ["id", "plan", "kind", "period_start", "period_end", "due_on", "created_at", "content", "text"]
        read_only_fields = fields


class BriefingCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(BriefingKind.choices)
    year = serializers.IntegerField(required=False)
    month = serializers.IntegerField(required=False, min_value=1, max_value=12)


class BriefingViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """The Coordinator's monthly information to the Minister and notes to the Council (``?plan= &kind=``)."""

    serializer_class = BriefingSerializer

    def list(self, request: Request) -> Response:
        plan = _plan(request)
        page = self.paginate_queryset(
            selectors.briefing_list(request.user, plan, kind=request.query_params.get("kind", ""))
        )
        return self.get_paginated_response(BriefingSerializer(page, many=True).data)

    @extend_schema(request=BriefingCreateSerializer, responses=BriefingSerializer)
    def create(self, request: Request) -> Response:
        s = BriefingCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        plan = _plan(request, data.pop("plan", None))
        briefing = services.briefing_generate(actor=request.user, plan=plan, **data)
        return Response(BriefingSerializer(briefing).data, status=status.HTTP_201_CREATED)


__all__ = [
    "BriefingViewSet",
    "BudgetViewSet",
    "CompletenessViewSet",
    "EvaluationViewSet",
    "ObjectiveViewSet",
    "OverdueViewSet",
    "PlanViewSet",
    "ReportViewSet",
]
