"""Pages of probable duplicates and their merges: duplicates with merge buttons, the administrators' merges."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.accounts.access import administers
from nrm.accounts.gates import role_gate
from nrm.cases.views import case_staff, paginate
from nrm.core.pages import form_page
from nrm.exchange import dedup, merge

administrators = role_gate(administers, record="case_merge", reason="not an administrator", action="merge.undo")


@case_staff
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """The probable duplicates of the user's organisations' cases, each side shown only its own case."""
    page = paginate(request, dedup.duplicate_list(request.user))
    views = dedup.duplicate_views(request.user, page.object_list)
    return render(request, "exchange/duplicate_list.html", {"page": page, "views": views})


@case_staff
@require_POST
def merge_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Ask to merge a confirmed duplicate (naming the survivor), accept or decline the other side's request."""
    back = reverse("exchange:duplicate_list")
    user = request.user
    if step == "request":
        save = lambda d: merge.merge_request(actor=user, link_id=pk, survivor=request.POST.get("survivor", ""))  # noqa: E731
        message = _("Merge asked for: the cases merge when the other organisation accepts (at once if both are yours).")
    elif step == "accept":
        save, message = (lambda d: merge.merge_accept(actor=user, link_id=pk)), _("Merge accepted: the cases are one.")
    else:
        save, message = (lambda d: merge.merge_decline(actor=user, link_id=pk)), _("Merge declined.")
    return form_page(request, None, save, success=message, done=back, invalid_to=back, conflict_to=back)


@administrators
def merge_list(request: HttpRequest) -> HttpResponse:
    """Every merge of duplicate cases, with the undo while its period runs (no case content)."""
    page = paginate(request, merge.merge_list(request.user))
    rows = [(m, merge.undo_deadline(m)) for m in page.object_list]
    return render(request, "exchange/merge_list.html", {"page": page, "rows": rows})


@administrators
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge within ``NRM_MERGE_UNDO_DAYS`` (an administrator)."""
    back = reverse("exchange:merge_list")
    return form_page(
        request,
        None,
        lambda d: merge.merge_undo(actor=request.user, merge_id=pk),
        success=_("Merge undone: both cases are back as they were."),
        done=back,
        invalid_to=back,
        conflict_to=back,
    )
