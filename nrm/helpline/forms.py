"""Forms of the helpline pages: filter the call log, log a call, turn a call into a screening."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.accounts.access import helpline_organisations
from nrm.accounts.models import Organisation, User
from nrm.cases.forms import ScreeningForm
from nrm.cases.models import IndicatorList
from nrm.helpline.choices import Channel
from nrm.helpline.models import Topic

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker; the value is always ISO, whatever the language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def topic_choices() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in Topic.objects.all()]


class CallFilterForm(forms.Form):
    """Filters of the call log; an invalid value is ignored, not an error page."""

    month = forms.CharField(
        label=_("Month"), required=False, help_text=_("As YYYY-MM, e.g. 2024-03"), widget=forms.TextInput
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Any")), *Channel.choices]
        self.fields["topic"].choices = [("", _("Any")), *topic_choices()]

    def clean_month(self) -> str:
        month = self.cleaned_data["month"].strip()
        if month and not MONTH.match(month):
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return month

    def filters(self) -> dict[str, str]:
        """Return the valid filters, for :func:`nrm.helpline.selectors.call_list`."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v and k not in self.errors}


class CallForm(forms.Form):
    """A call or message to the helpline, without the caller's identity."""

    organisation = forms.ModelChoiceField(label=_("Helpline"), queryset=Organisation.objects.none(), empty_label=None)
    received_at = forms.DateTimeField(
        label=_("Received at"), required=False, widget=DateTimeInput, help_text=_("Leave empty for now.")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    topic = forms.ChoiceField(label=_("Topic"))
    language = forms.CharField(
        label=_("Language of the call"), required=False, max_length=8, help_text=_("e.g. sr, en, ar")
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=80)
    referral_made = forms.BooleanField(label=_("The caller was referred"), required=False)
    referred_to = forms.ModelChoiceField(
        label=_("Referred to"), queryset=Organisation.objects.filter(is_active=True), required=False
    )
    referred_to_other = forms.CharField(
        label=_("Referred elsewhere"), required=False, max_length=200, help_text=_("When not in the directory")
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Do not write down who the caller is."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        orgs = helpline_organisations(user)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=orgs)
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0]
        self.fields["topic"].choices = topic_choices()


class CallScreeningForm(ScreeningForm):
    """The screening form without what the call already says: who, when, where and by which channel."""

    CALL_FIELDS = ("organisation", "screened_on", "anonymous", "region", "channel")

    def __init__(self, *args, user: User, indicator_list: IndicatorList, **kwargs) -> None:
        super().__init__(*args, user=user, indicator_list=indicator_list, **kwargs)
        for name in self.CALL_FIELDS:
            del self.fields[name]


class StatisticsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2999)
