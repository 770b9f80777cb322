"""Forms of the prevention pages: list filters, an event with its attendance rows, an awareness
action with its materials, a survey with its results. The services check the rules; the forms
check types and put the services' errors back next to the field (or row) they name."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation, User, region_label
from nrm.actionplan.models import Task
from nrm.prevention import selectors
from nrm.prevention.choices import AwarenessKind, EventKind, KapDomain, KapMeasure, MaterialKind, Sex
from nrm.programmes.models import Programme

ROW_ERROR = re.compile(r"^(?P<prefix>[a-z_]+)\[(?P<index>\d+)\]\.(?P<field>[a-z_]+)$")


class DateInput(forms.DateInput):
    """A native date picker; the value is always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _any(choices) -> list[tuple[str, str]]:
    return [("", _("Any")), *choices]


class FilterForm(forms.Form):
    """Filters of a list; an invalid value is ignored, not an error page."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2999)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    organiser = forms.ChoiceField(label=_("Organiser"), required=False)

    def __init__(self, *args, user: User, kinds, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _any(kinds)
        self.fields["region"].choices = _any((r, region_label(r)) for r in selectors.regions(user))
        self.fields["organiser"].choices = _any((str(o.pk), o.name) for o in selectors.organisers(user))

    def filters(self) -> dict:
        """Return the valid filters, for the selectors."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "") and k not in self.errors
        }


def _organiser_field(user: User) -> forms.ModelChoiceField:
    orgs = selectors.editable_organisations(user)
    field = forms.ModelChoiceField(label=_("Organiser"), queryset=orgs, empty_label=None)
    if orgs.count() == 1:
        field.initial = orgs.first().pk
    return field


def _programme_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.order_by("title"), required=False, empty_label=_("None")
    )


def _task_field() -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=_("Action Plan task"),
        queryset=Task.objects.select_related("activity").order_by("activity__plan", "activity__number", "order"),
        required=False,
        empty_label=_("None"),
    )
    field.label_from_instance = lambda t: f"{t.number} {t.title[:90]}"
    return field


class EventForm(forms.Form):
    organiser = forms.ModelChoiceField(label=_("Organiser"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    topic = forms.CharField(label=_("Topic"), max_length=300, required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput, required=False, help_text=_("Empty: one day."))
    region = forms.CharField(label=_("Region"), max_length=80, required=False, help_text=_("Empty: the organiser's."))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"), queryset=Organisation.objects.filter(is_active=True), required=False
    )
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none(), required=False)
    task = forms.ModelChoiceField(label=_("Action Plan task"), queryset=Task.objects.none(), required=False)
    forms_returned = forms.IntegerField(label=_("Evaluation forms returned"), required=False, min_value=0)
    average_score = forms.DecimalField(label=_("Average score (1-5)"), required=False, max_digits=4, decimal_places=2)
    share_useful = forms.DecimalField(label=_("Found it useful (%)"), required=False, max_digits=6, decimal_places=2)
    evaluation_summary = forms.CharField(
        label=_("Evaluation summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not name participants."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"] = _organiser_field(user)
        self.fields["programme"] = _programme_field()
        self.fields["task"] = _task_field()


class AttendanceForm(forms.Form):
    """One group of participants: profession, organisation, sex and how many; an empty row is skipped."""

    profession = forms.ChoiceField(label=_("Profession"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(is_active=True), required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN, required=False)
    count = forms.IntegerField(label=_("Number of participants"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = [("", "—"), *((p.code, p.name) for p in selectors.professions())]

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {})
        return not d.get("profession") and d.get("count") in (None, "")

    def row(self) -> dict:
        d = self.cleaned_data
        return {
            "profession": d["profession"],
            "organisation": d["organisation"],
            "sex": d["sex"] or Sex.UNKNOWN,
            "count": d["count"],
        }


class AwarenessForm(forms.Form):
    organiser = forms.ModelChoiceField(label=_("Organiser"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=AwarenessKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput, required=False)
    region = forms.CharField(label=_("Region"), max_length=80, required=False, help_text=_("Empty: the organiser's."))
    location = forms.CharField(label=_("Where"), max_length=200, required=False)
    audience = forms.CharField(label=_("Audience"), max_length=200, required=False)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none(), required=False)
    task = forms.ModelChoiceField(label=_("Action Plan task"), queryset=Task.objects.none(), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"] = _organiser_field(user)
        self.fields["programme"] = _programme_field()
        self.fields["task"] = _task_field()


class MaterialForm(forms.Form):
    """One material; an empty row is skipped."""

    kind = forms.ChoiceField(label=_("Kind of material"), choices=[("", "—"), *MaterialKind.choices], required=False)
    language = forms.CharField(label=_("Language"), max_length=3, required=False, help_text=_("e.g. sr, en, ar"))
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    copies_produced = forms.IntegerField(label=_("Copies produced"), required=False)
    copies_distributed = forms.IntegerField(label=_("Copies distributed"), required=False)
    distributed_where = forms.CharField(label=_("Distributed where"), max_length=300, required=False)

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {})
        return not any(d.get(k) not in (None, "") for k in ("kind", "title", "copies_distributed"))

    def row(self) -> dict:
        return dict(self.cleaned_data)


class SurveyForm(forms.Form):
    organiser = forms.ModelChoiceField(label=_("Organiser"), queryset=Organisation.objects.none())
    title = forms.CharField(label=_("Title"), max_length=300)
    conducted_from = forms.DateField(label=_("Conducted from"), widget=DateInput)
    conducted_to = forms.DateField(label=_("Conducted to"), widget=DateInput)
    population = forms.CharField(label=_("Population surveyed"), max_length=300)
    region = forms.CharField(label=_("Region"), max_length=80, required=False)
    sample_size = forms.IntegerField(label=_("Sample size"))
    method = forms.CharField(label=_("Method"), max_length=200, required=False)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none(), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"] = _organiser_field(user)
        self.fields["programme"] = _programme_field()


class ResultForm(forms.Form):
    """One result of a survey; an empty row is skipped."""

    domain = forms.ChoiceField(label=_("Domain"), choices=[("", "—"), *KapDomain.choices], required=False)
    statement = forms.CharField(label=_("Statement"), max_length=400, required=False)
    measure = forms.ChoiceField(label=_("Measure"), choices=KapMeasure.choices, required=False)
    baseline = forms.DecimalField(label=_("Baseline"), required=False, max_digits=8, decimal_places=2)
    result = forms.DecimalField(label=_("Result"), required=False, max_digits=8, decimal_places=2)
    respondents = forms.IntegerField(label=_("Respondents"), required=False)

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {})
        return not d.get("statement") and d.get("result") is None

    def row(self) -> dict:
        return dict(self.cleaned_data)


AttendanceFormSet = forms.formset_factory(AttendanceForm, extra=3)
MaterialFormSet = forms.formset_factory(MaterialForm, extra=2)
ResultFormSet = forms.formset_factory(ResultForm, extra=3)


def rows_of(formset) -> tuple[list[dict], list[int]]:
    """Return the filled rows of a valid formset and, for each, the index of its form."""
    rows, where = [], []
    for i, form in enumerate(formset.forms):
        if form.is_blank():
            continue
        rows.append(form.row())
        where.append(i)
    return rows, where


def add_row_errors(form: forms.Form, formset, where: list[int], exc: ValidationError, prefix: str) -> None:
    """Put a service error on the form's field, or on the formset row (``prefix[i].field``) it names."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        match = ROW_ERROR.match(field or "")
        if match and match["prefix"] == prefix and int(match["index"]) < len(where):
            row = formset.forms[where[int(match["index"])]]
            target = match["field"] if match["field"] in row.fields else None
            for message in messages:
                row.add_error(target, message)
            # Also on the main form, so that the summary at the top lists it.
            for message in messages:
                form.add_error(
                    None, _("Row %(n)s: %(message)s") % {"n": where[int(match["index"])] + 1, "message": message}
                )
            continue
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        for message in messages:
            form.add_error(target, message)
