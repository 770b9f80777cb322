"""A child's records in the API, under the case: guardians, best interests, unaccompanied or separated."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action
from nrm.audit.services import audit_denial
from nrm.cases.choices import ChildStatus
from nrm.cases.selectors import case_get
from nrm.children import services
from nrm.children.selectors import assessment_json, child_records, guardian_json


class GuardianSerializer(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField(required=False, allow_blank=True, default="")
    appointing_authority = serializers.CharField()
    appointed_on = serializers.DateField()


class AssessmentSerializer(serializers.Serializer):
    assessed_by = serializers.CharField()
    assessed_on = serializers.DateField()
    options_weighed = serializers.CharField()


class DeterminationSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(required=False, allow_null=True)
    determined_by = serializers.CharField()
    determined_on = serializers.DateField()
    decision = serializers.CharField()
    review_on = serializers.DateField()


class ChildStatusSerializer(serializers.Serializer):
    child_status = serializers.ChoiceField(ChildStatus.choices)
    version = serializers.IntegerField(required=False)


def _child(request: Request, pk: int, reason: str, action: Action | None = None):
    view = case_get(request.user, pk, reason=reason)
    if action is not None and not view.may(request.user, action):
        raise audit_denial(actor=request.user, action=f"child.{action}", object_type="case", object_id=pk, reason="api")
    return view


def _records(request: Request, view) -> dict:
    child = child_records(request.user, view)
    return {
        "case": view.case.pk,
        "is_child": view.case.is_child,
        "child_status": view.case.child_status,
        "guardians": [guardian_json(g, child.show_identity) for g in child.guardians],
        "assessments": [assessment_json(a) for a in child.assessments],
    }


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def child_get(request: Request, pk: int) -> Response:
    """A child's records: the flag, guardians (name, contact: identity only), assessments, determinations."""
    return Response(_records(request, _child(request, pk, "api child")))


@extend_schema(request=GuardianSerializer, responses={201: OpenApiTypes.OBJECT})
@api_view(["POST"])
def guardian_new(request: Request, pk: int) -> Response:
    """Record the guardian appointed for the child; the current one's appointment ends that day."""
    view = _child(request, pk, "api guardian", Action.MANAGE)
    if not view.show_identity:
        raise audit_denial(actor=request.user, action="child.guardian", object_type="case", object_id=pk, reason="api")
    s = GuardianSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    g = services.guardian_appoint(actor=request.user, case=view.case, **s.validated_data)
    return Response(guardian_json(g, True), status=status.HTTP_201_CREATED)


@extend_schema(request=AssessmentSerializer, responses={201: OpenApiTypes.OBJECT})
@api_view(["POST"])
def assessment_new(request: Request, pk: int) -> Response:
    """Record a best-interests assessment of the child."""
    view = _child(request, pk, "api best interests", Action.MANAGE)
    s = AssessmentSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    a = services.assessment_record(actor=request.user, case=view.case, **s.validated_data)
    return Response(assessment_json(a), status=status.HTTP_201_CREATED)


@extend_schema(request=DeterminationSerializer, responses={201: OpenApiTypes.OBJECT})
@api_view(["POST"])
def determination_new(request: Request, pk: int) -> Response:
    """Record the determination taken on an assessment of this child, with its review date."""
    view = _child(request, pk, "api best interests", Action.MANAGE)
    s = DeterminationSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    d = services.determination_record(actor=request.user, case=view.case, **s.validated_data)
    return Response(
        {"id": d.pk, "assessment": d.assessment_id, "determined_on": d.determined_on, "review_on": d.review_on},
        status=status.HTTP_201_CREATED,
    )


@extend_schema(request=ChildStatusSerializer, responses=OpenApiTypes.OBJECT)
@api_view(["PUT"])
def child_status(request: Request, pk: int) -> Response:
    """Set whether the child is unaccompanied, separated, neither, or unknown."""
    view = _child(request, pk, "api child status", Action.CORRECT)
    s = ChildStatusSerializer(data=request.data)
    s.is_valid(raise_exception=True)
    case = services.child_status_set(
        actor=request.user,
        case=view.case,
        child_status=s.validated_data["child_status"],
        expected_version=s.validated_data.get("version"),
    )
    return Response({"case": case.pk, "child_status": case.child_status, "version": case.version})


urlpatterns_api = [
    ("cases/<int:pk>/child/", child_get, "api-case-child"),
    ("cases/<int:pk>/child/status/", child_status, "api-case-child-status"),
    ("cases/<int:pk>/guardians/", guardian_new, "api-case-guardians"),
    ("cases/<int:pk>/best-interests/assessments/", assessment_new, "api-case-bia"),
    ("cases/<int:pk>/best-interests/determinations/", determination_new, "api-case-bid"),
]
