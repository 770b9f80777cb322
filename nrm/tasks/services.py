"""Writes of tasks and notifications.

Tasks are created by hand (``task_create``) or by the services that create what falls due, through
the small hooks below, called inside those services' transactions: a referral sent gives its
receiver an answer-due task, a planned service its deliverer a service-due task; an answer, a
started service or a closed case closes them. Notifications are written by hooks of the same
kind; they carry a record's kind, id and reference, never a name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, acting_organisations, case_workers, restrict
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.models import Membership, Organisation, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.access import can
from nrm.core.errors import Conflict, invalid
from nrm.core.services import save_versioned
from nrm.core.validation import check_model_text
from nrm.core.workdays import add_working_days
from nrm.tasks.choices import MANUAL_KINDS, NotificationKind, TaskKind, TaskStatus
from nrm.tasks.models import Notification, Task

# How far from today a due date may be set: a year back (recording what was missed), five ahead.
DUE_PAST_DAYS, DUE_FUTURE_DAYS = 366, 5 * 366


def staff(organisation_ids: Iterable[int], roles: Iterable[str], *, exclude: User | None = None) -> list[int]:
    """Return the ids of the active users holding one of ``roles`` in the organisations, sorted."""
    ids = set(
        Membership.objects.filter(
            organisation__in=list(organisation_ids),
            organisation__is_active=True,
            role__in=list(roles),
            is_active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
    if exclude is not None and getattr(exclude, "pk", None):
        ids.discard(exclude.pk)
    return sorted(ids)


def notify(
    recipients: Iterable[int], *, kind: str, object_type: str, object_id: int, reference: str, topic: str = ""
) -> list[Notification]:
    """Write one notification per recipient (one statement); the reference only, never identity."""
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=r,
            kind=kind,
            topic=topic,
            object_type=object_type,
            object_id=object_id,
            reference=reference,
            created_at=now,
        )
        for r in sorted(set(recipients))
    ]
    return Notification.objects.bulk_create(rows) if rows else []


# --- Tasks by hand ---------------------------------------------------------------------------


def _check_due(due_on) -> dt.date:
    if not isinstance(due_on, dt.date):
        raise invalid("due_on", _("Give the due date as YYYY-MM-DD."))
    today = timezone.localdate()
    if due_on < today - dt.timedelta(days=DUE_PAST_DAYS) or due_on > today + dt.timedelta(days=DUE_FUTURE_DAYS):
        raise invalid("due_on", _("The due date must be within a year before today and five years after."))
    return due_on


def may_work_on(actor: User, case) -> bool:
    return can(actor, Action.MANAGE, case) or can(actor, Action.RECORD_SERVICE, case)


@atomic_audited
def task_create(
    *,
    actor: User,
    case,
    kind: str,
    due_on: dt.date,
    title: str = "",
    organisation: Organisation | None = None,
    assigned_to: User | None = None,
) -> Task:
    """Create a task on ``case`` by hand, for an organisation working on it (and one of its people).

    The actor must manage the case or record its services. The task is for the actor's own
    organisation on the case unless ``organisation`` names another one that works on the case
    (its owner, or a receiver of an active referral); ``assigned_to`` must hold a case role there.
    """
    from nrm.cases.choices import CaseStatus
    from nrm.referrals.choices import ACTIVE_STATES

    if not may_work_on(actor, case):
        raise denied(actor=actor, action="task.create", object_type="case", object_id=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."), field="status")
    if kind not in MANUAL_KINDS:
        raise invalid("kind", _("“%(value)s” is not a valid choice.") % {"value": kind})
    due_on = _check_due(due_on)
    title = check_model_text(Task, "title", title)
    if len(title) > 500:
        raise invalid("title", _("Write at most 500 characters."))
    if kind == TaskKind.OTHER and not title:
        raise invalid("title", _("Say what is to be done."))
    working = {case.owner_id} | set(case.referrals.filter(status__in=ACTIVE_STATES).values_list("to_org_id", flat=True))
    mine = [o for o in acting_organisations(actor, Action.RECORD_SERVICE) if o in working]
    mine += [o for o in acting_organisations(actor, Action.MANAGE) if o in working and o not in mine]
    if organisation is None:
        organisation = Organisation.objects.get(pk=case.owner_id if case.owner_id in mine else sorted(mine)[0])
    elif organisation.pk not in working:
        raise invalid("organisation", _("Choose an organisation that works on this case."))
    if assigned_to is not None and assigned_to.pk not in staff([organisation.pk], CASE_ROLES):
        raise invalid("assigned_to", _("Choose someone with a case role in the organisation."))
    task = Task.objects.create(
        case=case,
        kind=kind,
        title=title,
        due_on=due_on,
        organisation=organisation,
        assigned_to=assigned_to,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="task.create",
        object_type="case",
        object_id=case.pk,
        organisation_id=organisation.pk,
        detail={
            "task": task.pk,
            "kind": kind,
            "due_on": due_on.isoformat(),
            "assigned_to": getattr(assigned_to, "pk", None),
        },
    )
    if assigned_to is not None and assigned_to.pk != actor.pk:
        notify(
            [assigned_to.pk],
            kind=NotificationKind.TASK_ASSIGNED,
            object_type="task",
            object_id=task.pk,
            reference=case.reference,
            topic=kind,
        )
    return task


@atomic_audited
def task_close(*, actor: User, task: Task, expected_version: int, status: str = TaskStatus.DONE) -> Task:
    """Close a task as done (or cancelled); refused to anyone who may not change it (a 404)."""
    if not restrict(Task.objects.filter(pk=task.pk), actor, Action.MANAGE).exists():
        raise denied(actor=actor, action="task.close", object_type="task", object_id=task.pk)
    if status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise invalid("status", _("“%(value)s” is not a valid choice.") % {"value": status})
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("This task is already closed."), field="status")
    task.status, task.closed_on, task.closed_by = status, timezone.localdate(), actor
    save_versioned(task, expected_version=expected_version, fields=["status", "closed_on", "closed_by"])
    audit_record(
        actor=actor,
        action="task.close",
        object_type="case",
        object_id=task.case_id,
        organisation_id=task.organisation_id,
        detail={"task": task.pk, "status": status},
    )
    return task


@atomic_audited
def task_reassign(*, actor: User, task: Task, assigned_to: User | None, expected_version: int) -> Task:
    """Give an open task to another case worker of the organisation it is for; tell them.

    Only that organisation's staff who may change the task reassign it; anyone else is refused
    as if the task did not exist (a 404). Audited with the worker before and after.
    """
    workers = case_workers(task.organisation_id)
    if (
        not restrict(Task.objects.filter(pk=task.pk), actor, Action.MANAGE).exists()
        or not workers.filter(pk=actor.pk).exists()
    ):
        raise denied(actor=actor, action="task.assign", object_type="task", object_id=task.pk)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("This task is already closed."), field="status")
    if assigned_to is None or not workers.filter(pk=assigned_to.pk).exists():
        raise invalid("assigned_to", _("Choose a case worker of the organisation the task is for."))
    if assigned_to.pk == task.assigned_to_id:
        raise invalid("assigned_to", _("The task is already assigned to this person."))
    before = task.assigned_to_id
    task.assigned_to = assigned_to
    save_versioned(task, expected_version=expected_version, fields=["assigned_to"])
    audit_record(
        actor=actor,
        action="task.assign",
        object_type="case",
        object_id=task.case_id,
        organisation_id=task.organisation_id,
        detail={"task": task.pk, "from": before, "to": assigned_to.pk},
    )
    if assigned_to.pk != actor.pk:
        notify(
            [assigned_to.pk],
            kind=NotificationKind.TASK_ASSIGNED,
            object_type="task",
            object_id=task.pk,
            reference=task.case.reference,
            topic=task.kind,
        )
    return task


# --- Hooks of the other services (inside their transactions; they audit what they do) --------


def _close_tasks(tasks, status: str, *, by: User | None = None) -> list[int]:
    ids = sorted(tasks.filter(status=TaskStatus.OPEN).values_list("pk", flat=True))
    if ids:
        Task.objects.filter(pk__in=ids).update(
            status=status, closed_on=timezone.localdate(), closed_by=by if getattr(by, "pk", None) else None
        )
    return ids


def on_referral_sent(*, referral, **_signal) -> Task:
    """Give the receiver a task to answer ``referral`` by its due date (a resent one: a new task)."""
    _close_tasks(Task.objects.filter(referral=referral), TaskStatus.CANCELLED)
    return Task.objects.create(
        case_id=referral.case_id,
        kind=TaskKind.REFERRAL_ANSWER,
        due_on=referral.due_on,
        organisation_id=referral.to_org_id,
        referral=referral,
    )


def on_referral_moved(*, referral, actor: User | None, old: str, new: str, **_signal) -> None:
    """Close the answer task once the referral leaves "sent"; tell the sender of an answer."""
    from nrm.referrals.choices import ReferralStatus

    if old == ReferralStatus.SENT and new != ReferralStatus.SENT:
        answered = new in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
        _close_tasks(
            Task.objects.filter(referral=referral), TaskStatus.DONE if answered else TaskStatus.CANCELLED, by=actor
        )
    kinds = {
        ReferralStatus.ACCEPTED: NotificationKind.REFERRAL_ACCEPTED,
        ReferralStatus.DECLINED: NotificationKind.REFERRAL_DECLINED,
    }
    if old == ReferralStatus.SENT and new in kinds:
        notify(
            staff([referral.from_org_id], CASE_ROLES, exclude=actor),
            kind=kinds[new],
            object_type="referral",
            object_id=referral.pk,
            reference=referral.case.reference,
        )


def on_referral_suspended(*, referral, **_signal) -> None:
    _close_tasks(Task.objects.filter(referral=referral), TaskStatus.CANCELLED)


def service_due_date(started_on: dt.date | None) -> dt.date:
    """A planned service is due to start on its date, else ``NRM_SERVICE_DUE_DAYS`` working days from now."""
    return started_on or add_working_days(timezone.localdate(), settings.NRM_SERVICE_DUE_DAYS)


def on_service_recorded(*, delivery, **_signal) -> None:
    """Give the deliverer of a planned service a task; close it once the service is no longer planned."""
    from nrm.cases.choices import ServiceStatus

    if delivery.status != ServiceStatus.PLANNED:
        _close_tasks(Task.objects.filter(service=delivery), TaskStatus.DONE)
        return
    if not Task.objects.filter(service=delivery, status=TaskStatus.OPEN).exists():
        Task.objects.create(
            case_id=delivery.case_id,
            kind=TaskKind.SERVICE_DUE,
            due_on=service_due_date(delivery.started_on),
            organisation_id=delivery.organisation_id,
            service=delivery,
        )


def on_case_closed(*, case, actor: User | None = None, **_signal) -> None:
    _close_tasks(Task.objects.filter(case=case), TaskStatus.CANCELLED, by=actor)


def on_decision(*, identification, actor: User | None, **_signal) -> None:
    """Tell the owner's case staff that the identification authority decided on their case."""
    case = identification.case
    notify(
        staff([case.owner_id], CASE_ROLES, exclude=actor),
        kind=NotificationKind.DECISION_MADE,
        object_type="case",
        object_id=case.pk,
        reference=case.reference,
    )


def on_consent_withdrawn(*, consent, actor: User | None, suspended: list[int], **_signal) -> None:
    """Tell the owner's case staff, and the staff of receivers whose referral it suspended."""
    from nrm.referrals.models import Referral

    case = consent.case
    orgs = {case.owner_id} | set(Referral.objects.filter(pk__in=suspended).values_list("to_org_id", flat=True))
    notify(
        staff(orgs, CASE_ROLES, exclude=actor),
        kind=NotificationKind.CONSENT_WITHDRAWN,
        object_type="case",
        object_id=case.pk,
        reference=case.reference,
    )


def on_alert_raised(alert, mail_roles: Iterable[str]) -> None:
    """Tell the staff of the organisations an early-warning alert was raised to."""
    notify(
        staff(alert.recipients.values_list("pk", flat=True), mail_roles),
        kind=NotificationKind.ALERT_RAISED,
        object_type="warning_alert",
        object_id=alert.pk,
        reference=f"{alert.group.code}/{alert.region}"[:40],
    )


# --- Reading notifications ------------------------------------------------------------------


@atomic_audited
def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (someone else's does not exist: a 404)."""
    if notification.recipient_id != actor.pk:
        raise denied(actor=actor, action="notification.read", object_type="notification", object_id=notification.pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(actor=actor, action="notification.read", object_type="notification", object_id=notification.pk)
    return notification


@atomic_audited
def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; return how many."""
    done = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
    if done:
        audit_record(actor=actor, action="notification.read_all", object_type="notification", detail={"count": done})
    return done


def erase_task_titles(case) -> None:
    """Blank the titles of ``case``'s tasks at the end of retention (each sealed to its row, so one by one)."""
    for task in Task.objects.filter(case=case).only("pk", "binding"):
        task.title = ""
        task.save(update_fields=["title"])
