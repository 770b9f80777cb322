"""Donor-funded programmes: partners, funding, results framework and indicator values.

Figures loaded from a published source keep the source's wording in ``source_text`` so that a
reader can check each number against the document it came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.core.models import Versioned
from nrm.programmes.choices import PartnerRole


class Programme(Versioned, models.Model):
    """A donor-funded programme against trafficking, with its period, budget and source."""

    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    period_text = models.CharField(max_length=200, blank=True, help_text=_("The period as the source words it."))
    description = models.TextField(blank=True)
    budget_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(max_length=3, blank=True)
    budget_source_text = models.TextField(blank=True)
    source = models.TextField(blank=True, help_text=_("Citation of the document the programme was read from."))
    # IATI's secondary-reporter: the national system republishes an activity another organisation
    # runs and reports (every seed programme); False for the Coordinator's own activities.
    secondary_reporter = models.BooleanField(
        default=True, help_text=_("Another organisation runs and reports this activity; this system republishes it.")
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class ProgrammePartner(models.Model):
    """An organisation's part in a programme (implementing, funding, national partner...)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programme_parts")
    role = models.CharField(max_length=20, choices=PartnerRole.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["programme", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "organisation", "role"], name="programme_partner_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.role})"


class ProgrammeSector(models.Model):
    """A sector of a programme (OECD DAC 5-digit purpose code), with its share of the programme.

    IATI asks every activity for sectors whose percentages add up to 100. ``inferred`` marks a
    sector the source does not state (the seeds name none: it is the system's reading).
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sectors")
    code = models.CharField(max_length=5)
    percentage = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    inferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["programme", "code"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="programme_sector_once")]

    def __str__(self) -> str:
        return f"{self.code} ({self.percentage}%)"


class FundingLine(models.Model):
    """Money one donor committed to a programme (an IATI incoming commitment)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="funding")
    donor = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    committed_on = models.DateField(
        null=True, blank=True, help_text=_("When the donor committed the money; empty: the programme's start.")
    )
    source_text = models.TextField(blank=True)

    class Meta:
        ordering = ["programme", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme", "donor"], name="programme_donor_once")]

    def __str__(self) -> str:
        return f"{self.donor}: {self.currency} {self.amount}"


class Objective(models.Model):
    """A programme objective, numbered as in the source."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="objectives")
    number = models.CharField(max_length=20)
    title = models.TextField()

    class Meta:
        ordering = ["programme", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="programme_objective_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title[:60]}"


class Outcome(models.Model):
    """An expected outcome; ``objective_inferred`` marks a link to an objective the source does not state."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="outcomes")
    objective = models.ForeignKey(Objective, on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes")
    objective_inferred = models.BooleanField(default=False)
    number = models.CharField(max_length=20)
    title = models.TextField()

    class Meta:
        ordering = ["programme", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="programme_outcome_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title[:60]}"


class Output(models.Model):
    """A programme output (a line of activity that delivers goods or services) under an outcome or not."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="outputs")
    outcome = models.ForeignKey(Outcome, on_delete=models.SET_NULL, null=True, blank=True, related_name="outputs")
    number = models.CharField(max_length=20)
    title = models.TextField()

    class Meta:
        ordering = ["programme", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="programme_output_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title[:60]}"


class Indicator(Versioned, models.Model):
    """A measure of a programme's results, with unit, baseline and target when the source gives them."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="indicators")
    output = models.ForeignKey(Output, on_delete=models.SET_NULL, null=True, blank=True, related_name="indicators")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=300)
    unit = models.CharField(max_length=60)
    baseline = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["programme", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="programme_indicator_code")]

    def __str__(self) -> str:
        return self.name


class IndicatorValue(models.Model):
    """An indicator's actual value for a period, with where it was read or reported."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True, help_text=_("Empty: to the date of the source."))
    # A figure "to date" (no period end: cumulative, not a period's) runs to the source's date when known.
    as_of = models.DateField(null=True, blank=True, help_text=_("For a value to date: the date it runs to."))
    period_text = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=16, decimal_places=2)
    source = models.CharField(max_length=300, blank=True)
    source_text = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indicator", "period_start"]
        indexes = [models.Index(fields=["indicator", "period_start", "period_end"])]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} from {self.period_start}"


class Document(models.Model):
    """A document of a programme: a title and a URL or bibliographic reference, never the file."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    reference = models.CharField(max_length=500, help_text=_("A URL or a citation."))

    class Meta:
        ordering = ["programme", "title"]
        constraints = [models.UniqueConstraint(fields=["programme", "title"], name="programme_document_title")]

    def __str__(self) -> str:
        return self.title
