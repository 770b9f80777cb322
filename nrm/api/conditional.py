"""HTTP conditional requests (RFC 9110) on versioned records: an ``ETag`` out, ``If-Match`` in.

The one rule for the API's versioned resources: a ``PATCH`` or ``PUT`` without ``If-Match`` is a
428, one whose tag is not the record's current one a 412. The tag is strong and derived from the
record's ``version`` (the optimistic-locking counter the services check), so a client that read
a record and writes it back cannot overwrite a change made in between, even if it forgets the
body's ``version``.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.response import Response

HEADER = "If-Match"
# The methods that must be conditional; other writes listed by a view honour If-Match when sent.
REQUIRED_METHODS = frozenset({"PATCH", "PUT"})


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = _("This update must carry If-Match with the ETag of the record as last read.")
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = _("The record changed since it was read: read it again and retry with its new ETag.")
    default_code = "precondition_failed"


def etag(obj: Model) -> str:
    """Return the strong entity tag of a versioned record: its kind, id and version."""
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


class ConditionalMixin:
    """Require ``If-Match`` on PATCH/PUT and compare it with the record; tag the responses.

    ``conditional_actions`` names the further actions (POSTs that change a versioned record) that
    honour an ``If-Match`` when sent. An action that writes calls :meth:`check_if_match` with the
    record before changing it, and returns :meth:`tagged`. The header is looked at only after the
    access rule found the record, so that an outsider gets the same audited 404 with or without it.
    """

    conditional_actions: frozenset[str] = frozenset()

    def check_if_match(self, obj: Model) -> int:
        """Compare ``If-Match`` with ``obj`` (412 if it does not match); return the version to expect.

        The strong comparison of RFC 9110: a weak tag never matches; ``*`` matches the record as it is.
        """
        self._if_match_checked = True
        header = self.request.headers.get(HEADER)
        if header is None:
            if self.request.method in REQUIRED_METHODS:
                raise PreconditionRequired()
            return obj.version
        tags = _tags(header)
        if "*" in tags or etag(obj) in tags:
            return obj.version
        raise PreconditionFailed()

    def tagged(self, response: Response, obj: Model) -> Response:
        """Give ``response`` the ETag of ``obj`` as it is now."""
        response["ETag"] = etag(obj)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # A PATCH/PUT that succeeded without comparing If-Match would make the header a formality.
        if (
            request.method in REQUIRED_METHODS
            and 200 <= response.status_code < 300
            and not getattr(self, "_if_match_checked", False)
        ):
            raise ImproperlyConfigured(f"{type(self).__name__}.{self.action} did not call check_if_match()")
        return super().finalize_response(request, response, *args, **kwargs)
