"""Forms of the statistics pages: the period, a data set, and the dimensions of an ad-hoc table."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.reporting import engine
from nrm.reporting.engine import DIMENSIONS, POPULATIONS
from nrm.reporting.tables import Report

MAX_DIMS = 3
MAX_YEARS = 100


def dataset_choices(datasets: list[dict]) -> list[tuple[str, str]]:
    """Return the data-set choices: the national records first, then the imported data sets."""
    return [(engine.NATIONAL, _("National records")), *((d["name"], f"{d['name']} ({d['source']})") for d in datasets)]


class _PeriodForm(forms.Form):
    """A year or a range of years (either end alone is one year), and the data set counted."""

    year_from = forms.IntegerField(label=_("From year"), required=False, min_value=1900, max_value=2100)
    year_to = forms.IntegerField(label=_("To year"), required=False, min_value=1900, max_value=2100)
    dataset = forms.ChoiceField(label=_("Data set"), required=False)

    def __init__(self, *args, datasets: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = dataset_choices(datasets)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("year_from"), data.get("year_to")
        if start is not None and end is not None:
            if end < start:
                self.add_error("year_to", _("The end year cannot come before the start year."))
            elif end - start >= MAX_YEARS:
                self.add_error("year_to", _("Choose at most %(n)s years.") % {"n": MAX_YEARS})
        return data

    def source(self) -> str:
        return self.cleaned_data.get("dataset") or engine.NATIONAL

    def filters(self) -> dict[str, str]:
        """Return the engine's filters: the years, and the codes typed into the dimension fields."""
        data = self.cleaned_data
        start, end = data.get("year_from"), data.get("year_to")
        out: dict[str, str] = {}
        if start is not None or end is not None:
            start, end = start if start is not None else end, end if end is not None else start
            out["year"] = ",".join(str(y) for y in range(start, end + 1))
        for name in DIMENSIONS:
            value = (data.get(f"f_{name}") or "").strip()
            if value:
                out[name] = value
        return out


class TableFilterForm(_PeriodForm):
    """Filters of a standard table: the period, the data set, and codes of its other dimensions."""

    def __init__(self, *args, report: Report, datasets: list[dict], **kwargs) -> None:
        external = not report.national_only
        super().__init__(*args, datasets=datasets if external else [], **kwargs)
        if not external:
            del self.fields["dataset"]
        labels = engine.category_labels([d for d in report.dims if d != "year"])
        for name in report.dims:
            if name == "year" or name in report.filters:
                continue
            codes = ", ".join(f"{code} ({label})" for code, label in labels.get(name, {}).items())
            self.fields[f"f_{name}"] = forms.CharField(
                label=DIMENSIONS[name],
                required=False,
                max_length=200,
                help_text=_("Only these codes, separated by commas; empty for all.")
                + (" " + _("Codes: %(codes)s.") % {"codes": codes} if codes else ""),
            )


class CustomTableForm(_PeriodForm):
    """An ad-hoc table: up to three dimensions, what is counted, the period and the data set."""

    def __init__(self, *args, datasets: list[dict], **kwargs) -> None:
        super().__init__(*args, datasets=datasets, **kwargs)
        dims = [(k, v) for k, v in DIMENSIONS.items()]
        for i in range(1, MAX_DIMS + 1):
            self.fields[f"dim{i}"] = forms.ChoiceField(
                label=_("Dimension %(n)s") % {"n": i},
                required=i == 1,
                choices=dims if i == 1 else [("", _("(none)")), *dims],
            )
        self.fields["population"] = forms.ChoiceField(
            label=_("Counted"),
            choices=[(p.name, p.title) for p in POPULATIONS.values()],
            initial="registered",
            required=False,
        )
        self.order_fields(["dim1", "dim2", "dim3", "population", "dataset", "year_from", "year_to"])

    def clean(self) -> dict:
        data = super().clean()
        dims = self.dims()
        if len(set(dims)) != len(dims):
            raise forms.ValidationError(_("Choose each dimension once."))
        return data

    def dims(self) -> list[str]:
        return [d for i in range(1, MAX_DIMS + 1) if (d := self.cleaned_data.get(f"dim{i}"))]

    def population(self) -> str:
        return self.cleaned_data.get("population") or "registered"


class PublishForm(forms.Form):
    """Which standard tables to publish, for which years; the service checks the rest."""

    tables = forms.MultipleChoiceField(label=_("Tables"), widget=forms.CheckboxSelectMultiple)
    year_from = forms.IntegerField(label=_("From year"), min_value=1900, max_value=2100)
    year_to = forms.IntegerField(label=_("To year"), required=False, min_value=1900, max_value=2100)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, reports: list[Report], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(r.name, r.title) for r in reports]
