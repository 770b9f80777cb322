"""``Idempotency-Key`` support for every API POST: a retried create never creates twice."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from nrm.api.errors import problem
from nrm.api.models import IdempotencyRecord
from nrm.core.validation import CONTROL

HEADER = "Idempotency-Key"


class IdempotentPostMixin:
    """Replay the stored answer of a POST repeated with the same ``Idempotency-Key``."""

    def _fingerprint(self, request) -> str:
        body = json.dumps(request.data, sort_keys=True, default=str)
        return hashlib.sha256(f"{request.path}\n{body}".encode()).hexdigest()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idem = None
        key = request.headers.get(HEADER, "").strip()
        if request.method != "POST" or not key or not request.user.is_authenticated:
            return
        if CONTROL.search(key):
            raise ValidationError({HEADER: [_("Remove the control characters (such as NUL) from this text.")]})
        fingerprint = self._fingerprint(request)
        try:
            with transaction.atomic():
                self._idem = IdempotencyRecord.objects.create(user=request.user, key=key[:120], fingerprint=fingerprint)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=request.user, key=key[:120])
            raise _Replay(record, fingerprint) from None

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            if record.fingerprint != exc.fingerprint:
                return problem(
                    422,
                    "Idempotency-Key reused",
                    f"{HEADER}: this key was used for another request",
                    {HEADER: ["This key was used for a different request."]},
                )
            if record.status is None:
                return problem(
                    409,
                    "Request in progress",
                    f"{HEADER}: the first request with this key is running",
                    {HEADER: ["The first request with this key has not finished."]},
                )
            response = Response(record.body, status=record.status)
            response["Idempotent-Replayed"] = "true"
            return response
        if getattr(self, "_idem", None) is not None:
            # The request failed: forget the key so that a corrected retry is not refused.
            IdempotencyRecord.objects.filter(pk=self._idem.pk).delete()
            self._idem = None
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idem", None)
        if record is not None:
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.filter(pk=record.pk).update(status=response.status_code, body=response.data)
            else:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord, fingerprint: str) -> None:
        self.record = record
        self.fingerprint = fingerprint
