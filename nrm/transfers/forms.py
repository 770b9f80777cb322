"""Forms of transfers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.cases.forms import DateInput


class TransferForm(forms.Form):
    to_org = forms.ModelChoiceField(
        label=_("Organisation that takes over the case"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=_("Why the case is handed over"), widget=forms.Textarea(attrs={"rows": 3}))
    consent_given_on = forms.DateField(
        label=_("The person consented to the transfer on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty only when a legal ground allows the transfer without consent."),
    )
    legal_ground = forms.CharField(
        label=_("Legal ground (without consent)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = Organisation.objects.filter(is_active=True).exclude(pk=case.owner_id)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why the transfer is declined"), widget=forms.Textarea(attrs={"rows": 3}))
