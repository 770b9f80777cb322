"""Forms of the programme pages: filter the list, and the Coordinator's office's writes.

Forms only shape input; the rules (a donor once per programme, periods that do not overlap,
URLs only over http or https...) live in :mod:`nrm.programmes.services`, whose errors the views
put back on the field they name.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation, User
from nrm.programmes import selectors
from nrm.programmes.choices import PartnerRole
from nrm.programmes.models import Programme


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _amount(label, required: bool = False, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=16, decimal_places=2, min_value=0, localize=False, **kwargs
    )


class ProgrammeFilterForm(forms.Form):
    """Filters of the programme list; an invalid value is ignored, not an error page."""

    donor = forms.ChoiceField(label=_("Donor"), required=False)
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int, empty_value=None)
    year = forms.IntegerField(label=_("Running in year"), required=False, min_value=1990, max_value=2999)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor"].choices = [("", _("Any")), *((d, d) for d in selectors.donor_choices(user))]
        self.fields["partner"].choices = [("", _("Any")), *selectors.partner_choices(user)]

    def filters(self) -> dict:
        """Return the valid filters, for :func:`nrm.programmes.selectors.programme_list`."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v and k not in self.errors}


class ProgrammeForm(forms.Form):
    """A programme's summary: code (on creation only), title, period, description and budget."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lowercase letters, digits and hyphens; part of the IATI identifier."),
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    period_start = forms.DateField(label=_("Starts on"), required=False, widget=DateInput)
    period_end = forms.DateField(label=_("Ends on"), required=False, widget=DateInput)
    period_text = forms.CharField(label=_("Period as the source words it"), required=False, max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    budget_amount = _amount(_("Budget"))
    budget_currency = forms.CharField(
        label=_("Budget currency"), required=False, max_length=3, help_text=_("ISO 4217 code, e.g. EUR")
    )
    source = forms.CharField(
        label=_("Source"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Where it was read")
    )
    sectors = forms.CharField(
        label=_("Sectors (DAC codes)"),
        required=False,
        max_length=200,
        help_text=_("Five-digit DAC purpose codes with their share, e.g. 15190:60, 15180:40; one code alone is 100%."),
    )
    secondary_reporter = forms.BooleanField(
        label=_("Another organisation runs this activity (we republish it)"), required=False, initial=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, programme: Programme | None = None, **kwargs) -> None:
        if programme is not None:
            kwargs.setdefault(
                "initial",
                {
                    f: getattr(programme, f)
                    for f in (
                        "title",
                        "period_start",
                        "period_end",
                        "period_text",
                        "description",
                        "budget_amount",
                        "budget_currency",
                        "source",
                        "secondary_reporter",
                        "version",
                    )
                }
                | {"sectors": ", ".join(f"{s.code}:{s.percentage.normalize():f}" for s in programme.sectors.all())},
            )
        super().__init__(*args, **kwargs)
        if programme is not None:
            del self.fields["code"]


class FundingLineForm(forms.Form):
    donor = forms.CharField(label=_("Donor"), max_length=200)
    amount = _amount(_("Amount"), required=True)
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217 code, e.g. EUR"))
    source_text = forms.CharField(
        label=_("Source text"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Optional")
    )


class PartnerForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(is_active=True).order_by("name")
    )
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class IndicatorForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=60, help_text=_("Lowercase letters, digits and hyphens"))
    name = forms.CharField(label=_("Name"), max_length=300)
    unit = forms.CharField(label=_("Unit"), max_length=60, help_text=_("e.g. people, sessions, %"))
    baseline = _amount(_("Baseline"))
    target = _amount(_("Target"))
    output = forms.ModelChoiceField(label=_("Output"), queryset=None, required=False, empty_label=_("None"))

    def __init__(self, *args, programme: Programme, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["output"].queryset = selectors.output_choices(programme)


class TargetsForm(forms.Form):
    baseline = _amount(_("Baseline"))
    target = _amount(_("Target"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ValueForm(forms.Form):
    period_start = forms.DateField(label=_("Period starts on"), widget=DateInput)
    period_end = forms.DateField(label=_("Period ends on"), widget=DateInput)
    value = _amount(_("Actual value"), required=True)
    period_text = forms.CharField(label=_("Period label"), required=False, max_length=200, help_text=_("Optional"))
    source = forms.CharField(label=_("Source"), required=False, max_length=300, help_text=_("e.g. quarterly report"))


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    reference = forms.CharField(
        label=_("Web address or citation"),
        max_length=500,
        help_text=_("A link starting with https:// (or http://), or a bibliographic reference"),
    )
