"""Shared abstract models; no domain logic."""

from __future__ import annotations

from django.db import models


class TimeStamped(models.Model):
    """Abstract: creation and modification times."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Abstract: a version counter for optimistic locking; see :func:`nrm.core.services.save_versioned`."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True
