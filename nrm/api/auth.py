"""Signing in for an API token, the caller's tokens and signing out, and the caller's own profile.

Each sign-in issues a new token (``NRM_API_TOKEN_TTL``, default eight hours); ``GET
auth/tokens/`` lists the caller's working tokens (never their secrets), ``DELETE
auth/tokens/<id>/`` revokes one, ``POST auth/logout/`` revokes the one in use. Writes go through
``nrm.accounts.services``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nrm.accounts import selectors, services
from nrm.accounts.access import member_organisations, roles
from nrm.accounts.models import ApiToken
from nrm.api.serializers import ModelSerializer


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        help_text="A current authenticator code: for users who set one up, and, where a second factor is "
        "required (NRM_REQUIRE_2FA), for every role that may see identity. Each code works once.",
    )
    otp_token = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="Former name of otp, still accepted"
    )
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="What the token is for, shown in the token list"
    )


class TokenResponse(serializers.Serializer):
    token = serializers.CharField(help_text="The secret, shown only now: send it as Authorization: Token <token>")
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenInfo(ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "label", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        """Whether this is the token of the request."""
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class TokenView(APIView):
    """Exchange a username and password for a new API token (``Authorization: Token <token>``).

    Refused, naming ``password``, while an administrator's password awaits its owner's own, and,
    naming ``otp``, without a current authenticator code where one is needed
    (``services.token_sign_in``).
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(request=TokenRequest, responses=TokenResponse)
    def post(self, request: Request) -> Response:
        data = TokenRequest(data=request.data)
        data.is_valid(raise_exception=True)
        # A failed ``authenticate`` is audited once, by the sign-in signal (``accounts.signals``),
        # under this action; lockouts included.
        request._request.nrm_sign_in_action = "auth.token"
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            raise serializers.ValidationError({"password": ["Unable to sign in with these credentials."]})
        label = data.validated_data.get("label") or request.headers.get("User-Agent", "")
        code = data.validated_data.get("otp") or data.validated_data.get("otp_token") or ""
        token, secret = services.token_sign_in(user=user, code=code, label=label)
        return Response({"token": secret, "id": token.pk, "expires_at": token.expires_at})


class TokenListView(APIView):
    """The caller's working API tokens, newest first (their secrets are never shown again)."""

    @extend_schema(responses=TokenInfo(many=True))
    def get(self, request: Request) -> Response:
        tokens = selectors.api_tokens(request.user)
        return Response(TokenInfo(tokens, many=True, context={"request": request}).data)


class TokenDetailView(APIView):
    """Revoke one of the caller's tokens; anyone else's is a 404."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.token_revoke(actor=request.user, token_id=pk)
        return Response(status=204)


class LogoutView(APIView):
    """Revoke the token this request carries (sign out of the API)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise serializers.ValidationError(
                {"token": ["This request carries no API token; sign out of the web at /accounts/logout/."]}
            )
        services.token_revoke(actor=request.user, token_id=request.auth.pk)
        return Response(status=204)


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
