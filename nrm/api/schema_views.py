"""The schema and its browsable docs, served to whom the setting allows.

Apart from ``nrm.api.schema``: drf-spectacular's views import the schema class named in the settings.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions, permissions


class SchemaAccess(permissions.BasePermission):
    """In production the schema and its docs are for signed-in users only.

    They hold no records, but they map every route and field of a system about victims: no reason
    to hand that to anyone who reaches the server. The demo and development keep them public, so
    that a client developer or a tool (code generators, Schemathesis) reads them without a token.
    """

    def has_permission(self, request, view) -> bool:
        return not settings.PRODUCTION or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    permission_classes = [SchemaAccess]


class DocsView(SpectacularSwaggerView):
    """The browsable docs; an anonymous visitor refused them is sent to sign in, as on any page."""

    permission_classes = [SchemaAccess]

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
