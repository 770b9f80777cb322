"""Forms of a child's records; the services check the dates against each other and name the field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.cases.choices import ChildStatus
from nrm.cases.forms import DateInput, version_field


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Guardian's name"), max_length=200)
    contact = forms.CharField(label=_("Guardian's contact"), required=False, max_length=300)
    appointing_authority = forms.CharField(
        label=_("Appointing authority"), max_length=200, help_text=_("Usually the centre for social work")
    )
    appointed_on = forms.DateField(label=_("Date of appointment"), widget=DateInput)


class AssessmentForm(forms.Form):
    assessed_by = forms.CharField(label=_("Assessed by (names and roles)"), max_length=200)
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DateInput)
    options_weighed = forms.CharField(
        label=_("Options weighed"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Each option considered (family reunification, care, return...) and what speaks for and against it"
        ),
    )


class DeterminationForm(forms.Form):
    determined_by = forms.CharField(label=_("Determined by (panel or authority)"), max_length=200)
    determined_on = forms.DateField(label=_("Date of the determination"), widget=DateInput)
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}))
    review_on = forms.DateField(label=_("Review date"), widget=DateInput)


class ChildStatusForm(forms.Form):
    version = version_field()
    child_status = forms.ChoiceField(label=_("Unaccompanied or separated"), choices=ChildStatus.choices)
