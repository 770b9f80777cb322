"""Sign-in (with the optional second factor) and setting up an authenticator app."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.forms import LoginForm, TotpConfirmForm
from nrm.audit.services import audit_record


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
