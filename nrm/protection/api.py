"""A case's protection measures in the API: ``GET/PUT /api/v1/cases/<id>/protection/``.

The record is versioned like the case's other nested resources (``nrm.api.conditional``): the
answer carries an ``ETag``; a PUT needs ``If-Match`` (428 without, 412 when stale). A case with
no record yet answers the empty record at version 0, whose tag a first PUT sends back.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, get_or_deny, owner_organisations
from nrm.api.conditional import HEADER, PreconditionFailed, PreconditionRequired
from nrm.cases.models import Case
from nrm.cases.selectors import case_get
from nrm.protection import services
from nrm.protection.access import WRITE
from nrm.protection.models import ProtectionMeasures
from nrm.protection.selectors import case_scope, protection_json, protection_of


class ProtectionSerializer(serializers.Serializer):
    """The whole record: a field left out is cleared (PUT); the service checks the answers together."""

    version = serializers.IntegerField(required=False)
    reflection_requested_on = serializers.DateField(required=False, allow_null=True)
    reflection_decision = serializers.CharField(required=False, allow_blank=True)
    reflection_decided_on = serializers.DateField(required=False, allow_null=True)
    reflection_days = serializers.IntegerField(required=False, allow_null=True)
    reflection_ends_on = serializers.DateField(required=False, allow_null=True)
    permit_applied_on = serializers.DateField(required=False, allow_null=True)
    permit_decision = serializers.CharField(required=False, allow_blank=True)
    permit_kind = serializers.CharField(required=False, allow_blank=True)
    permit_decided_on = serializers.DateField(required=False, allow_null=True)
    return_kind = serializers.CharField(required=False, allow_blank=True)
    return_on = serializers.DateField(required=False, allow_null=True)
    return_country = serializers.CharField(required=False, allow_blank=True)
    return_risk_assessed = serializers.CharField(required=False, allow_blank=True)
    non_punishment = serializers.CharField(required=False, allow_blank=True)
    non_punishment_on = serializers.DateField(required=False, allow_null=True)
    non_punishment_authority = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


def etag(case: Case, record: ProtectionMeasures | None) -> str:
    """Return the strong tag of a case's protection measures (version 0 before the first write)."""
    return f'"protection-{case.pk}-v{record.version if record else 0}"'


def _answer(case: Case, record: ProtectionMeasures | None) -> Response:
    body = {**protection_json(case, record), "trafficking_scope": case_scope(case)}
    response = Response(body)
    response["ETag"] = etag(case, record)
    return response


@extend_schema(
    methods=["GET"], responses=OpenApiTypes.OBJECT, description="The case's protection measures, with an ETag."
)
@extend_schema(
    methods=["PUT"],
    request=ProtectionSerializer,
    responses=OpenApiTypes.OBJECT,
    parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True)],
)
@api_view(["GET", "PUT"])
def protection(request: Request, pk: int) -> Response:
    """Read (whoever sees the case) or replace (the owner's case workers, If-Match) the case's protection measures."""
    if request.method == "GET":
        view = case_get(request.user, pk, reason="api protection")
        return _answer(view.case, protection_of(view))
    # The owner's case roles only: a receiver managing the case is refused like an outsider.
    case = get_or_deny(
        Case.objects.filter(owner__in=owner_organisations(request.user, WRITE)).select_related("person"),
        request.user,
        Action.MANAGE,
        object_type="case",
        audit_action="case.protection",
        audit_reason="api",
        pk=pk,
    )
    record = ProtectionMeasures.objects.filter(case=case).first()
    header = request.headers.get(HEADER)
    if header is None:
        raise PreconditionRequired()
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" not in tags and etag(case, record) not in tags:
        raise PreconditionFailed()
    current = record.version if record else 0
    s = ProtectionSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    data = dict(s.validated_data)
    version = data.pop("version", current)
    record = services.protection_set(actor=request.user, case=case, expected_version=version, **data)
    return _answer(case, record)


urlpatterns_api = [("cases/<int:pk>/protection/", protection, "api-case-protection")]
