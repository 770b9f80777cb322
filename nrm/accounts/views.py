"""Sign-in (with the optional second factor), signing out, changing one's password, setting up an authenticator app."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts import services
from nrm.accounts.forms import LoginForm, PasswordChangeForm, TotpConfirmForm
from nrm.audit.services import audit_record
from nrm.web.pages import form_page


class LoginView(auth_views.LoginView):
    """Django's login view with the TOTP step folded into the same form."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form, "otp_device", None)
        if device is not None:
            django_otp.login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out of the web, and revoke the user's API tokens: signing out means all their access ends."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.tokens_revoke_all(user=request.user, reason="logout")
        return super().post(request, *args, **kwargs)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (required after an administrator set it); the session stays signed in."""
    form = PasswordChangeForm(request.POST or None)
    forced = request.user.must_change_password
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or next_url.startswith(
        "/accounts/password/"
    ):
        next_url = "/"

    def save(data: dict):
        user = services.password_change(
            user=request.user, old_password=data["old_password"], new_password=data["new_password"]
        )
        # The session's hash follows the new password, so this session stays signed in.
        update_session_auth_hash(request, user)
        return user

    return form_page(
        request,
        form,
        save,
        success=_("Your password is changed. Your API tokens were revoked: sign in to the API again."),
        done=next_url,
        template="registration/password_change.html",
        context={"forced": forced, "next": next_url},
    )


@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: show the secret, confirm with a first code."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
            device.confirmed = True
            device.save()
            audit_record(actor=request.user, action="auth.totp_enrol", object_type="user", object_id=request.user.pk)
            # Tokens issued without the second factor should not outlive its set-up.
            services.tokens_revoke_all(user=request.user, reason="second factor")
            messages.success(request, _("The authenticator app is set up; sign-in now asks for its code."))
            return redirect("totp_setup")
        form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/totp_setup.html",
        {"form": form, "secret": secret, "uri": device.config_url, "confirmed": confirmed},
    )
