"""The administration pages (``/administration/``): organisations, users, memberships, locked accounts.

Only the admin role enters; anyone else finds no page here (a 404, and an attempt at a
particular record is an audited denial). Reads through ``nrm.accounts.selectors``, writes
through ``nrm.accounts.services``; a new account's one-time password is shown once, on the
answer to the form, and kept nowhere.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nrm.accounts import selectors, services
from nrm.accounts.access import administers
from nrm.accounts.forms import (
    MembershipForm,
    OrganisationFilterForm,
    OrganisationForm,
    UserCreateForm,
    UserFilterForm,
)
from nrm.accounts.gates import role_gate
from nrm.core.pages import form_page

PAGE_SIZE = 50

administrators = role_gate(
    administers,
    record=lambda name: "organisation" if name.startswith("organisation") else "user",
    reason="not an administrator",
)


@administrators
def index(request: HttpRequest) -> HttpResponse:
    """The administration's overview: counts, locked accounts, and the pages."""
    overview = selectors.administration_overview(request.user)
    return render(request, "administration/index.html", {"overview": overview})


# --- Organisations -------------------------------------------------------------------------------


@administrators
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    page = Paginator(selectors.organisation_list(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "administration/organisation_list.html", {"form": form, "page": page})


def _organisation_kwargs(d: dict) -> dict:
    return {k: d.get(k, "") for k in ("name", "region", "city", "email", "phone")} | {"type": d.get("type")}


@administrators
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda d: services.organisation_create(actor=request.user, code=d["code"], **_organisation_kwargs(d)),
        success=lambda o: _("Organisation %(name)s created.") % {"name": o.name},
        done=lambda o: reverse("administration:organisation_edit", args=[o.pk]),
        template="administration/organisation_form.html",
        context={"creating": True},
    )


@administrators
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get(pk)
    initial = {
        "name": organisation.name,
        "type": organisation.type_id,
        "region": organisation.region,
        "city": organisation.city,
        "email": organisation.email,
        "phone": organisation.phone,
    }
    form = OrganisationForm(request.POST or None, initial=initial, creating=False)
    return form_page(
        request,
        form,
        lambda d: services.organisation_update(
            actor=request.user, organisation=organisation, **_organisation_kwargs(d)
        ),
        success=_("Organisation saved."),
        done=reverse("administration:organisation_edit", args=[organisation.pk]),
        template="administration/organisation_form.html",
        context={"creating": False, "organisation": organisation},
    )


def _organisation_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    organisation = selectors.organisation_get(pk)
    back = reverse("administration:organisation_edit", args=[organisation.pk])
    return form_page(
        request,
        None,
        lambda d: services.organisation_set_active(actor=request.user, organisation=organisation, active=active),
        success=_("Organisation reactivated.") if active else _("Organisation deactivated."),
        done=back,
        invalid_to=back,
        conflict_to=back,
    )


@administrators
@require_POST
def organisation_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _organisation_active(request, pk, active=False)


@administrators
@require_POST
def organisation_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _organisation_active(request, pk, active=True)


# --- Users ---------------------------------------------------------------------------------------


@administrators
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    qs = selectors.user_list(request.user, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/user_list.html",
        {"form": form, "page": page, "locked": selectors.locked_usernames()},
    )


@administrators
def user_new(request: HttpRequest) -> HttpResponse:
    """Create an account with its first role; the answer shows its one-time password, once."""
    form = UserCreateForm(request.POST or None)

    def shown_once(result) -> HttpResponse:
        user, password = result
        response = render(request, "administration/user_created.html", {"account": user, "password": password})
        response["Cache-Control"] = "no-store"
        return response

    return form_page(
        request,
        form,
        lambda d: services.user_create(
            actor=request.user,
            username=d["username"],
            organisation=d["organisation"],
            role=d["role"],
            first_name=d["first_name"],
            last_name=d["last_name"],
            email=d["email"],
        ),
        done=shown_once,
        template="administration/user_form.html",
    )


def _user_context(request: HttpRequest, pk: int, form: MembershipForm | None = None) -> dict:
    account = selectors.user_get(request.user, pk)
    return {
        "account": account,
        "tokens": list(selectors.api_tokens(request.user, owner=account)),
        "memberships": list(account.memberships.all()),
        "locked": selectors.locked_usernames().get(account.username),
        "form": form or MembershipForm(),
        "is_self": account.pk == request.user.pk,
        "second_factor": selectors.has_second_factor(account),
    }


@administrators
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "administration/user_detail.html", _user_context(request, pk))


@administrators
@require_POST
def user_membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the user a role in an organisation (or change the role they have there)."""
    account = selectors.user_get(request.user, pk)
    form = MembershipForm(request.POST)
    return form_page(
        request,
        form,
        lambda d: services.membership_set(
            actor=request.user, user=account, organisation=d["organisation"], role=d["role"]
        ),
        success=lambda m: (
            _("%(user)s is now %(role)s in %(org)s.")
            % {"user": account.username, "role": m.get_role_display(), "org": m.organisation.name}
        ),
        done=reverse("administration:user_detail", args=[account.pk]),
        template="administration/user_detail.html",
        context=lambda: _user_context(request, pk, form),
    )


def _user_step(request: HttpRequest, pk: int, save, success: str) -> HttpResponse:
    account = selectors.user_get(request.user, pk)
    back = reverse("administration:user_detail", args=[account.pk])
    return form_page(
        request, None, lambda d: save(account), success=success, done=back, invalid_to=back, conflict_to=back
    )


@administrators
@require_POST
def user_membership_remove(request: HttpRequest, pk: int, membership_id: int) -> HttpResponse:
    account = selectors.user_get(request.user, pk)
    membership = selectors.membership_get(request.user, account, membership_id)
    return _user_step(
        request,
        pk,
        lambda _account: services.membership_remove(actor=request.user, membership=membership),
        _("The membership has ended."),
    )


@administrators
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_step(
        request,
        pk,
        lambda account: services.user_set_active(actor=request.user, user=account, active=False),
        _("Account deactivated: it can no longer sign in."),
    )


@administrators
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_step(
        request,
        pk,
        lambda account: services.user_set_active(actor=request.user, user=account, active=True),
        _("Account reactivated."),
    )


@administrators
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the sign-in lockout of the account (django-axes), audited."""
    return _user_step(
        request,
        pk,
        lambda account: services.account_unlock(actor=request.user, user=account),
        _("The account is unlocked: it can sign in again."),
    )


@administrators
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the account a new one-time password, shown once; its owner must choose their own at sign-in."""
    account = selectors.user_get(request.user, pk)

    def shown_once(result) -> HttpResponse:
        user, password = result
        response = render(
            request, "administration/user_created.html", {"account": user, "password": password, "reset": True}
        )
        response["Cache-Control"] = "no-store"
        return response

    back = reverse("administration:user_detail", args=[account.pk])
    return form_page(
        request,
        None,
        lambda d: services.password_reset(actor=request.user, user=account),
        done=shown_once,
        invalid_to=back,
        conflict_to=back,
    )


@administrators
@require_POST
def user_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the account's authenticator apps (a lost phone); its API tokens are revoked."""
    return _user_step(
        request,
        pk,
        lambda account: services.second_factor_reset(actor=request.user, user=account),
        _("The authenticator app is removed: the account sets up a new one at its next sign-in."),
    )


@administrators
@require_POST
def user_token_revoke(request: HttpRequest, pk: int, token_id: int) -> HttpResponse:
    """Revoke one of the account's API tokens."""
    return _user_step(
        request,
        pk,
        lambda account: services.token_revoke(actor=request.user, token_id=token_id, owner=account),
        _("The API token is revoked."),
    )
