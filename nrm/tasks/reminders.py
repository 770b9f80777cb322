"""The daily reminders: what falls due, in the app and by e-mail, once per due item per day.

Run by the job queue (``nrm.tasks.jobs.reminders``) and by ``nrm worker --once``. Each reminder is
a :class:`Notification` keyed by its due item and day, so running twice a day sends nothing new:
the unique key refuses the second, and only the notifications this run wrote are e-mailed.
E-mails, like notifications, carry references and kinds, never a name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nrm.accounts.access import RECEIVER_ROLES, Action, unrestricted
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.models import User
from nrm.audit.services import audit_record
from nrm.tasks.choices import NotificationKind, ReminderTopic, TaskKind, TaskStatus
from nrm.tasks.models import Notification, Task
from nrm.tasks.services import staff


@dataclass(frozen=True)
class Due:
    """One due item to remind its people of."""

    key: str
    topic: str
    object_type: str
    object_id: int
    reference: str
    due_on: dt.date | None
    recipients: tuple[int, ...]


def _task_roles(kind: str) -> set[str]:
    if kind == TaskKind.REFERRAL_ANSWER:
        return set(RECEIVER_ROLES[Action.RESPOND])
    return set(CASE_ROLES)


def tasks_due(on: dt.date) -> list[Due]:
    """Open tasks due by tomorrow (``NRM_REMINDER_DAYS_AHEAD``), for their assignee or their organisation's staff."""
    horizon = on + dt.timedelta(days=settings.NRM_REMINDER_DAYS_AHEAD)
    tasks = (
        unrestricted(Task, "reminders")
        .filter(status=TaskStatus.OPEN, due_on__lte=horizon)
        .select_related("case")
        .only("pk", "kind", "due_on", "organisation_id", "assigned_to_id", "case__reference")
        .order_by("due_on", "pk")
    )
    out, by_org = [], {}
    for task in tasks:
        if task.assigned_to_id:
            recipients = (task.assigned_to_id,)
        else:
            key = (task.organisation_id, frozenset(_task_roles(task.kind)))
            if key not in by_org:
                by_org[key] = tuple(staff([task.organisation_id], key[1]))
            recipients = by_org[key]
        out.append(Due(f"task:{task.pk}", task.kind, "task", task.pk, task.case.reference, task.due_on, recipients))
    return out


# What else falls due: the apps above tasks (action-plan reports, early-warning alerts) register,
# from their ready(), a function giving their items due on a day.
_SOURCES: list[Callable[[dt.date], list[Due]]] = []


def register_reminders(source: Callable[[dt.date], list[Due]]) -> None:
    """Have :func:`reminders_send` remind of ``source(day)``'s items each day."""
    if source not in _SOURCES:
        _SOURCES.append(source)


@transaction.atomic
def reminders_send(*, on: dt.date | None = None) -> dict[str, int]:
    """Write today's reminders that are not written yet and e-mail them; return counts by topic.

    One notification per due item, recipient and day; one e-mail per recipient listing what is new.
    """
    on = on or timezone.localdate()
    items = tasks_due(on) + [item for source in _SOURCES for item in source(on)]
    wanted = {(r, item.key): item for item in items for r in item.recipients}
    if not wanted:
        return {}
    have = set(Notification.objects.filter(day=on, key__in={k for _r, k in wanted}).values_list("recipient_id", "key"))
    now = timezone.now()
    new = [
        Notification(
            recipient_id=r,
            kind=NotificationKind.REMINDER,
            topic=item.topic,
            object_type=item.object_type,
            object_id=item.object_id,
            reference=item.reference,
            created_at=now,
            key=key,
            day=on,
        )
        for (r, key), item in sorted(wanted.items())
        if (r, key) not in have
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    counts: dict[str, int] = defaultdict(int)
    for n in new:
        counts[n.topic] += 1
    if new:
        audit_record(
            actor="system",
            action="reminders.send",
            object_type="notification",
            detail={"day": on.isoformat(), **counts},
        )
        dues = {item.key: item.due_on for item in items}
        _mail(new, dues)
    return dict(counts)


def _mail(new: list[Notification], dues: dict[str, dt.date | None]) -> None:
    """E-mail each recipient, after commit, the reminders written for them now (references only)."""
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for n in new:
        by_user[n.recipient_id].append(n)
    addresses = dict(User.objects.filter(pk__in=by_user, is_active=True).exclude(email="").values_list("pk", "email"))
    with translation.override(settings.LANGUAGE_CODE):
        messages = []
        for user_id, notes in sorted(by_user.items()):
            if user_id not in addresses:
                continue
            lines = []
            for n in notes:
                due = dues.get(n.key)
                topic = ReminderTopic(n.topic).label if n.topic in ReminderTopic.values else n.topic
                lines.append(
                    f"- {topic}: {n.reference}" + (f" ({_('due %(date)s') % {'date': due.isoformat()}})" if due else "")
                )
            subject = _("NRM reminders: %(count)d due") % {"count": len(notes)}
            body = _("What falls due in NRM:\n\n%(lines)s\n\nSee them in NRM: /notifications/\n") % {
                "lines": "\n".join(lines)
            }
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [addresses[user_id]]))

    def send() -> None:
        if messages:
            get_connection().send_messages(messages)

    transaction.on_commit(send)
