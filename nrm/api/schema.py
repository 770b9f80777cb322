"""The OpenAPI schema says what the API answers: its errors (problem+json) and its conditional requests.

drf-spectacular documents the success of each operation only; a client generated from that schema,
or Schemathesis checking the API against it, would meet undocumented 4xx answers. This AutoSchema
adds the error answers every operation can give, and on the versioned resources (``ConditionalMixin``)
the ``If-Match`` header, the ``ETag`` of the answers, and 412/428.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from nrm.api.conditional import HEADER as IF_MATCH
from nrm.api.conditional import REQUIRED_METHODS, ConditionalMixin
from nrm.api.errors import PROBLEM
from nrm.api.idempotency import IdempotentPostMixin

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# status: what it means for any operation.
COMMON = {
    "400": "Invalid input: `errors` names each field at fault.",
    "401": "Not signed in, or the token is unknown, expired or revoked.",
    "403": "Signed in, but the role may not do this.",
    "404": "No such record, or one outside the caller's access (the same answer).",
    "429": "Too many requests: wait as `Retry-After` says.",
}
WRITE_ONLY = {
    "409": "The record changed since it was read (`version`), or its state forbids the change.",
    "413": "The request body is too large.",
    "415": "The request body's media type is not accepted.",
}


class InvalidParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem: ``errors`` and ``invalid_params`` name the fields at fault."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    invalid_params = InvalidParamSerializer(many=True, required=False)


class AutoSchema(openapi.AutoSchema):
    def _conditional(self) -> str:
        """Return "required", "optional" or "" for this operation's If-Match."""
        if not isinstance(self.view, ConditionalMixin):
            return ""
        if self.method in REQUIRED_METHODS:
            return "required"
        return "optional" if getattr(self.view, "action", None) in self.view.conditional_actions else ""

    def _tagged(self) -> bool:
        """Whether the success answer carries the record's ETag."""
        return bool(self._conditional()) or (
            isinstance(self.view, ConditionalMixin) and getattr(self.view, "action", None) == "retrieve"
        )

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        conditional = self._conditional()
        if conditional:
            params.append(
                OpenApiParameter(
                    IF_MATCH,
                    OpenApiTypes.STR,
                    location=OpenApiParameter.HEADER,
                    required=conditional == "required",
                    description="The ETag of the record as last read (or `*`): a stale one is a 412"
                    + (", none a 428." if conditional == "required" else "."),
                )
            )
        if self._tagged():
            params.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    location=OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="Strong entity tag of the record's version, for If-Match.",
                )
            )
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(COMMON)
        if self.method in WRITES:
            errors.update(WRITE_ONLY)
        if self.method == "POST" and isinstance(self.view, IdempotentPostMixin):
            errors["422"] = "The Idempotency-Key was used for a different request."
        conditional = self._conditional()
        if conditional:
            errors["412"] = "If-Match does not match the record's current ETag."
        if conditional == "required":
            errors["428"] = "If-Match is missing."
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ProblemSerializer, code, [PROBLEM], direction)
                responses[code] = {**response, "description": description}
        return responses
