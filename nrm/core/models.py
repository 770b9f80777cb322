"""Shared abstract models; no domain logic."""

from __future__ import annotations

import uuid

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


class Bound(models.Model):
    """Abstract: a per-row UUID that the row's encrypted fields are bound to (see :mod:`nrm.core.fields`).

    Set when the instance is built, so it is known before the INSERT that carries the ciphertexts.
    """

    binding = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        abstract = True
