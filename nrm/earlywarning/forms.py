"""Forms of the early-warning pages: filters, a new observation, alert steps, thresholds."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrm.accounts.access import WarningAction, warning_organisations
from nrm.accounts.models import Organisation, User, region_label
from nrm.earlywarning import risk
from nrm.earlywarning.choices import SCALE, AlertStatus
from nrm.earlywarning.models import RiskIndicator, VulnerableGroup
from nrm.earlywarning.services import MAX_WINDOW_DAYS


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def group_choices(empty: str | None = None) -> list[tuple[str, str]]:
    rows = [(g.code, g.name) for g in VulnerableGroup.objects.all()]
    return [("", empty), *rows] if empty is not None else rows


def region_choices(empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((r, region_label(r)) for r in risk.regions())]


def indicator_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Indicators grouped under their vulnerable group, for an ``<optgroup>`` select."""
    out: dict[str, list[tuple[str, str]]] = {}
    for ind in RiskIndicator.objects.select_related("group"):
        out.setdefault(ind.group.name, []).append((ind.code, ind.name))
    return list(out.items())


SCALE_CHOICES = [(n, str(n)) for n in SCALE]


class _Filters(forms.Form):
    def filters(self) -> dict:
        """Return the valid filters; an invalid value is ignored, not an error page."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v and k not in self.errors}


class MatrixForm(_Filters):
    group = forms.ChoiceField(label=_("Vulnerable group"), required=False)
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput)
    window_days = forms.IntegerField(
        label=_("Window (days)"), required=False, min_value=1, max_value=MAX_WINDOW_DAYS, initial=90
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = group_choices(_("All groups"))


class ObservationFilterForm(_Filters):
    group = forms.ChoiceField(label=_("Vulnerable group"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2999)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = group_choices(_("Any"))
        self.fields["region"].choices = region_choices(_("Any"))


class AlertFilterForm(_Filters):
    status = forms.ChoiceField(label=_("Status"), required=False)
    group = forms.ChoiceField(label=_("Vulnerable group"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any")), *AlertStatus.choices]
        self.fields["group"].choices = group_choices(_("Any"))
        self.fields["region"].choices = region_choices(_("Any"))


class ObservationForm(forms.Form):
    """An observation against a risk indicator; no one's identity."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    observed_on = forms.DateField(label=_("Observed on"), widget=DateInput)
    indicator = forms.ChoiceField(label=_("Risk indicator"))
    region = forms.ChoiceField(label=_("Region"))
    likelihood = forms.TypedChoiceField(
        label=_("Likelihood"),
        choices=SCALE_CHOICES,
        coerce=int,
        help_text=_("1 = rare, 5 = almost certain"),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        choices=[("", _("The indicator's usual impact")), *SCALE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("1 = minor, 5 = severe"),
    )
    persons_concerned = forms.IntegerField(label=_("Persons concerned"), required=False, min_value=0)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was seen. Do not write down who anyone is."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        orgs = warning_organisations(user, WarningAction.OBSERVE)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=orgs)
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0]
        self.fields["indicator"].choices = indicator_choices()
        self.fields["region"].choices = region_choices(_("Choose a region"))
        self.fields["observed_on"].initial = timezone.localdate()
        orgs_regions = list(Organisation.objects.filter(pk__in=orgs).values_list("region", flat=True))
        if orgs_regions and orgs_regions[0]:
            self.fields["region"].initial = orgs_regions[0]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ThresholdForm(forms.Form):
    group = forms.ChoiceField(label=_("Vulnerable group"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    min_score = forms.IntegerField(label=_("Minimum score"), min_value=1, max_value=25, initial=12)
    min_observations = forms.IntegerField(label=_("Minimum observations"), min_value=1, initial=3)
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, max_value=MAX_WINDOW_DAYS, initial=90)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = group_choices(_("Every group"))
        self.fields["region"].choices = region_choices(_("Every region"))
