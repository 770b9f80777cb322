"""Forms of the task and notification pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import User
from nrm.tasks.choices import MANUAL_KINDS, TaskKind


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, TaskKind(k).label) for k in MANUAL_KINDS])
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(
        label=_("What is to be done"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class TaskAssignForm(forms.Form):
    """The case worker of the task's organisation the task is given to."""

    assigned_to = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, assignees, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = assignees
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username
