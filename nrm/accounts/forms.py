"""Sign-in with an optional second factor (TOTP) and TOTP enrolment."""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Username and password, plus the authenticator code for users who set one up."""

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        help_text=_("Only if you set up an authenticator app."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and django_otp.user_has_device(user):
            token = (self.cleaned_data.get("otp_token") or "").strip()
            device = django_otp.match_token(user, token) if token else None
            if device is None:
                self.user_cache = None
                raise forms.ValidationError({"otp_token": _("Enter the current code from your authenticator app.")})
            self.otp_device = device
        return cleaned


class TotpConfirmForm(forms.Form):
    token = forms.CharField(label=_("Code shown by the app"), max_length=8)
