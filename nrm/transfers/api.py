"""Transfers in the API: ask for one on a case, list and read them, accept, decline or cancel."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.models import Organisation
from nrm.cases.selectors import case_get
from nrm.core.errors import invalid
from nrm.transfers import selectors, services
from nrm.transfers.models import CaseTransfer


class TransferRequestSerializer(serializers.Serializer):
    to_org = serializers.IntegerField()
    reason = serializers.CharField()
    consent_given_on = serializers.DateField(required=False, allow_null=True)
    legal_ground = serializers.CharField(required=False, allow_blank=True, default="")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField()


def transfer_json(t: CaseTransfer) -> dict:
    return {
        "id": t.pk,
        "case": t.case_id,
        "reference": t.case.reference,
        "from_org": t.from_org_id,
        "to_org": t.to_org_id,
        "status": t.status,
        "requested_on": t.requested_on,
        "reason": t.reason,
        "consent_given_on": t.consent_given_on,
        "legal_ground": t.legal_ground,
        "decided_on": t.decided_on,
        "decline_reason": t.decline_reason,
    }


@extend_schema(request=TransferRequestSerializer, responses={201: OpenApiTypes.OBJECT})
@api_view(["POST"])
def case_transfer(request: Request, pk: int) -> Response:
    """Ask another organisation to take over the case (the owner's case managers); it accepts or declines."""
    case = case_get(request.user, pk, reason="transfer").case
    s = TransferRequestSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    d = dict(s.validated_data)
    to_org = Organisation.objects.filter(pk=d.pop("to_org")).first()
    if to_org is None:
        raise invalid("to_org", "Unknown organisation.")
    transfer = services.transfer_request(actor=request.user, case=case, to_org=to_org, **d)
    return Response(transfer_json(transfer), status=status.HTTP_201_CREATED)


@extend_schema(responses=OpenApiTypes.OBJECT, operation_id="transfers_list")
@api_view(["GET"])
def transfer_list(request: Request) -> Response:
    """The transfers from and to the caller's organisations."""
    return Response({"results": [transfer_json(t) for t in selectors.transfer_list(request.user)[:200]]})


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def transfer_detail(request: Request, pk: int) -> Response:
    """One transfer; after acceptance, with what the reader's organisation recorded on the case before it."""
    view = selectors.transfer_get(request.user, pk)
    data = transfer_json(view.transfer)
    data["history"] = {
        "notes": [{"at": n.created_at, "text": n.text} for n in view.notes],
        "services": [
            {"service": s.service_type.code, "status": s.status, "started_on": s.started_on, "ended_on": s.ended_on}
            for s in view.services
        ],
        "identifications": [{"decision": i.decision, "decided_on": i.decided_on} for i in view.identifications],
    }
    return Response(data)


@extend_schema(request=None, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def transfer_accept(request: Request, pk: int) -> Response:
    """Accept a transfer: the caller's organisation becomes the case's owner."""
    return Response(transfer_json(services.transfer_accept(actor=request.user, pk=pk)))


@extend_schema(request=DeclineSerializer, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def transfer_decline(request: Request, pk: int) -> Response:
    """Decline a transfer, with a reason."""
    s = DeclineSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    return Response(
        transfer_json(services.transfer_decline(actor=request.user, pk=pk, reason=s.validated_data["reason"]))
    )


@extend_schema(request=None, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def transfer_cancel(request: Request, pk: int) -> Response:
    """Withdraw a transfer not yet answered."""
    return Response(transfer_json(services.transfer_cancel(actor=request.user, pk=pk)))


urlpatterns_api = [
    ("cases/<int:pk>/transfer/", case_transfer, "api-case-transfer"),
    ("transfers/", transfer_list, "api-transfers"),
    ("transfers/<int:pk>/", transfer_detail, "api-transfer"),
    ("transfers/<int:pk>/accept/", transfer_accept, "api-transfer-accept"),
    ("transfers/<int:pk>/decline/", transfer_decline, "api-transfer-decline"),
    ("transfers/<int:pk>/cancel/", transfer_cancel, "api-transfer-cancel"),
]
