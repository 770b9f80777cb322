"""What was published, and when: the record the analyst's "new data since the last publication" starts from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Publication(models.Model):
    """One publication of statistics: who published which standard tables, for which years, at what threshold.

    Written only by :func:`nrm.reporting.services.publication_record`, which computes the tables
    as readers get them. ``tables`` keeps each table's name, title and published grand total
    (suppressed as published: never a raw count).
    """

    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_via = models.CharField(max_length=80, blank=True)
    tables = models.JSONField(default=list)
    year_from = models.PositiveSmallIntegerField()
    year_to = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField()
    rounding = models.PositiveSmallIntegerField(null=True, blank=True)
    basis = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("publication of statistics")
        verbose_name_plural = _("publications of statistics")

    def __str__(self) -> str:
        years = str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}"
        return f"{years}: {len(self.tables)} tables, {self.published_at:%Y-%m-%d}"

    @property
    def years(self) -> str:
        return str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}"


# The columns a screening is counted by, in the order of the unique index.
SCREENING_KEY = ("year", "sex", "age_band", "is_child", "citizenship", "region", "organisation")


class ScreeningCount(models.Model):
    """How many screenings share one combination of every screening dimension: an analytics table.

    Kept exact by database triggers on ``cases_screening`` (:mod:`nrm.reporting.aggregates`), in
    the transaction of whatever writes screenings (services, the bulk generator, imports,
    retention, deletes, raw SQL), so that statistics over screenings group thousands of rows
    rather than millions. Derived, so never backed up: restore rebuilds it. The organisation,
    not its type, is kept: an organisation changing type moves its screenings at once.
    A combination with no screening left has no row.
    """

    year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1)
    age_band = models.CharField(max_length=8)
    is_child = models.BooleanField()
    citizenship = models.CharField(max_length=2)
    region = models.CharField(max_length=80)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=[*SCREENING_KEY], name="reporting_screeningcount_key")]

    def __str__(self) -> str:
        return f"{self.year} {self.sex} {self.age_band}: {self.n}"


class ScreeningCountCoarse(models.Model):
    """The same counts without citizenship and organisation: what the standard tables need.

    A few hundred rows however many screenings there are; kept by the same triggers.
    """

    year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=1)
    age_band = models.CharField(max_length=8)
    is_child = models.BooleanField()
    region = models.CharField(max_length=80)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sex", "age_band", "is_child", "region"], name="reporting_screeningcountcoarse_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.sex} {self.age_band} {self.region}: {self.n}"
