"""Forms of the action-plan pages: choosing a plan and year, filling, reviewing and rating reports.

Forms check the shape of the input; the rules (who may, which state, which period) are the
services'. A service's error names a field, and the view puts it back on that field.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.actionplan.choices import BriefingKind, FundingSource, Progress, Rating, ReportKind, ReportStatus
from nrm.actionplan.models import ActionPlan, Report


def version_field() -> forms.IntegerField:
    """The version the user loaded; a stale one is refused by the service, not silently lost."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def default_year(plan: ActionPlan, today: dt.date | None = None) -> int:
    """Return the plan year a page opens on: this year while the plan runs, else its nearest year."""
    today = today or timezone.localdate()
    return min(max(today.year, plan.period_start), plan.period_end)


MONTHS = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class PlanYearForm(forms.Form):
    """Which plan and which of its years a page shows (GET). Bad input falls back to the defaults."""

    plan = forms.TypedChoiceField(label=_("Action plan"), coerce=int, required=False, empty_value=None)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, plans: list[ActionPlan], plan: ActionPlan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["plan"].choices = [
            (p.pk, _("%(plan)s (closed)") % {"plan": p} if p.is_closed(today) else str(p)) for p in plans
        ]
        self.fields["plan"].initial = plan.pk
        years = {y for p in plans for y in range(p.period_start, p.period_end + 1)}
        self.fields["year"].choices = [(y, str(y)) for y in sorted(years)]
        self.fields["year"].initial = default_year(plan)
        self._plans = {p.pk: p for p in plans}
        self._default = plan

    def chosen(self) -> tuple[ActionPlan, int]:
        """Return the plan and year chosen, or the defaults for anything missing or invalid."""
        plan, year = self._default, None
        if self.is_bound and self.is_valid():
            picked = self.cleaned_data.get("plan")
            plan = self._plans.get(picked, plan) if picked else plan
            year = self.cleaned_data.get("year")
        if year is None or not plan.period_start <= year <= plan.period_end:
            if year is not None:
                self.add_error("year", _("The plan runs from %(start)s to %(end)s.") % _range(plan))
            year = default_year(plan)
        return plan, year


def _range(plan: ActionPlan) -> dict:
    return {"start": plan.period_start, "end": plan.period_end}


class ReportFilterForm(PlanYearForm):
    """Filters of the list of reports."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False, empty_value=None)
    institution = forms.TypedChoiceField(label=_("Institution"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, institutions: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any")), *ReportKind.choices]
        self.fields["month"].choices = [("", _("Any")), *MONTHS]
        self.fields["institution"].choices = [("", _("Any")), *institutions]
        self.fields["status"].choices = [("", _("Any")), *ReportStatus.choices]

    def filters(self) -> dict:
        """Return the list filters chosen (plan and year come from :meth:`chosen`)."""
        if not (self.is_bound and self.is_valid()):
            return {}
        d = self.cleaned_data
        return {
            "kind": d.get("kind") or "",
            "month": d.get("month"),
            "institution": d.get("institution"),
            "status": d.get("status") or "",
        }


class ReportCreateForm(forms.Form):
    """Open a report for an institution and a period; the service decides whether it may be."""

    plan = forms.ModelChoiceField(queryset=ActionPlan.objects.all(), widget=forms.HiddenInput)
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ReportKind.choices, initial=ReportKind.MONTHLY)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2200)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, institutions: list[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Organisation.objects.filter(pk__in=[o.pk for o in institutions])
        self.fields["month"].choices = [("", "—"), *MONTHS]
        if len(institutions) == 1:
            self.fields["institution"].initial = institutions[0].pk


class ReportForm(forms.Form):
    """A report's content: a summary and, per activity, progress, work, indicators, money, problems.

    The fields of an activity are named after its entry (``e<id>-progress``...), so one form holds
    every activity of the report whatever their number.
    """

    version = version_field()
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: the month (or year) in a few lines."),
    )

    ENTRY_FIELDS = ("progress", "done", "money_spent", "currency", "funding_source", "problems")

    def __init__(self, *args, report: Report, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", report.version)
        kwargs["initial"].setdefault("summary", report.summary)
        super().__init__(*args, **kwargs)
        self.report = report
        self.groups = []
        for entry in report.entries.all():
            p = f"e{entry.pk}-"
            values = {v.indicator_id: v.value for v in entry.values.all()}
            self.fields[p + "progress"] = forms.ChoiceField(
                label=_("Status"),
                choices=[("", "—"), *Progress.choices],
                required=False,
                initial=entry.progress,
                help_text=_("Needed to submit."),
            )
            self.fields[p + "done"] = forms.CharField(
                label=_("What was done"),
                required=False,
                initial=entry.done,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            indicator_names = []
            for indicator in entry.activity.indicators.all():
                name = f"{p}i{indicator.pk}"
                self.fields[name] = forms.CharField(
                    label=indicator.text,
                    required=False,
                    max_length=300,
                    initial=values.get(indicator.pk, ""),
                    help_text=_("Target: %(target)s") % {"target": indicator.target} if indicator.target else "",
                )
                indicator_names.append(name)
            self.fields[p + "money_spent"] = forms.DecimalField(
                label=_("Money spent"),
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=entry.money_spent,
            )
            self.fields[p + "currency"] = forms.CharField(
                label=_("Currency"),
                required=False,
                max_length=3,
                initial=entry.currency or report.plan.currency,
                help_text=_("Three letters, such as RSD or EUR."),
            )
            self.fields[p + "funding_source"] = forms.ChoiceField(
                label=_("Funding source"),
                choices=[("", "—"), *FundingSource.choices],
                required=False,
                initial=entry.funding_source,
            )
            self.fields[p + "problems"] = forms.CharField(
                label=_("Problems"),
                required=False,
                initial=entry.problems,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.groups.append({"entry": entry, "prefix": p, "indicators": indicator_names})

    def entry_groups(self) -> list[dict]:
        """Return, per activity, its entry and bound fields, for the template."""
        return [
            {
                "entry": g["entry"],
                "activity": g["entry"].activity,
                "progress": self[g["prefix"] + "progress"],
                "done": self[g["prefix"] + "done"],
                "indicators": [self[n] for n in g["indicators"]],
                "money_spent": self[g["prefix"] + "money_spent"],
                "currency": self[g["prefix"] + "currency"],
                "funding_source": self[g["prefix"] + "funding_source"],
                "problems": self[g["prefix"] + "problems"],
            }
            for g in self.groups
        ]

    def entries(self) -> list[dict]:
        """Return the entries as :func:`~nrm.actionplan.services.report_save_draft` takes them."""
        d = self.cleaned_data
        out = []
        for g in self.groups:
            p = g["prefix"]
            item = {"activity": g["entry"].activity_id}
            for name in self.ENTRY_FIELDS:
                item[name] = d.get(p + name)
            item["indicators"] = {int(n.rsplit("-i", 1)[1]): d.get(n) or "" for n in g["indicators"]}
            out.append(item)
        return out

    def service_field_names(self) -> dict[str, str]:
        """Return the services' names of this form's fields (``entries[1.1].progress``) mapped to the form's."""
        names = {}
        for g in self.groups:
            number = g["entry"].activity.number
            for name in self.ENTRY_FIELDS:
                names[f"entries[{number}].{name}"] = g["prefix"] + name
            if g["indicators"]:
                names[f"entries[{number}].indicators"] = g["indicators"][0]
        return names


class SubmitForm(forms.Form):
    version = version_field()


class ReviewForm(forms.Form):
    """The Coordinator's decision on a submitted report; returning it needs a comment."""

    ACCEPT, RETURN = "accept", "return"

    version = version_field()
    comment = forms.CharField(
        label=_("Comment to the institution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you return the report: say what to correct."),
    )
    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (RETURN, _("Return for correction"))])


class EvaluationForm(forms.Form):
    """A rating of an activity for a year; a new one keeps the old ones as history."""

    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless the activity is completed: what is missing and which measures are needed."),
    )


class BriefingForm(forms.Form):
    """Generate the monthly information to the Minister (for a month) or the next note to the Council."""

    kind = forms.ChoiceField(label=_("Kind"), choices=BriefingKind.choices, widget=forms.RadioSelect)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("For the information to the Minister only."),
    )

    def __init__(self, *args, plan: ActionPlan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "—")] + [(y, str(y)) for y in range(plan.period_start, plan.period_end + 1)]
        self.fields["month"].choices = [("", "—"), *MONTHS]
