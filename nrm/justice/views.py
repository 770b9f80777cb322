"""Web pages of criminal proceedings, read only: thin views over the justice selectors.

The staff of police, prosecution and courts read the proceedings their organisation holds or
that were shared with it; anyone else finds no page here: a 404, the same as a missing one.
Writes stay with the API for now (``nrm.justice.api``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from nrm.accounts.access import JusticeAction, justice_org_ids
from nrm.audit.services import audit_record
from nrm.core.errors import NotFound
from nrm.justice import selectors
from nrm.justice.choices import STAGE_DATE, STAGE_ORDER, Stage

PAGE_SIZE = 50


def justice_staff(view: Callable) -> Callable:
    """Let in the staff of justice organisations; anyone else, and a NotFound, gets a 404.

    A refused attempt at a particular proceeding is audited.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not justice_org_ids(request.user, JusticeAction.VIEW):
            if "pk" in kwargs:
                audit_record(
                    actor=request.user,
                    action="proceeding.view",
                    object_type="proceeding",
                    object_id=kwargs["pk"],
                    outcome="denied",
                    reason="role without justice access",
                )
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return login_required(wrapped)


@justice_staff
def proceeding_list(request: HttpRequest) -> HttpResponse:
    """List the proceedings of the user's justice organisations, filtered by stage, year and reference."""
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    year = request.GET.get("year", "").strip()
    q = request.GET.get("q", "").strip()
    qs = selectors.proceeding_list(request.user, stage=stage, year=year, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "justice/proceeding_list.html",
        {"page": page, "stage": stage, "year": year, "q": q, "stages": Stage.choices},
    )


@justice_staff
def proceeding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a proceeding: stages, defendants with their charges and verdicts, the victims' parts."""
    view = selectors.proceeding_get(request.user, pk, reason="web")
    p = view.proceeding
    reached = STAGE_ORDER.index(p.stage)
    stages = [
        {"label": label, "on": getattr(p, STAGE_DATE[value]), "reached": n <= reached, "current": value == p.stage}
        for n, (value, label) in enumerate(Stage.choices)
    ]
    return render(request, "justice/proceeding_detail.html", {"view": view, "proceeding": p, "stages": stages})
