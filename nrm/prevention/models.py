"""Trainings, round tables, awareness actions and materials, knowledge-attitude-practice surveys.

Nothing here names a person: participants are counted by profession, organisation and sex.
Every record belongs to the organisation that organised it (``organiser``), which is what the
access rule (:func:`nrm.accounts.access.prevention_filter`) reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation, OrganisationType
from nrm.core.fields import EncryptedTextField
from nrm.core.i18n import localized, translations_field
from nrm.core.models import Bound, TimeStamped, Versioned
from nrm.prevention.choices import (
    AwarenessKind,
    EventKind,
    FeedMeasure,
    KapDomain,
    KapMeasure,
    MaterialKind,
    Sex,
)


class Profession(models.Model):
    """A participant's profession (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Event(Bound, TimeStamped, Versioned):
    """A training, round table, seminar or conference, with its evaluation."""

    kind = models.CharField(max_length=20, choices=EventKind.choices)
    title = models.CharField(max_length=300)
    topic = models.CharField(max_length=300, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="prevention_events")
    partners = models.ManyToManyField(Organisation, blank=True, related_name="prevention_event_parts")
    region = models.CharField(max_length=80, blank=True)
    location = models.CharField(max_length=200, blank=True)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.SET_NULL, related_name="prevention_events"
    )
    task = models.ForeignKey(
        "actionplan.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="prevention_events"
    )
    forms_returned = models.PositiveIntegerField(null=True, blank=True)
    average_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    share_useful = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Free text: participants' comments may name someone, so it is encrypted.
    evaluation_summary = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["organiser", "starts_on"]),
            models.Index(fields=["starts_on", "kind"]),
            models.Index(fields=["region", "starts_on"]),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """A group of an event's participants: how many of one profession, organisation (or type) and sex."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    profession = models.ForeignKey(Profession, on_delete=models.PROTECT, related_name="attendance")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="prevention_attendance"
    )
    organisation_type = models.ForeignKey(
        OrganisationType, null=True, blank=True, on_delete=models.PROTECT, related_name="prevention_attendance"
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["event", "profession__sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.count} {self.profession}"


class AwarenessAction(TimeStamped):
    """A campaign, media content, public event, school programme or other awareness action."""

    kind = models.CharField(max_length=20, choices=AwarenessKind.choices)
    title = models.CharField(max_length=300)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="prevention_awareness")
    region = models.CharField(max_length=80, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text=_("Where it took place."))
    audience = models.CharField(max_length=200, blank=True)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.SET_NULL, related_name="prevention_awareness"
    )
    task = models.ForeignKey(
        "actionplan.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="prevention_awareness"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["organiser", "starts_on"]),
            models.Index(fields=["kind", "starts_on"]),
            models.Index(fields=["region", "starts_on"]),
        ]

    def __str__(self) -> str:
        return self.title


class Material(models.Model):
    """Material of an awareness action: kind, language, copies produced and distributed, and where."""

    action = models.ForeignKey(AwarenessAction, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(max_length=20, choices=MaterialKind.choices)
    language = models.CharField(max_length=3, help_text=_("ISO 639-1, e.g. sr, en, ar"))
    title = models.CharField(max_length=300)
    copies_produced = models.PositiveIntegerField(null=True, blank=True)
    copies_distributed = models.PositiveIntegerField(default=0)
    distributed_where = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["action", "pk"]

    def __str__(self) -> str:
        return self.title


class KapSurvey(TimeStamped):
    """A knowledge, attitudes and practices survey of a population."""

    title = models.CharField(max_length=300)
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="prevention_surveys")
    conducted_from = models.DateField()
    conducted_to = models.DateField()
    population = models.CharField(max_length=300, help_text=_("Who was surveyed."))
    region = models.CharField(max_length=80, blank=True)
    sample_size = models.PositiveIntegerField()
    method = models.CharField(max_length=200, blank=True)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.SET_NULL, related_name="prevention_surveys"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-conducted_from", "-id"]
        indexes = [
            models.Index(fields=["organiser", "conducted_from"]),
            models.Index(fields=["region", "conducted_from"]),
        ]

    def __str__(self) -> str:
        return self.title


class KapResult(models.Model):
    """One result of a survey: a statement and its value, as a percent or a mean score, against a baseline."""

    survey = models.ForeignKey(KapSurvey, on_delete=models.CASCADE, related_name="results")
    domain = models.CharField(max_length=12, choices=KapDomain.choices)
    statement = models.CharField(max_length=400)
    measure = models.CharField(max_length=12, choices=KapMeasure.choices)
    baseline = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    result = models.DecimalField(max_digits=6, decimal_places=2)
    respondents = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "pk"]

    def __str__(self) -> str:
        return self.statement


class IndicatorFeed(TimeStamped):
    """How a programme indicator is computed from the prevention records linked to its programme."""

    indicator = models.OneToOneField("programmes.Indicator", on_delete=models.CASCADE, related_name="prevention_feed")
    measure = models.CharField(max_length=30, choices=FeedMeasure.choices)
    event_kind = models.CharField(max_length=20, choices=EventKind.choices, blank=True)
    material_kind = models.CharField(max_length=20, choices=MaterialKind.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["indicator__programme", "indicator"]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.get_measure_display()}"
