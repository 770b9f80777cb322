"""Early warning: risk indicators of vulnerable groups, observations, thresholds and alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nrm.accounts.models import Organisation
from nrm.core.fields import EncryptedTextField
from nrm.core.i18n import localized, translations_field
from nrm.core.models import Bound, TimeStamped
from nrm.earlywarning.choices import AlertStatus, EventKind

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class VulnerableGroup(models.Model):
    """A group at risk (unaccompanied children, migrants in transit...): reference data.

    ``concerned_org_types`` lists the organisation type codes an alert on the group is raised to,
    besides the Coordinator's office and the organisations that observed.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    concerned_org_types = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")
    description_i18n = translations_field("description")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class RiskIndicator(models.Model):
    """A sign of risk for one group that organisations observe: reference data."""

    group = models.ForeignKey(VulnerableGroup, on_delete=models.PROTECT, related_name="indicators")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    default_impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE, default=3)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")
    description_i18n = translations_field("description")

    class Meta:
        ordering = ["group__sort_order", "sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Observation(Bound, TimeStamped):
    """What an organisation observed against a risk indicator, in a region, on a day.

    ``group`` repeats the indicator's group so that the matrix and statistics group without a join.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="warning_observations")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    observed_on = models.DateField()
    group = models.ForeignKey(VulnerableGroup, on_delete=models.PROTECT, related_name="observations")
    indicator = models.ForeignKey(RiskIndicator, on_delete=models.PROTECT, related_name="observations")
    region = models.CharField(max_length=80)
    likelihood = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    persons_concerned = models.PositiveIntegerField(null=True, blank=True)
    # Free text may slip an identity, so it is encrypted at rest.
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [
            models.Index(fields=["group", "region", "observed_on"]),
            models.Index(fields=["organisation", "observed_on"]),
        ]

    def __str__(self) -> str:
        return f"Observation {self.pk}"


class AlertThreshold(TimeStamped):
    """When a cell (group, region) raises an alert: a score and a number of observations in a window.

    ``group`` empty means every group; ``region`` blank means every region.
    """

    group = models.ForeignKey(
        VulnerableGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="thresholds"
    )
    region = models.CharField(max_length=80, blank=True)
    min_score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(25)])
    min_observations = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    window_days = models.PositiveIntegerField(default=90, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["group__sort_order", "region", "min_score", "pk"]

    def __str__(self) -> str:
        return f"Threshold {self.pk}"


class Alert(models.Model):
    """A cell that crossed a threshold, raised to the Coordinator's office and the organisations concerned.

    ``score``, ``likelihood``, ``impact``, ``observations`` and ``persons_concerned`` are those of
    the latest evaluation that raised or escalated it.
    """

    group = models.ForeignKey(VulnerableGroup, on_delete=models.PROTECT, related_name="alerts")
    region = models.CharField(max_length=80)
    threshold = models.ForeignKey(AlertThreshold, null=True, on_delete=models.SET_NULL, related_name="alerts")
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    score = models.PositiveSmallIntegerField()
    likelihood = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    observations = models.PositiveIntegerField()
    persons_concerned = models.PositiveIntegerField(default=0)
    window_days = models.PositiveIntegerField(default=90)
    recipients = models.ManyToManyField(Organisation, related_name="warning_alerts")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["group", "region", "status"]), models.Index(fields=["raised_at"])]

    def __str__(self) -> str:
        return f"Alert {self.pk}"


class AlertEvent(Bound, models.Model):
    """One step in an alert's history: raised, escalated, acknowledged, closed, reopened."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    score = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
