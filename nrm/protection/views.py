"""The page of a case's protection measures, reached from the case page; it answers through ``form_page``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from nrm.accounts.access import owner_organisations
from nrm.cases.models import Case
from nrm.cases.views import case_for, case_staff, denied
from nrm.core.pages import form_page
from nrm.protection import services
from nrm.protection.access import WRITE
from nrm.protection.forms import ProtectionForm
from nrm.protection.selectors import protection_of


@case_staff
def protection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the case's reflection period, residence permit, return and non-punishment (the owner's case workers)."""
    # Asked before the audited read: anyone else is refused without having read the case.
    if not Case.objects.filter(pk=pk, owner__in=owner_organisations(request.user, WRITE)).exists():
        raise denied(request, "case.protection", pk)
    view = case_for(request, pk, reason="protection")
    case = view.case
    form = ProtectionForm(request.POST or None, initial=ProtectionForm.initial_from(protection_of(view)))
    return form_page(
        request,
        form,
        lambda d: services.protection_set(
            actor=request.user, case=case, expected_version=d["version"], **form.values()
        ),
        done=reverse("web:case_detail", args=[case.pk]),
        success=_("Protection measures saved."),
        template="protection/protection_form.html",
        context={"case": case, "title": _("Protection measures of case %(ref)s") % {"ref": case.reference}},
    )
