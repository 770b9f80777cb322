"""The form of a case's protection measures; the service checks the answers together and names the field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.cases.forms import DateInput
from nrm.protection.choices import (
    NonPunishment,
    PermitDecision,
    PermitKind,
    ReflectionDecision,
    ReturnKind,
    YesNoUnknown,
)
from nrm.protection.models import ProtectionMeasures
from nrm.protection.services import FIELDS

NOT_ASKED = [("", _("— not requested —"))]
NOT_RECORDED = [("", _("— not recorded —"))]

# The form's sections, in order: (legend, fields).
SECTIONS = [
    (_("Recovery and reflection period"), FIELDS[0:5]),
    (_("Residence permit"), FIELDS[5:9]),
    (_("Return"), FIELDS[9:13]),
    (_("Non-punishment provision"), FIELDS[13:16]),
]


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput)


class ProtectionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reflection_requested_on = _date(_("Requested on"))
    reflection_decision = forms.ChoiceField(
        label=_("Decision"), required=False, choices=NOT_ASKED + list(ReflectionDecision.choices)
    )
    reflection_decided_on = _date(_("Decided on"))
    reflection_days = forms.IntegerField(
        label=_("Days granted"), required=False, min_value=1, help_text=_("Or the end date: either gives the other")
    )
    reflection_ends_on = _date(_("Ends on"))
    permit_applied_on = _date(_("Applied on"))
    permit_decision = forms.ChoiceField(
        label=_("Decision"), required=False, choices=NOT_ASKED + list(PermitDecision.choices)
    )
    permit_kind = forms.ChoiceField(label=_("Kind of permit"), required=False, choices=[("", "—"), *PermitKind.choices])
    permit_decided_on = _date(_("Decided on"))
    return_kind = forms.ChoiceField(label=_("Return"), choices=ReturnKind.choices)
    return_on = _date(_("Date of return"))
    return_country = forms.CharField(
        label=_("Returned to (country)"), required=False, max_length=2, help_text=_("ISO 3166 alpha-2, such as RS")
    )
    return_risk_assessed = forms.ChoiceField(label=_("Risk assessment done"), choices=YesNoUnknown.choices)
    non_punishment = forms.ChoiceField(
        label=_("Non-punishment provision"), required=False, choices=NOT_RECORDED + list(NonPunishment.choices)
    )
    non_punishment_on = _date(_("Date"))
    non_punishment_authority = forms.CharField(label=_("Authority"), required=False, max_length=200)

    @staticmethod
    def initial_from(record: ProtectionMeasures | None) -> dict:
        """Return the form's initial values: the record's, or the empty answers at version 0."""
        if record is None:
            return {"version": 0, "return_kind": ReturnKind.NONE, "return_risk_assessed": YesNoUnknown.UNKNOWN}
        return {"version": record.version, **{name: getattr(record, name) for name in FIELDS}}

    def sections(self) -> list[tuple[str, list]]:
        return [(legend, [self[name] for name in names]) for legend, names in SECTIONS]

    def values(self) -> dict:
        """Return the cleaned answers as the service takes them (every field; empty ones cleared)."""
        return {name: self.cleaned_data.get(name) for name in FIELDS}
