"""Web pages: thin views over selectors, forms and services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user's tasks."""
    return render(request, "web/home.html", {})
