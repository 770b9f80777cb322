"""Pages of transfers: the form on a case, the list, one transfer with the old owner's history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.cases.views import case_action_page, case_for, case_staff, denied, paginate
from nrm.core.pages import form_page
from nrm.transfers import selectors, services
from nrm.transfers.access import transfer_organisations
from nrm.transfers.forms import DeclineForm, TransferForm


@case_staff
def transfer_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask another organisation to take over the case (the owner's case managers)."""
    view = case_for(request, pk, reason="transfer")
    case = view.case
    if case.owner_id not in transfer_organisations(request.user):
        raise denied(request, "transfer.request", pk)
    return case_action_page(
        request,
        TransferForm(request.POST or None, case=case),
        lambda d: services.transfer_request(actor=request.user, case=case, **d),
        case=case,
        title=_("Transfer case %(ref)s to another organisation") % {"ref": case.reference},
        submit=_("Ask for the transfer"),
        success=_("Transfer asked: the case moves when the organisation accepts it."),
        context={
            "intro": _(
                "A transfer hands the case over: the other organisation becomes its owner and your organisation "
                "keeps only a read-only record of what it did. To ask for a service, refer the case instead."
            )
        },
    )


@case_staff
def transfer_list(request: HttpRequest) -> HttpResponse:
    """The transfers from and to the user's organisations."""
    transfers = selectors.transfer_list(request.user)
    return render(request, "transfers/transfer_list.html", {"page": paginate(request, transfers)})


def _detail_context(request: HttpRequest, pk: int, decline: DeclineForm | None = None) -> dict:
    return {"view": selectors.transfer_get(request.user, pk), "decline_form": decline or DeclineForm()}


@case_staff
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One transfer; after acceptance the old owner reads here what it recorded on the case."""
    return render(request, "transfers/transfer_detail.html", _detail_context(request, pk))


@case_staff
@require_POST
def transfer_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept, decline or cancel a transfer waiting for an answer."""
    back = reverse("transfers:transfer_detail", args=[pk])
    user = request.user
    if answer == "decline":
        form = DeclineForm(request.POST)
        return form_page(
            request,
            form,
            lambda d: services.transfer_decline(actor=user, pk=pk, reason=d["reason"]),
            success=_("Transfer declined."),
            done=back,
            template="transfers/transfer_detail.html",
            context=lambda: _detail_context(request, pk, form),
        )
    if answer == "accept":
        save, message = (
            (lambda d: services.transfer_accept(actor=user, pk=pk)),
            _("Transfer accepted: the case is yours."),
        )
    else:
        save, message = (lambda d: services.transfer_cancel(actor=user, pk=pk)), _("Transfer cancelled.")
    return form_page(request, None, save, success=message, done=back, invalid_to=back, conflict_to=back)
