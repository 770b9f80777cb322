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
