"""Token authentication endpoint and the caller's own profile."""

from __future__ import annotations

import django_otp
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nrm.accounts.access import member_organisations, roles
from nrm.audit.services import audit_record


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp_token = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="Authenticator code, for users who set one up"
    )


class TokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token <token>``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=TokenRequest, responses=inline_serializer("TokenResponse", {"token": serializers.CharField()})
    )
    def post(self, request: Request) -> Response:
        data = TokenRequest(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            audit_record(
                actor=None,
                action="auth.token",
                object_type="user",
                object_id=data.validated_data["username"][:64],
                outcome="denied",
                reason="bad credentials",
            )
            raise serializers.ValidationError({"password": ["Unable to sign in with these credentials."]})
        if django_otp.user_has_device(user):
            code = data.validated_data.get("otp_token", "").strip()
            if not code or django_otp.match_token(user, code) is None:
                audit_record(
                    actor=user,
                    action="auth.token",
                    object_type="user",
                    object_id=user.pk,
                    outcome="denied",
                    reason="authenticator code missing or wrong",
                )
                raise serializers.ValidationError(
                    {"otp_token": ["Enter the current code from your authenticator app."]}
                )
        token, _created = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action="auth.token", object_type="user", object_id=user.pk)
        return Response({"token": token.key})


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
            "organisations": serializers.ListField(child=serializers.IntegerField()),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Return the caller's username, roles and organisation ids."""
    return Response(
        {
            "username": request.user.username,
            "roles": sorted(roles(request.user)),
            "organisations": member_organisations(request.user),
        }
    )
