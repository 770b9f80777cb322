"""Forms of referrals and the service directory; the rules live in :mod:`nrm.referrals.services`."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nrm.accounts import access
from nrm.accounts.models import Organisation, User
from nrm.cases.choices import ConsentPurpose
from nrm.cases.forms import region_choices
from nrm.cases.models import Case
from nrm.referrals.choices import GroundReview, LegalGround, ReferralKind, ReferralStatus, Urgency
from nrm.referrals.models import ServiceType
from nrm.referrals.services import default_kind


class ConsentAwareSelect(forms.Select):
    """A select of organisations that marks those the person agreed to share with."""

    consented: frozenset[int] = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        if pk in self.consented:
            option["attrs"]["data-consent"] = "1"
        instance = getattr(value, "instance", None)
        if instance is not None:
            # The page preselects the kind a referral to this organisation usually is.
            option["attrs"]["data-kind"] = default_kind(instance)
        return option


class ReferForm(forms.Form):
    """Referring a case: to whom, for what, and on which basis if the person has not consented."""

    from_org = forms.ModelChoiceField(
        label=_("Referring organisation"), queryset=Organisation.objects.none(), empty_label=None, required=False
    )
    to_org = forms.ModelChoiceField(
        label=_("Refer to"),
        queryset=Organisation.objects.none(),
        widget=ConsentAwareSelect,
        empty_label=_("Choose an organisation"),
    )
    kind = forms.ChoiceField(
        label=_("Kind of referral"),
        choices=[("", _("As usual for the receiver")), *ReferralKind.choices],
        required=False,
        initial="",
        help_text=_("Identification for the Centre, the asylum procedure for the asylum office, otherwise a service."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Sets when the answer is due."),
    )
    service_type = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceType.objects.all(),
        required=False,
        empty_label=_("Choose a service"),
        help_text=_("Required for a service referral."),
    )
    message = forms.CharField(
        label=_("Message to the receiving organisation"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    shares_identity = forms.BooleanField(
        label=_("Share the person's identity with the receiving organisation"),
        required=False,
        initial=True,
        help_text=_("Untick to send the case without names, date of birth, documents and contacts."),
    )
    shares_documents = forms.BooleanField(
        label=_("Let the receiving organisation download the case's documents"),
        required=False,
        initial=False,
        help_text=_("Statements, medical and legal papers uploaded to the case. Only together with the identity."),
    )
    legal_ground = forms.ChoiceField(
        label=_("Legal ground without consent"),
        required=False,
        choices=[("", _("None: the person consented")), *[c for c in LegalGround.choices if c[0]]],
        widget=forms.RadioSelect,
    )
    legal_ground_note = forms.CharField(
        label=_("Why the referral cannot wait for consent"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user: User, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mine = access.acting_organisations(user, access.Action.REFER)
        self.fields["from_org"].queryset = Organisation.objects.filter(pk__in=mine)
        self.several_from = len(mine) > 1
        if not self.several_from:
            self.fields["from_org"].widget = forms.HiddenInput()
        self.fields["to_org"].queryset = (
            Organisation.objects.filter(is_active=True)
            .exclude(pk__in=access.member_organisations(user))
            .select_related("type")
        )
        self.consented_orgs = [
            c.organisation
            for c in case.consents.filter(
                purpose=ConsentPurpose.SHARE, withdrawn_on__isnull=True, organisation__isnull=False
            ).select_related("organisation")
        ]
        self.fields["to_org"].widget.consented = frozenset(o.pk for o in self.consented_orgs)
        self.fields["legal_ground"].initial = ""
        self.fields["legal_ground_note"].help_text = _(
            "At least %(minimum)d characters: what danger or duty made the referral unable to wait. "
            "The case workers of the organisation that owns the case review it."
        ) % {"minimum": settings.NRM_LEGAL_GROUND_MIN_LENGTH}


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=ReferralStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason for declining"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class GroundReviewForm(forms.Form):
    """The owner's review of a referral sent on a legal ground (referrals.services.legal_ground_review)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    ground_review = forms.ChoiceField(label=_("Finding"), choices=GroundReview.choices, widget=forms.RadioSelect)
    ground_review_note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the ground was not justified: what follows from it."),
    )


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *ReferralStatus.choices])

    def status_value(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""


class DirectoryFilterForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=10,
        help_text=_("Language code, such as sr, en, hu."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Any")), *((s.code, str(s)) for s in ServiceType.objects.all())]
        self.fields["region"].choices = [("", _("Any")), *region_choices()[1:]]

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: (data.get(name) or "").strip() for name in ("service", "region", "language")}
