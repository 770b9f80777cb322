"""Forms of the justice pages: open and advance a proceeding, defendants, charges, verdicts, victims, sharing.

They check the shape of the input only; the rules (dates in order, compensation consistent,
who may see which case) are the services', whose errors come back on the field they name.
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nrm.accounts.access import JusticeAction, justice_organisations
from nrm.accounts.models import Organisation, User
from nrm.cases.choices import Sex
from nrm.cases.forms import DateInput
from nrm.cases.models import ExploitationForm
from nrm.justice.choices import STAGE_ORDER, AssetKind, Instance, Outcome, Stage, VictimRole
from nrm.justice.models import Charge, Proceeding, ProceedingVictim, ProtectionMeasure

SEPARATORS = re.compile(r"[\s,;]+")


def _offence_choices() -> list[tuple[str, str]]:
    from nrm.justice.models import Offence

    return [(o.code, str(o)) for o in Offence.objects.all()]


def _measure_choices() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in ProtectionMeasure.objects.all()]


class ProceedingOpenForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    reference = forms.CharField(label=_("File number"), max_length=60, help_text=_("e.g. KTO 12/24"))
    investigation_on = forms.DateField(
        label=_("Investigation opened on"), required=False, widget=DateInput, help_text=_("Leave empty for today.")
    )
    court = forms.CharField(label=_("Court"), required=False, max_length=200)
    cases = forms.CharField(
        label=_("Victims' cases"),
        required=False,
        help_text=_("Case references, separated by commas or spaces; only cases you may see."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    # Named like the service's argument; declared last, since it hides the module name in the class body.
    forms = forms.MultipleChoiceField(
        label=_("Forms of exploitation"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to take the forms of the victims' cases."),
    )
    field_order = ["organisation", "reference", "investigation_on", "court", "cases", "forms", "notes"]

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        orgs = justice_organisations(user, JusticeAction.EDIT)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=orgs)
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0]
        self.fields["forms"].choices = list(ExploitationForm.objects.values_list("code", "name"))

    def clean_cases(self) -> list[str]:
        return sorted({r for r in SEPARATORS.split(self.cleaned_data["cases"].strip()) if r})


class AdvanceForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage reached"))
    on = forms.DateField(label=_("Reached on"), required=False, widget=DateInput, help_text=_("Leave empty for today."))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, proceeding: Proceeding, **kwargs) -> None:
        kwargs.setdefault("initial", {"version": proceeding.version})
        super().__init__(*args, **kwargs)
        later = STAGE_ORDER[STAGE_ORDER.index(proceeding.stage) + 1 :]
        self.fields["stage"].choices = [(v, label) for v, label in Stage.choices if v in later]


class DefendantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    identity_details = forms.CharField(
        label=_("Identity details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Date of birth, document number, address. Stored encrypted."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False)
    citizenship = forms.CharField(
        label=_("Citizenship"), required=False, max_length=2, help_text=_("Two letters, e.g. RS")
    )
    offences = forms.MultipleChoiceField(
        label=_("Offences charged"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offences"].choices = _offence_choices()


class ChargeForm(forms.Form):
    defendant = forms.ChoiceField(label=_("Defendant"))
    offence = forms.ChoiceField(label=_("Offence (article of the criminal code)"))

    def __init__(self, *args, proceeding: Proceeding, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["defendant"].choices = [
            (d.pk, _("Defendant %(n)s") % {"n": d.number}) for d in proceeding.defendants.order_by("number")
        ]
        self.fields["offence"].choices = _offence_choices()


class VerdictForm(forms.Form):
    charge = forms.ChoiceField(label=_("Charge"))
    instance = forms.ChoiceField(label=_("Instance"), choices=Instance.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DateInput)
    prison_months = forms.IntegerField(label=_("Months in prison"), required=False)
    suspended = forms.BooleanField(label=_("The prison sentence is suspended"), required=False)
    fine_amount = forms.CharField(label=_("Fine"), required=False, max_length=20, help_text=_("e.g. 150000.00"))
    fine_currency = forms.CharField(label=_("Currency of the fine"), required=False, max_length=3)

    def __init__(self, *args, proceeding: Proceeding, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        charges = Charge.objects.filter(defendant__proceeding=proceeding).select_related("defendant", "offence")
        self.fields["charge"].choices = [
            (c.pk, _("Defendant %(n)s: %(offence)s") % {"n": c.defendant.number, "offence": c.offence})
            for c in charges.order_by("defendant__number", "offence__sort_order")
        ]


class AssetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=AssetKind.choices)
    amount = forms.CharField(
        label=_("Amount"), max_length=20, help_text=_("Cash, or the assessed value of property, e.g. 1500000.00")
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("e.g. RSD"))
    decided_on = forms.DateField(
        label=_("Decided on"), required=False, widget=DateInput, help_text=_("Leave empty for today.")
    )


class VictimLinkForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=40)
    role = forms.ChoiceField(label=_("Role in the proceeding"), choices=VictimRole.choices, initial=VictimRole.BOTH)
    protection_measures = forms.MultipleChoiceField(
        label=_("Protection measures granted"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protection_measures"].choices = _measure_choices()


class VictimPartForm(forms.Form):
    """A victim's role, protection and compensation; ``version`` guards against a stale edit."""

    role = forms.ChoiceField(label=_("Role in the proceeding"), choices=VictimRole.choices)
    protection_measures = forms.MultipleChoiceField(
        label=_("Protection measures granted"), required=False, widget=forms.CheckboxSelectMultiple
    )
    compensation_currency = forms.CharField(
        label=_("Currency of the compensation"), required=False, max_length=3, help_text=_("e.g. RSD")
    )
    compensation_claimed = forms.CharField(label=_("Compensation claimed"), required=False, max_length=20)
    claimed_on = forms.DateField(label=_("Claimed on"), required=False, widget=DateInput)
    compensation_awarded = forms.CharField(label=_("Compensation awarded"), required=False, max_length=20)
    awarded_on = forms.DateField(label=_("Awarded on"), required=False, widget=DateInput)
    compensation_paid = forms.CharField(
        label=_("Compensation paid so far"), required=False, max_length=20, help_text=_("In total")
    )
    paid_on = forms.DateField(label=_("Latest payment on"), required=False, widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput)

    AMOUNTS = ("compensation_claimed", "compensation_awarded", "compensation_paid")

    def __init__(self, *args, part: ProceedingVictim, **kwargs) -> None:
        initial = {name: getattr(part, name) for name in ("role", *ProceedingVictim.COMPENSATION_FIELDS)}
        initial["protection_measures"] = [m.code for m in part.protection_measures.all()]
        initial["version"] = part.version
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["protection_measures"].choices = _measure_choices()

    def changes(self) -> dict:
        """Return the service's keyword arguments: every field but the version, amounts None when empty."""
        d = dict(self.cleaned_data)
        d.pop("version")
        for name in self.AMOUNTS:
            d[name] = d[name].strip() or None
        d["compensation_currency"] = d["compensation_currency"].strip().upper()
        return d


class ShareForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Share with"), queryset=Organisation.objects.none())
    shared_on = forms.DateField(label=_("Shared on"), required=False, widget=DateInput)

    def __init__(self, *args, proceeding: Proceeding, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        types = settings.NRM_JUSTICE_ORG_TYPES
        self.fields["organisation"].queryset = (
            Organisation.objects.filter(is_active=True, type__code__in=types)
            .exclude(pk=proceeding.owner_id)
            .exclude(pk__in=proceeding.shares.values("organisation_id"))
            .order_by("name")
        )
