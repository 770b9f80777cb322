"""The home page: what waits for the signed-in user, from every app (``nrm.web.home``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nrm.web.home import blocks_for, home_context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show what waits for the signed-in user, for each role they hold (``nrm.web.home``)."""
    user = request.user
    return render(request, "web/home.html", {"blocks": blocks_for(user), **home_context(user)})
