"""Sign-in (with the optional second factor), signing out, changing one's password, setting up an authenticator app."""

from __future__ import annotations

from base64 import b32encode

import django_otp
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts import services
from nrm.accounts.access import needs_second_factor
from nrm.accounts.forms import LoginForm, PasswordChangeForm, TotpConfirmForm, TotpRemoveForm
from nrm.core.pages import form_page


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
        response = super().post(request, *args, **kwargs)
        # The browser forgets what the session left behind: cached pages (a victim's record), cookies, storage.
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


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


def _next(request: HttpRequest, default: str) -> str:
    """Return the page a held user asked for (``next``), if it is one of ours, else ``default``."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        return default
    return next_url or default


@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: show the secret, confirm with a first code.

    Replacing an app already set up needs a code from it as well (``services.second_factor_enrol``).
    """
    confirmed = django_otp.user_has_device(request.user)
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TotpConfirmForm(request.POST or None)

    def save(data: dict) -> TOTPDevice:
        enrolled = services.second_factor_enrol(
            user=request.user, device=device, code=data["token"], current_code=data.get("current_token", "")
        )
        # This session has just shown a code from the new device: it counts as verified.
        django_otp.login(request, enrolled)
        return enrolled

    return form_page(
        request,
        form,
        save,
        success=_("The authenticator app is set up; sign-in now asks for its code."),
        done=_next(request, reverse("totp_setup")),
        template="registration/totp_setup.html",
        context=lambda: {
            "form": form,
            "remove_form": TotpRemoveForm(auto_id="remove_%s"),
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "uri": device.config_url,
            "confirmed": confirmed,
            "required": needs_second_factor(request.user),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    """Remove one's authenticator app, given a current code from it."""
    form = TotpRemoveForm(request.POST)
    back = reverse("totp_setup")
    if not form.is_valid():
        messages.error(request, _("Enter the current code from your authenticator app."))
        return redirect(back)
    return form_page(
        request,
        form,
        lambda data: services.second_factor_remove(user=request.user, current_code=data["current_token"]),
        success=_("The authenticator app is removed; sign-in asks for the password only."),
        done=back,
        invalid_to=back,
    )
