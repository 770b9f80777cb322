"""Idempotency records for API creates."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """A POST made with an ``Idempotency-Key``: a retry with the same key gets the same answer.

    The row is written before the work starts, so two concurrent retries cannot both create;
    it is removed again if the request fails, so the client can try again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_record_per_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
