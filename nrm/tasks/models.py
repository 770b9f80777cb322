"""Tasks on a case, and each user's notifications (what happened to their cases, reminders)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from nrm.accounts.models import Organisation
from nrm.core.fields import EncryptedTextField
from nrm.core.models import Bound, TimeStamped, Versioned
from nrm.tasks.choices import NotificationKind, TaskKind, TaskStatus


class Task(Bound, TimeStamped, Versioned):
    """Something to do on a case by a date, for an organisation (and, if named, one of its people).

    The title is free text a person writes, so it is encrypted like a note (it may name someone)
    and erased with the identity at the end of retention. A task made by a service points to
    what made it (``referral``, ``service``) and is closed when that is answered or started.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    title = EncryptedTextField(blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    service = models.ForeignKey(
        "cases.ServiceDelivery", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "due_on"]),
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["status", "due_on"]),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class Notification(models.Model):
    """One user's notice of something that happened to a record they work on, or a reminder.

    It never carries identity: the record's kind, id and reference (a case reference, a report's
    period) only. ``key`` and ``day`` make a reminder once per due item per day per recipient.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    topic = models.CharField(max_length=20, blank=True)
    object_type = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(max_length=80, blank=True)
    day = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"]), models.Index(fields=["recipient", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key", "day"], condition=~Q(key=""), name="one_reminder_per_item_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk}"

    @property
    def topic_label(self) -> str:
        from nrm.tasks.choices import ReminderTopic

        return str(ReminderTopic(self.topic).label) if self.topic in ReminderTopic.values else ""

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
