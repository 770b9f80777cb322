"""Forms of the task and notification pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.tasks.choices import MANUAL_KINDS, TaskKind


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, TaskKind(k).label) for k in MANUAL_KINDS])
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(
        label=_("What is to be done"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
