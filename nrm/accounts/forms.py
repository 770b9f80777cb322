"""Sign-in with an optional second factor (TOTP) and TOTP enrolment."""

from __future__ import annotations

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
        from nrm.accounts.services import second_factor_check

        cleaned = super().clean()
        user = self.get_user()
        if user is not None:
            try:
                # The same check as the token endpoint's; a user who needs a device and has none
                # signs in, to be held on the set-up page (middleware).
                self.otp_device = second_factor_check(
                    user=user, code=self.cleaned_data.get("otp_token") or "", action="auth.sign_in", field="otp_token"
                )
            except forms.ValidationError:
                self.user_cache = None
                raise
        return cleaned


class TotpConfirmForm(forms.Form):
    token = forms.CharField(label=_("Code shown by the app"), max_length=8)
    current_token = forms.CharField(
        label=_("Code from the app you set up before"),
        max_length=8,
        required=False,
        help_text=_("Replacing an authenticator app needs a code from the one it replaces."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TotpRemoveForm(forms.Form):
    current_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordChangeForm(forms.Form):
    """The current password and the new one twice; the service checks the current one and the rules."""

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 10 characters, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("new_password_again") != cleaned.get("new_password"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


# --- Administration ------------------------------------------------------------------------------


class OrganisationForm(forms.Form):
    """An organisation's name, type and contacts; its code only when it is created."""

    code = forms.CharField(
        label=_("Code"), max_length=60, help_text=_("Lower-case letters, digits and hyphens; it cannot change later.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    type = forms.ModelChoiceField(label=_("Type"), queryset=None)
    region = forms.CharField(label=_("Region"), max_length=80, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    def __init__(self, *args, creating: bool = True, **kwargs) -> None:
        from nrm.accounts.models import OrganisationType

        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = OrganisationType.objects.order_by("name")
        if not creating:
            del self.fields["code"]


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, code or city"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    active = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), ("1", _("Active")), ("0", _("Inactive"))]
    )

    def __init__(self, *args, **kwargs) -> None:
        from nrm.accounts.models import OrganisationType

        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [
            ("", _("Any")),
            *OrganisationType.objects.order_by("name").values_list("code", "name"),
        ]

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"q": d.get("q", ""), "type_code": d.get("type", ""), "active": d.get("active", "")}


def _organisations():
    from nrm.accounts.models import Organisation

    return Organisation.objects.filter(is_active=True).order_by("name")


class UserCreateForm(forms.Form):
    """A new account with its first membership; the password is generated and shown once."""

    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs) -> None:
        from nrm.accounts.choices import Role

        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _organisations()
        self.fields["role"].choices = Role.choices


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Username, name or e-mail"), required=False)
    locked = forms.BooleanField(label=_("Locked accounts only"), required=False)
    inactive = forms.BooleanField(label=_("With an inactive account or membership"), required=False)

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"q": d.get("q", ""), "locked": bool(d.get("locked")), "inactive": bool(d.get("inactive"))}


class MembershipForm(forms.Form):
    """A role of the user in an organisation."""

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs) -> None:
        from nrm.accounts.choices import Role

        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _organisations()
        self.fields["role"].choices = Role.choices
