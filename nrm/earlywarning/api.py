"""API of earlywarning under /api/v1/."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Register this app's resources on the API router."""
