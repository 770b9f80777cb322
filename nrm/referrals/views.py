"""The pages of referrals: the inbox and outbox, a referral and its answer, the review of legal
grounds, the service directory. The URLs are ``web``'s (``nrm/web/urls.py``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nrm.accounts.access import Action
from nrm.accounts.models import Organisation
from nrm.cases import access as case_access
from nrm.cases.choices import ConsentPurpose
from nrm.cases.views import case_staff, paginate
from nrm.core.pages import form_page
from nrm.referrals import selectors as referral_selectors
from nrm.referrals import services as referral_services
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.forms import (
    DirectoryFilterForm,
    GroundReviewForm,
    ReferralFilterForm,
    TransitionForm,
)
from nrm.referrals.models import Referral

# --- Referrals -------------------------------------------------------------------------------


def _referral_box(request: HttpRequest, box: str) -> HttpResponse:
    form = ReferralFilterForm(request.GET or None)
    status = form.status_value()
    select = referral_selectors.referral_inbox if box == "in" else referral_selectors.referral_outbox
    qs = select(request.user, status=status)
    return render(
        request,
        "referrals/referral_list.html",
        {"form": form, "page": paginate(request, qs), "box": box, "today": timezone.localdate()},
    )


@case_staff
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """List referrals received by the user's organisations."""
    return _referral_box(request, "in")


@case_staff
def referral_outbox(request: HttpRequest) -> HttpResponse:
    """List referrals sent by the user's organisations."""
    return _referral_box(request, "out")


TRANSITION_LABELS = {
    ReferralStatus.ACCEPTED: gettext_lazy("Accept"),
    ReferralStatus.DECLINED: gettext_lazy("Decline"),
    ReferralStatus.IN_PROGRESS: gettext_lazy("Mark in progress"),
    ReferralStatus.COMPLETED: gettext_lazy("Mark completed"),
    ReferralStatus.CLOSED: gettext_lazy("Close"),
    ReferralStatus.SENT: gettext_lazy("Send again"),
}


def _referral_context(request: HttpRequest, referral: Referral, bound: TransitionForm | None = None) -> dict:
    user = request.user
    receiver, sender = referral_selectors.referral_sides(user, referral)
    actions = []
    for to_status in referral_selectors.allowed_transitions(user, referral):
        form = bound if bound is not None and bound.data.get("status") == to_status else None
        form = form or TransitionForm(
            initial={"status": to_status, "version": referral.version}, prefix=None, auto_id=f"id_{to_status}_%s"
        )
        actions.append(
            {
                "status": to_status,
                "label": TRANSITION_LABELS.get(to_status, to_status),
                "form": form,
                "needs_reason": to_status == ReferralStatus.DECLINED,
            }
        )
    consent_orgs = {c.get("organisation") for c in referral.consent_snapshot if c.get("organisation")}
    names = dict(Organisation.objects.filter(pk__in=consent_orgs).values_list("pk", "name"))
    snapshot = [
        {
            "purpose": ConsentPurpose(c["purpose"]).label if c.get("purpose") in ConsentPurpose.values else "",
            "organisation": names.get(c.get("organisation"), ""),
            "given_on": c.get("given_on"),
        }
        for c in referral.consent_snapshot
    ]
    return {
        "referral": referral,
        "actions": actions,
        "bound": bound,
        "is_receiver": receiver,
        "is_sender": sender,
        "case_visible": case_access.can(user, Action.VIEW, referral.case),
        # The receiver records what it gives on the referral from here, prefilled with it.
        "can_record_service": receiver
        and referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)
        and case_access.can(user, Action.RECORD_SERVICE, referral.case),
        "snapshot": snapshot,
        "retained": referral_selectors.referral_retained(user, referral),
        "today": timezone.localdate(),
    }


@case_staff
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a referral: the receiver sees what it shares, and the case once it has accepted."""
    referral = referral_selectors.referral_get(request.user, pk)
    return render(request, "referrals/referral_detail.html", _referral_context(request, referral))


@case_staff
@require_POST
def referral_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, decline, progress, complete or close a referral, as the user's side may."""
    referral = referral_services.referral_for_update(request.user, pk)
    to_status = request.POST.get("status", "")
    form = TransitionForm(request.POST, auto_id=f"id_{to_status if to_status in ReferralStatus.values else 'x'}_%s")
    return form_page(
        request,
        form,
        lambda d: referral_services.referral_transition(
            actor=request.user,
            referral=referral,
            to_status=d["status"],
            expected_version=d["version"],
            reason=d["reason"],
        ),
        rename={"decline_reason": "reason"},
        success=lambda _result: (
            _("The referral is now %(status)s.") % {"status": ReferralStatus(form.cleaned_data["status"]).label}
        ),
        done=reverse("web:referral_detail", args=[referral.pk]),
        template="referrals/referral_detail.html",
        # Re-read as the page shows it, so a refusal shows the current state beside the message.
        context=lambda: _referral_context(request, referral_selectors.referral_get(request.user, pk), bound=form),
    )


def _legal_grounds_context(request: HttpRequest, bound: tuple[int, GroundReviewForm] | None = None) -> dict:
    reviewed = request.GET.get("reviewed") == "1"
    qs = referral_selectors.legal_grounds_to_review(request.user, pending=not reviewed)
    if reviewed:
        qs = qs.exclude(ground_review="").order_by("-ground_reviewed_on", "-id")
    page, today = paginate(request, qs), timezone.localdate()
    for r in page.object_list:
        r.days_waiting = (today - r.sent_on).days
        if bound is not None and bound[0] == r.pk:
            r.review_form = bound[1]
        else:
            r.review_form = GroundReviewForm(initial={"version": r.version}, auto_id=f"id_r{r.pk}_%s")
    return {"page": page, "reviewed": reviewed}


@case_staff
def legal_grounds(request: HttpRequest) -> HttpResponse:
    """The owner's review list: referrals of its cases sent without consent, on a legal ground."""
    return render(request, "referrals/legal_grounds.html", _legal_grounds_context(request))


@case_staff
@require_POST
def referral_ground_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record whether a referral's legal ground was justified (the owner's case workers)."""
    referral = referral_selectors.legal_ground_get(request.user, pk)
    form = GroundReviewForm(request.POST, auto_id=f"id_r{pk}_%s")
    return form_page(
        request,
        form,
        lambda d: referral_services.legal_ground_review(
            actor=request.user,
            referral=referral,
            outcome=d["ground_review"],
            note=d["ground_review_note"],
            expected_version=d["version"],
        ),
        success=_("Review recorded for %(reference)s.") % {"reference": referral.case.reference},
        done=reverse("web:legal_grounds"),
        template="referrals/legal_grounds.html",
        conflict_on_field=True,
        context=lambda: _legal_grounds_context(request, bound=(pk, form)),
    )


# --- Service directory -----------------------------------------------------------------------


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    """Show who offers which service where, in which languages."""
    form = DirectoryFilterForm(request.GET or None)
    qs = referral_selectors.directory(**form.filters())
    return render(request, "referrals/directory.html", {"form": form, "page": paginate(request, qs)})
