"""External data sets (CTDC and the like), kept apart from the country's own cases."""

from __future__ import annotations

from django.db import models


class ExternalDataset(models.Model):
    """A named, imported external data set; re-importing the name replaces it atomically."""

    name = models.SlugField(max_length=80, unique=True)
    source = models.CharField(max_length=20, help_text="ctdc, htcds, ...")
    file_name = models.CharField(max_length=255)
    imported_at = models.DateTimeField(auto_now=True)
    row_count = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=list, help_text="Known columns found in the file")
    warnings = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.name


class ExternalRecord(models.Model):
    """One record of an external data set, with the dimensions the statistics engine counts by.

    ``raw`` keeps every known column's normalised value (missing as null), so that per-column
    frequencies can be compared with the publisher's tables.
    """

    dataset = models.ForeignKey(ExternalDataset, on_delete=models.CASCADE, related_name="records")
    row_number = models.PositiveIntegerField()
    year = models.PositiveSmallIntegerField(null=True)
    sex = models.CharField(max_length=10, blank=True)
    age_group = models.CharField(max_length=20, blank=True)
    is_child = models.BooleanField(null=True)
    citizenship = models.CharField(max_length=2, blank=True)
    country_of_exploitation = models.CharField(max_length=2, blank=True)
    exploitation = models.JSONField(default=list)
    referral_source = models.CharField(max_length=40, blank=True)
    decision = models.CharField(max_length=20, blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["dataset", "year"])]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.row_number}"
