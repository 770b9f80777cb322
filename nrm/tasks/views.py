"""Pages of tasks and notifications: thin views over selectors, forms and services.

``/tasks/`` lists the user's open tasks, overdue first (``?case=`` a case's tasks, with a form
to add one); ``/notifications/`` is the inbox. Anyone without a case role finds no task page (a
404); notifications are everyone's own.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.accounts.access import Action, get_or_deny, task_organisations
from nrm.accounts.gates import role_gate
from nrm.audit.services import audit_denial
from nrm.cases.models import Case
from nrm.core.pages import form_page
from nrm.tasks import selectors, services
from nrm.tasks.forms import TaskAssignForm, TaskForm

PAGE_SIZE = 50

task_staff = role_gate(lambda user: bool(task_organisations(user)), record="task", reason="role without case access")


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _rows(user, tasks) -> list[dict]:
    today = timezone.localdate()
    return [
        {"task": t, "overdue": selectors.is_overdue(t, today), "title": selectors.title_shown(user, t)} for t in tasks
    ]


@task_staff
def task_list(request: HttpRequest) -> HttpResponse:
    """My open tasks, overdue first; with ``?case=<id>``, every open task of that case and a form to add one."""
    case_id = request.GET.get("case", "")
    if case_id:
        if not case_id.isdigit():
            return redirect("tasks:task_list")
        case = get_or_deny(
            Case.objects.all(), request.user, Action.VIEW, object_type="case", audit_action="task.list", pk=int(case_id)
        )
        return _case_tasks(request, case)
    page = _page(request, selectors.my_tasks(request.user))
    return render(request, "tasks/task_list.html", {"page": page, "rows": _rows(request.user, page.object_list)})


def _case_tasks(request: HttpRequest, case: Case) -> HttpResponse:
    form = TaskForm(request.POST or None)

    def save(data: dict):
        return services.task_create(actor=request.user, case=case, **data)

    def context() -> dict:
        tasks = selectors.task_list(request.user, case=case)
        return {
            "case": case,
            "form": form,
            "rows": _rows(request.user, tasks),
            "can_add": services.may_work_on(request.user, case),
        }

    return form_page(
        request,
        form,
        save,
        done=f"/tasks/?case={case.pk}",
        success=_("Task added."),
        template="tasks/case_tasks.html",
        context=context,
    )


@task_staff
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    return render(
        request,
        "tasks/task_detail.html",
        {
            "task": task,
            "title": selectors.title_shown(request.user, task),
            "overdue": selectors.is_overdue(task),
            "can_assign": task.is_open and selectors.may_reassign(request.user, task),
        },
    )


@task_staff
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the task to another case worker of the organisation it is for."""
    task = selectors.task_get(request.user, pk, action=Action.MANAGE, audit_action="task.assign")
    if not selectors.may_reassign(request.user, task):
        # Seen but not theirs to give away (another organisation's task on a shared case): missing.
        raise audit_denial(actor=request.user, action="task.assign", object_type="task", object_id=task.pk)
    form = TaskAssignForm(
        request.POST or None,
        assignees=selectors.task_assignees(task),
        initial={"assigned_to": task.assigned_to_id, "version": task.version},
    )

    def save(data: dict):
        return services.task_reassign(
            actor=request.user, task=task, assigned_to=data["assigned_to"], expected_version=data["version"]
        )

    return form_page(
        request,
        form,
        save,
        done=f"/tasks/{task.pk}/",
        success=_("Task reassigned."),
        template="tasks/task_assign.html",
        context={"task": task, "title": selectors.title_shown(request.user, task)},
    )


@task_staff
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk, action=Action.MANAGE)
    version = request.POST.get("version", "")
    status = request.POST.get("status", "done")

    def save(_data: dict):
        return services.task_close(
            actor=request.user, task=task, expected_version=int(version) if version.isdigit() else -1, status=status
        )

    return form_page(
        request,
        None,
        save,
        done=f"/tasks/{task.pk}/",
        success=_("Task closed."),
        conflict_to=f"/tasks/{task.pk}/",
        invalid_to=f"/tasks/{task.pk}/",
    )


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; unread ones marked."""
    unread = {"1": True, "0": False}.get(request.GET.get("unread", ""))
    page = _page(request, selectors.notification_list(request.user, unread=unread))
    rows = [{"n": n, "url": selectors.record_url(n)} for n in page.object_list]
    return render(request, "tasks/notification_list.html", {"page": page, "rows": rows, "unread": unread})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read and go to its record."""
    from django.http import Http404

    from nrm.core.errors import NotFound

    try:
        notification = selectors.notification_get(request.user, pk)
    except NotFound:
        raise Http404 from None
    services.notification_mark_read(actor=request.user, notification=notification)
    return redirect(selectors.record_url(notification))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(actor=request.user)
    return redirect("tasks:notification_list")
