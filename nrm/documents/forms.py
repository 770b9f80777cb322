"""The upload form of a case's documents; the service checks the file and names the field at fault."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nrm.documents.choices import DocumentKind


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the service says "The file is empty." itself
        help_text=_("PDF, JPEG, PNG, DOCX, ODT or plain text (.txt). A photo taken with the phone is a JPEG."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.odt,.txt,application/pdf,image/jpeg,image/png"}
        ),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("What the document is, such as “Statement to the police, 3 May”."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose a kind")), *DocumentKind.choices])
