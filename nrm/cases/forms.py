"""Forms of the victim's journey.

Forms check the shape of the input (types, lengths, choices offered to this user); the rules
belong to :mod:`nrm.cases.services`, whose errors views add back to the form.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrm.accounts import access
from nrm.accounts.models import Organisation, User, region_label
from nrm.cases.choices import (
    FORM_LIST_LABELS,
    GROUP_LABELS,
    AgeBand,
    AsylumStatus,
    CaseStatus,
    ClosureReason,
    ConsentPurpose,
    Decision,
    FlagReason,
    MigrationStatus,
    RecruiterRelationship,
    ReferralSource,
    ServiceStatus,
    Sex,
)
from nrm.cases.models import Case, Episode, ExploitationForm, IndicatorList, ServiceDelivery
from nrm.cases.screening import list_forms
from nrm.core.i18n import localized
from nrm.referrals.models import Referral, ServiceType
from nrm.referrals.selectors import case_referrals

STRENGTH_LABELS = {"strong": _("strong"), "medium": _("medium"), "weak": _("weak")}
CHANNELS = [
    ("", _("Not stated")),
    ("outreach", _("Outreach")),
    ("office", _("Office")),
    ("helpline", _("Helpline")),
    ("border", _("Border")),
    ("inspection", _("Labour inspection")),
    ("asylum", _("Asylum or reception centre")),
    ("other", _("Other")),
]
COUNTRY_HELP = _("Choose a country from the list.")


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def region_choices() -> list[tuple[str, str]]:
    """Return the regions of the organisations, as choices with a blank first."""
    regions = (
        Organisation.objects.filter(is_active=True)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )
    return [("", _("Not stated")), *((r, region_label(r)) for r in regions)]


class CountryField(forms.ChoiceField):
    """A country chosen by its name in the user's language, stored as its ISO 3166 alpha-2 code.

    A typed code in small letters ("rs", from the API or an old bookmark) is read as the code; a
    name or anything else is refused, naming the field: "Serbia" never becomes "SE".
    """

    default_error_messages = {"invalid_choice": COUNTRY_HELP}

    def to_python(self, value):
        return super().to_python(value).strip().upper()


def _country_choices() -> list[tuple[str, str]]:
    from django_countries import countries

    # Built per form, so the names are those of the language of the request, sorted in it.
    return [("", _("Not known")), *((code, name) for code, name in countries)]


def country_field(label) -> CountryField:
    return CountryField(
        label=label,
        required=False,
        choices=_country_choices,
        help_text=_("Type the first letters of the country's name to find it."),
        widget=forms.Select(attrs={"data-search": "1", "autocomplete": "country"}),
    )


def version_field() -> forms.IntegerField:
    """The version the user loaded; a stale one is refused by the service, not silently lost."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _today() -> dt.date:
    return timezone.localdate()


# --- Screening -------------------------------------------------------------------------------


class ScreeningForm(forms.Form):
    """A screening: who screened, a few non-identifying facts, and the indicators observed."""

    organisation = forms.ModelChoiceField(
        label=_("Screening organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    screened_on = forms.DateField(label=_("Date of screening"), required=False, widget=DateInput)
    is_child = forms.BooleanField(label=_("The person is a child (under 18)"), required=False)
    anonymous = forms.BooleanField(
        label=_("Anonymous screening"),
        required=False,
        help_text=_("For helpline calls and outreach: no identity is recorded."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN)
    citizenship = country_field(_("Citizenship"))
    region = forms.ChoiceField(label=_("Region"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNELS, required=False)
    suspected_forms = forms.MultipleChoiceField(
        label=_("Forms of exploitation suspected"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The indicators of each list ticked here are shown and evaluated; none ticked: every list."),
    )
    answers = forms.MultipleChoiceField(
        label=_("Indicators observed"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user: User, indicator_list: IndicatorList, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        known = list_forms(indicator_list.definition)
        self.fields["suspected_forms"].choices = [(f, FORM_LIST_LABELS.get(f, f)) for f in known]
        if len(known) < 2:
            del self.fields["suspected_forms"]
        orgs = access.screening_orgs(user)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=[o.pk for o in orgs])
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0].pk
        self.fields["region"].choices = region_choices()
        self.fields["screened_on"].initial = _today()
        self.indicator_list = indicator_list
        self.fields["answers"].choices = [
            (i["code"], localized(i, "text")) for i in indicator_list.definition["indicators"]
        ]

    def indicator_groups(self) -> list[dict]:
        """Return the list's dimensions, each with its indicators and whether each is ticked."""
        definition = self.indicator_list.definition
        known = list_forms(definition)
        ticked = set(self["answers"].value() or [])
        order = {ind["code"]: n for n, ind in enumerate(definition["indicators"])}
        groups = []
        for dim in definition["dimensions"]:
            items = [
                {
                    "code": ind["code"],
                    "index": order[ind["code"]],
                    "text": localized(ind, "text"),
                    "strength": ind["strength"],
                    "strength_label": STRENGTH_LABELS.get(ind["strength"], ind["strength"]),
                    "applies_to": " ".join(ind.get("applies_to", ["adult", "child"])),
                    "adult_only": ind.get("applies_to", ["adult", "child"]) == ["adult"],
                    "child_only": ind.get("applies_to", ["adult", "child"]) == ["child"],
                    "forms": " ".join(ind.get("forms", known)),
                    # Said where an indicator belongs to some of the lists only (sexual exploitation only).
                    "form_only": (
                        ", ".join(str(FORM_LIST_LABELS.get(f, f)) for f in ind.get("forms", known))
                        if len(known) > 1 and set(ind.get("forms", known)) != set(known)
                        else ""
                    ),
                    "checked": ind["code"] in ticked,
                }
                for ind in definition["indicators"]
                if ind["dimension"] == dim["code"]
            ]
            groups.append(
                {
                    "code": dim["code"],
                    "title": localized(dim, "title"),
                    "group": GROUP_LABELS.get(dim["group"], dim["group"]),
                    "indicators": items,
                }
            )
        return groups

    def dimension_rule(self) -> str:
        """Return the rule that makes a dimension positive, in words."""
        from nrm.cases.screening import rule_text

        return rule_text(self.indicator_list.definition["dimension_rule"]["any_of"])

    def rule_summary(self) -> dict[str, list[str]]:
        """Return, for adults and children, the groups of dimensions that must be positive."""
        rule = self.indicator_list.definition["victim_rule"]
        return {
            audience: [str(GROUP_LABELS.get(g, g)) for g in rule.get(audience, {}).get("all_of_groups", [])]
            for audience in ("adult", "child")
        }


class EvaluateForm(forms.Form):
    """What the live result needs: the indicators ticked, the forms suspected, whether a child."""

    is_child = forms.BooleanField(required=False)
    answers = forms.MultipleChoiceField(required=False)
    suspected_forms = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, indicator_list: IndicatorList, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answers"].choices = [(i["code"], i["code"]) for i in indicator_list.definition["indicators"]]
        self.fields["suspected_forms"].choices = [(f, f) for f in list_forms(indicator_list.definition)]


# --- Case ------------------------------------------------------------------------------------


class ExploitationFormsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            queryset=ExploitationForm.objects.all(),
            to_field_name="code",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=_("Forms of exploitation"),
            **kwargs,
        )


class CaseOpenForm(forms.Form):
    """Opening a case: the person's identity (encrypted), the safe facts, the exploitation."""

    IDENTITY = ("given_name", "family_name", "date_of_birth", "document_number", "contact", "address")

    organisation = forms.ModelChoiceField(
        label=_("Organisation opening the case"), queryset=Organisation.objects.none(), empty_label=None
    )
    screening = forms.IntegerField(required=False, widget=forms.HiddenInput)
    given_name = forms.CharField(label=_("Given name"), required=False, max_length=120)
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=120)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)
    document_number = forms.CharField(label=_("Document number"), required=False, max_length=60)
    contact = forms.CharField(label=_("Contact (phone, e-mail)"), required=False, max_length=200)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900)
    age_band = forms.ChoiceField(
        label=_("Age band"),
        choices=[("", _("From the birth year")), *AgeBand.choices],
        required=False,
        help_text=_("Only when the birth year is not known."),
    )
    citizenship = country_field(_("Citizenship"))
    migration_status = forms.ChoiceField(
        label=_("Migration or asylum status"), choices=MigrationStatus.choices, initial=MigrationStatus.UNKNOWN
    )
    is_child = forms.BooleanField(label=_("The person is a child (under 18)"), required=False)
    referral_source = forms.ChoiceField(
        label=_("Referred by"),
        choices=ReferralSource.choices,
        initial=ReferralSource.ORGANISATION,
        required=False,
        help_text=_("An organisation, or not one: the person, family or a citizen, a foreign authority."),
    )
    guardian = forms.CharField(
        label=_("Appointed guardian (name and contact)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    best_interests_note = forms.CharField(
        label=_("Best interests of the child"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    country_of_exploitation = country_field(_("Country of exploitation"))
    place_of_exploitation = forms.CharField(label=_("Place of exploitation"), required=False, max_length=120)
    # Named like the service's argument; declared last because it shadows the ``forms`` module here.
    forms = ExploitationFormsField()

    field_order = [
        "organisation",
        "screening",
        "given_name",
        "family_name",
        "date_of_birth",
        "document_number",
        "contact",
        "address",
        "sex",
        "birth_year",
        "age_band",
        "citizenship",
        "migration_status",
        "referral_source",
        "is_child",
        "guardian",
        "best_interests_note",
        "forms",
        "region",
        "country_of_exploitation",
        "place_of_exploitation",
    ]

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        orgs = access.screening_orgs(user)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=[o.pk for o in orgs])
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0].pk
        self.fields["birth_year"].max_value = _today().year
        self.fields["birth_year"].widget.attrs.update({"max": _today().year, "min": 1900})
        self.fields["region"].choices = region_choices()

    @staticmethod
    def initial_from_screening(screening) -> dict:
        """Return the case fields a screening already answered."""
        return {
            "organisation": screening.organisation_id,
            "screening": screening.pk,
            "sex": screening.sex,
            "age_band": "" if screening.age_band == AgeBand.UNKNOWN else screening.age_band,
            "citizenship": screening.citizenship,
            "region": screening.region,
            "is_child": screening.is_child,
        }

    def service_kwargs(self) -> dict:
        """Return the keyword arguments of :func:`nrm.cases.services.case_open`, but the screening."""
        d = self.cleaned_data
        identity = {name: d[name] or "" for name in self.IDENTITY}
        if d["date_of_birth"]:
            identity["date_of_birth"] = d["date_of_birth"].isoformat()
        return {
            "organisation": d["organisation"],
            "identity": identity,
            "sex": d["sex"],
            "birth_year": d["birth_year"],
            # The service derives the band from the birth year; a band typed in counts only without one.
            "age_band": (d["age_band"] or None) if d["birth_year"] is None and not d["date_of_birth"] else None,
            "citizenship": d["citizenship"],
            "migration_status": d["migration_status"],
            "referral_source": d["referral_source"] or ReferralSource.ORGANISATION,
            "is_child": d["is_child"],
            "guardian": d["guardian"],
            "best_interests_note": d["best_interests_note"],
            "forms": [f.code for f in d["forms"]],
            "region": d["region"],
            "country_of_exploitation": d["country_of_exploitation"],
            "place_of_exploitation": d["place_of_exploitation"],
        }


class CaseEditForm(forms.Form):
    """Editing a case's fields; ``version`` is the one the user loaded."""

    version = version_field()
    is_child = forms.BooleanField(label=_("The person is a child (under 18)"), required=False)
    best_interests_note = CaseOpenForm.base_fields["best_interests_note"]
    region = forms.ChoiceField(label=_("Region"), required=False)
    country_of_exploitation = country_field(_("Country of exploitation"))
    place_of_exploitation = forms.CharField(label=_("Place of exploitation"), required=False, max_length=120)
    exploitation_start = forms.DateField(label=_("Exploitation started"), required=False, widget=DateInput)
    exploitation_end = forms.DateField(label=_("Exploitation ended"), required=False, widget=DateInput)
    plan_goals = forms.CharField(
        label=_("Goals of the assistance plan"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Not required: a form posted without it (an older page, a script) leaves the status as it was.
    asylum_status = forms.ChoiceField(label=_("Asylum procedure"), choices=AsylumStatus.choices, required=False)
    asylum_status_on = forms.DateField(
        label=_("Date of the asylum procedure's latest step"), required=False, widget=DateInput
    )
    forms = ExploitationFormsField()

    field_order = [
        "version",
        "is_child",
        "best_interests_note",
        "forms",
        "region",
        "country_of_exploitation",
        "place_of_exploitation",
        "exploitation_start",
        "exploitation_end",
        "asylum_status",
        "asylum_status_on",
        "plan_goals",
    ]

    def __init__(self, *args, show_identity: bool = True, can_manage: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices()
        if not show_identity or not can_manage:
            # Fields the user cannot see or change are not offered, so a save never blanks them.
            del self.fields["best_interests_note"]
        if not can_manage:
            # The asylum procedure is the case workers' (case_update's MANAGE fields), like the plan.
            del self.fields["plan_goals"]
            del self.fields["asylum_status"]
            del self.fields["asylum_status_on"]

    @staticmethod
    def initial_from_case(case: Case) -> dict:
        return {
            "version": case.version,
            "is_child": case.is_child,
            "best_interests_note": case.best_interests_note,
            "forms": [f.code for f in case.forms.all()],
            "region": case.region,
            "country_of_exploitation": case.country_of_exploitation,
            "place_of_exploitation": case.place_of_exploitation,
            "exploitation_start": case.exploitation_start,
            "exploitation_end": case.exploitation_end,
            "plan_goals": case.plan_goals,
            "asylum_status": case.asylum_status,
            "asylum_status_on": case.asylum_status_on,
        }

    def changes(self) -> tuple[dict, list[str] | None]:
        """Return the changed fields for :func:`case_update` and the new forms (None if unchanged)."""
        d = self.cleaned_data
        changed = {name: d[name] for name in self.changed_data if name not in ("version", "forms")}
        if not changed.get("asylum_status", True):
            del changed["asylum_status"]
        forms_ = [f.code for f in d["forms"]] if "forms" in self.changed_data else None
        return changed, forms_


class EpisodeForm(forms.Form):
    """An episode of exploitation to add, or to change (``version`` is the one the user loaded)."""

    version = version_field()
    form = forms.ModelChoiceField(
        label=_("Form of exploitation"), queryset=ExploitationForm.objects.all(), to_field_name="code"
    )
    country = country_field(_("Country of exploitation"))
    place = forms.CharField(label=_("Place of exploitation"), required=False, max_length=Episode.PLACE_MAX_LENGTH)
    started_on = forms.DateField(label=_("Exploitation started"), required=False, widget=DateInput)
    ended_on = forms.DateField(label=_("Exploitation ended"), required=False, widget=DateInput)
    recruiter_relationship = forms.ChoiceField(
        label=_("Who recruited the person"),
        choices=RecruiterRelationship.choices,
        initial=RecruiterRelationship.UNKNOWN,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )

    def __init__(self, *args, adding: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if adding:
            del self.fields["version"]

    @staticmethod
    def initial_from(episode: Episode) -> dict:
        return {
            "version": episode.version,
            "form": episode.form.code,
            "country": episode.country,
            "place": episode.place,
            "started_on": episode.started_on,
            "ended_on": episode.ended_on,
            "recruiter_relationship": episode.recruiter_relationship,
            "notes": episode.notes,
        }

    def values(self) -> dict:
        """Return the episode's values for :func:`episode_add`."""
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}

    def changes(self) -> dict:
        """Return the changed fields for :func:`episode_update`."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


class CaseCloseForm(forms.Form):
    version = version_field()
    reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=[("", _("Choose a reason")), *ClosureReason.choices]
    )
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class CaseFilterForm(forms.Form):
    """Filters of the case list; an invalid value is ignored rather than refused."""

    q = forms.CharField(label=_("Reference"), required=False, max_length=20)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *CaseStatus.choices])
    form = forms.ChoiceField(label=_("Form of exploitation"), required=False)
    decision = forms.ChoiceField(label=_("Identification"), required=False, choices=[("", _("Any")), *Decision.choices])
    is_child = forms.ChoiceField(
        label=_("Child"), required=False, choices=[("", _("Any")), ("1", _("Children")), ("0", _("Adults"))]
    )
    year = forms.IntegerField(label=_("Year opened"), required=False, min_value=1990, max_value=2100)
    mine = forms.BooleanField(label=_("Only cases I am responsible for"), required=False)
    # Search by name: exact, through the keyed search tokens (the selector's ``name_search``).
    name = forms.CharField(
        label=_("Given and family name"),
        required=False,
        max_length=240,
        help_text=_("Exact name, with the date of birth or the birth year."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.CharField(
        label=_("Date of birth"), required=False, max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )
    birth_year = forms.CharField(
        label=_("Birth year"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [
            ("", _("Any")),
            *ExploitationForm.objects.values_list("code", "name"),
        ]

    def filters(self) -> dict[str, str]:
        """Return the selector's keyword filters, valid values only."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out = {}
        for name in ("q", "status", "form", "decision", "is_child", "year"):
            value = data.get(name) if name not in self.errors else None
            out[name] = "" if value is None else str(value)
        out["mine"] = "1" if data.get("mine") else ""
        return out

    def search(self):
        """Return the search by name asked for (None for none); bad input is put on the field it names.

        Unlike the other filters, a search that cannot be made is refused rather than ignored: a
        list of every case would look like an answer.
        """
        from django.core.exceptions import ValidationError

        from nrm.cases.selectors import name_search

        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        try:
            return name_search(data.get("name", ""), data.get("birth_date", ""), data.get("birth_year", ""))
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                self.add_error(field_name, messages)
            raise


class AssignForm(forms.Form):
    """The case worker of the owning organisation made responsible for the case."""

    responsible = forms.ModelChoiceField(label=_("Responsible case worker"), queryset=User.objects.none())

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = access.case_workers(case.owner_id).order_by("username")
        self.fields["responsible"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["responsible"].initial = case.responsible_id


class FlagForm(forms.Form):
    """A flag to raise on the case."""

    reason = forms.ChoiceField(label=_("Flag"), choices=FlagReason.choices)
    # No max_length here: the service checks the note, and its message names the field.
    note = forms.CharField(
        label=_("Short note (optional)"),
        required=False,
        help_text=_("What the warning is about, in a line: whoever sees the case reads it."),
    )


# --- Consent, identification, services -------------------------------------------------------


def _active_orgs():
    return Organisation.objects.filter(is_active=True).order_by("name")


class ConsentForm(forms.Form):
    """The consents the person gave at one meeting: every purpose ticked, sharing per organisation."""

    purposes = forms.MultipleChoiceField(
        label=_("Purposes the person consents to"),
        choices=ConsentPurpose.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations the person agrees to share with"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For sharing: each organisation named gets its own consent, withdrawn on its own."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    given_on = forms.DateField(label=_("Consent given on"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = _active_orgs()
        self.fields["given_on"].initial = _today()


class IdentifyForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=DateInput)
    grounds = forms.CharField(
        label=_("Grounds of the decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = _today()


class ServiceForm(forms.Form):
    """A service added to the assistance plan."""

    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.all(), empty_label=_("Choose a service")
    )
    organisation = forms.ModelChoiceField(
        label=_("Delivered by"), queryset=Organisation.objects.none(), empty_label=None
    )
    referral = forms.ModelChoiceField(
        label=_("On referral"), queryset=Referral.objects.none(), required=False, empty_label=_("None")
    )
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices, initial=ServiceStatus.PLANNED)
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput)
    ended_on = forms.DateField(label=_("Ended on"), required=False, widget=DateInput)
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, case: Case, is_owner: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mine = access.owner_organisations(user, access.Action.RECORD_SERVICE)
        # The owner plans services of any organisation; a receiver records its own.
        orgs = _active_orgs() if is_owner else Organisation.objects.filter(pk__in=mine)
        self.fields["organisation"].queryset = orgs
        if not is_owner and len(mine) == 1:
            self.fields["organisation"].initial = mine[0]
        elif is_owner:
            self.fields["organisation"].initial = case.owner_id
        # The referrals the user may see; which of them the service may be on, the service decides.
        self.fields["referral"].queryset = case_referrals(user, case)
        self.fields["referral"].label_from_instance = lambda r: (
            f"{r.to_org.name}: {r.service_type.name if r.service_type else r.get_kind_display()} ({r.sent_on})"
        )

    def prefill_from_referral(self, raw: str) -> None:
        """Start from a referral the user may see: it, its service and its receiver (if the user's)."""
        referral = self.fields["referral"].queryset.filter(pk=int(raw)).first() if raw.isdigit() else None
        if referral is None:
            return
        self.initial["referral"] = referral.pk
        if referral.service_type_id:
            self.initial["service_type"] = referral.service_type_id
        if self.fields["organisation"].queryset.filter(pk=referral.to_org_id).exists():
            self.initial["organisation"] = referral.to_org_id


class ServiceUpdateForm(forms.Form):
    version = version_field()
    status = ServiceForm.base_fields["status"]
    started_on = ServiceForm.base_fields["started_on"]
    ended_on = ServiceForm.base_fields["ended_on"]
    outcome = ServiceForm.base_fields["outcome"]

    @staticmethod
    def initial_from(delivery: ServiceDelivery) -> dict:
        return {
            "version": delivery.version,
            "status": delivery.status,
            "started_on": delivery.started_on,
            "ended_on": delivery.ended_on,
            "outcome": delivery.outcome,
        }

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}
