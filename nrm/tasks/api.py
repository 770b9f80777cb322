"""API of tasks and notifications under ``/api/v1/``; writes go through ``nrm.tasks.services``.

- ``tasks/``: the caller's open tasks (assigned to them, or to their organisation and nobody in it),
  overdue first; ``?case=<id>`` every visible task of one case instead, ``?status=open|done|cancelled|all``.
  POST creates one by hand; POST ``{id}/close/`` closes it (``version``, honours If-Match); POST
  ``{id}/assign/`` gives it to another case worker of its organisation (``assigned_to``, a username).
- ``notifications/``: the caller's notifications, newest first (``?unread=true|false``); POST
  ``{id}/read/`` marks one read, POST ``read-all/`` all of them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, get_or_deny
from nrm.accounts.models import Organisation, User
from nrm.api.conditional import ConditionalMixin
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.cases.models import Case
from nrm.core.params import int_param
from nrm.tasks import selectors, services
from nrm.tasks.choices import MANUAL_KINDS, TaskKind, TaskStatus
from nrm.tasks.models import Notification, Task

STATUS_FILTERS = [*TaskStatus.values, "all"]


class TaskSerializer(ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, default=None)
    overdue = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "case",
            "case_reference",
            "kind",
            "title",
            "due_on",
            "overdue",
            "status",
            "organisation",
            "organisation_name",
            "assigned_to",
            "referral",
            "service",
            "closed_on",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: Task) -> bool:
        return selectors.is_overdue(obj)

    def get_title(self, obj: Task) -> str:
        request = self.context.get("request")
        return selectors.title_shown(request.user, obj) if request else ""


class TaskCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    kind = serializers.ChoiceField([(k, TaskKind(k).label) for k in MANUAL_KINDS])
    due_on = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    organisation = serializers.IntegerField(required=False)
    assigned_to = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)


class TaskCloseSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(
        [(TaskStatus.DONE, TaskStatus.DONE.label), (TaskStatus.CANCELLED, TaskStatus.CANCELLED.label)],
        required=False,
        default=TaskStatus.DONE,
    )


class TaskAssignSerializer(serializers.Serializer):
    assigned_to = serializers.CharField(
        max_length=150, help_text="The username of a case worker of the organisation the task is for."
    )
    # Optional: If-Match already names the version the client read.
    version = serializers.IntegerField(required=False)


class TaskViewSet(
    ConditionalMixin, IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tasks on cases: the caller's open ones by default, overdue first."""

    serializer_class = TaskSerializer
    lookup_value_regex = r"\d+"
    conditional_actions = frozenset({"close", "assign"})

    def get_queryset(self):
        p = self.request.query_params
        wanted = p.get("status", TaskStatus.OPEN) or TaskStatus.OPEN
        if wanted not in STATUS_FILTERS:
            raise serializers.ValidationError({"status": [f"Choose one of {', '.join(STATUS_FILTERS)}."]})
        status_filter = None if wanted == "all" else wanted
        case_id = int_param(p.get("case"), field="case", low=1, high=2**62)
        if case_id is None:
            return selectors.my_tasks(self.request.user, status=status_filter)
        return selectors.task_list(self.request.user, status=status_filter).filter(case_id=case_id)

    @extend_schema(
        parameters=[
            OpenApiParameter("case", int, description="every task of this case the caller may see"),
            OpenApiParameter("status", str, enum=STATUS_FILTERS, description="default: open"),
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk=None) -> Response:
        task = selectors.task_get(request.user, int(pk))
        return self.tagged(Response(TaskSerializer(task, context={"request": request}).data), task)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        s = TaskCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        case = get_or_deny(
            Case.objects.all(),
            request.user,
            Action.VIEW,
            object_type="case",
            audit_action="task.create",
            audit_reason="api",
            pk=data.pop("case"),
        )
        org_id = data.pop("organisation", None)
        organisation = Organisation.objects.filter(pk=org_id).first() if org_id else None
        if org_id and organisation is None:
            raise serializers.ValidationError({"organisation": ["No such organisation."]})
        username = data.pop("assigned_to")
        assignee = User.objects.filter(username=username, is_active=True).first() if username else None
        if username and assignee is None:
            raise serializers.ValidationError({"assigned_to": ["No such user."]})
        task = services.task_create(
            actor=request.user, case=case, organisation=organisation, assigned_to=assignee, **data
        )
        return Response(TaskSerializer(task, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskCloseSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        task = selectors.task_get(request.user, int(pk), action=Action.MANAGE)
        self.check_if_match(task)
        s = TaskCloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        task = services.task_close(
            actor=request.user,
            task=task,
            expected_version=s.validated_data["version"],
            status=s.validated_data["status"],
        )
        return self.tagged(Response(TaskSerializer(task, context={"request": request}).data), task)

    @extend_schema(request=TaskAssignSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk=None) -> Response:
        """Give the task to another case worker of the organisation it is for."""
        task = selectors.task_get(request.user, int(pk), action=Action.MANAGE, audit_action="task.assign")
        current = self.check_if_match(task)
        s = TaskAssignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        # Someone unknown is refused by the service like anyone outside the organisation: one message.
        worker = User.objects.filter(username=s.validated_data["assigned_to"]).first()
        task = services.task_reassign(
            actor=request.user,
            task=task,
            assigned_to=worker,
            expected_version=s.validated_data.get("version", current),
        )
        return self.tagged(Response(TaskSerializer(task, context={"request": request}).data), task)


class NotificationSerializer(ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "topic",
            "object_type",
            "object_id",
            "reference",
            "url",
            "created_at",
            "read",
            "read_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: Notification) -> str:
        return selectors.record_url(obj)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


def _flag(value: str | None, field: str) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise serializers.ValidationError({field: ["Use true or false."]})


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications: what happened to their cases, and reminders."""

    serializer_class = NotificationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        unread = _flag(self.request.query_params.get("unread"), "unread")
        return selectors.notification_list(self.request.user, unread=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="true: unread only; false: read only")])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk=None) -> Response:
        notification = selectors.notification_get(request.user, int(pk))
        notification = services.notification_mark_read(actor=request.user, notification=notification)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(actor=request.user)})


def register(router) -> None:
    router.register("tasks", TaskViewSet, basename="task")
    router.register("notifications", NotificationViewSet, basename="notification")
