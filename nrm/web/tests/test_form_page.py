"""The form-page helper: a service's result, its errors and conflicts, as every form page answers them."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from conftest import fresh
from nrm.cases import services as case_services
from nrm.core import pages
from nrm.core.errors import Conflict, invalid
from nrm.core.pages import NOTHING_CHANGED, form_page


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)


@pytest.fixture
def rendered(monkeypatch) -> dict:
    """Capture what form_page renders instead of rendering a template."""
    seen: dict = {}

    def render(request, template, context, status=200):
        seen.update(template=template, context=context, status=status)
        return pages.HttpResponse(status=status)

    monkeypatch.setattr(pages, "render", render)
    return seen


def _post(data: dict | None = None):
    request = RequestFactory().post("/x/", data or {"name": "Ana", "version": "1"})
    request._messages = CookieStorage(request)
    return request


def _messages(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_valid_input_calls_the_service_and_redirects():
    request = _post()
    calls = []
    response = form_page(
        request,
        NameForm(request.POST),
        lambda d: calls.append(d) or 7,
        success=lambda n: f"Saved {n}.",
        done=lambda n: f"/done/{n}/",
        template="unused.html",
    )
    assert (response.status_code, response.url) == (302, "/done/7/")
    assert calls == [{"name": "Ana", "version": 1}]
    assert _messages(request) == [("success", "Saved 7.")]


def test_a_get_renders_the_page_with_the_form_and_context(rendered):
    request = RequestFactory().get("/x/")
    form = NameForm()
    form_page(request, form, pytest.fail, done="/", template="page.html", context={"title": "T"})
    assert rendered == {"template": "page.html", "context": {"form": form, "title": "T"}, "status": 200}


def test_an_invalid_form_calls_nothing_and_answers_the_invalid_status(rendered):
    request = _post({"name": "x" * 30, "version": "1"})
    form = NameForm(request.POST)
    form_page(request, form, pytest.fail, done="/", template="page.html", invalid_status=400)
    assert rendered["status"] == 400
    assert "name" in form.errors


def test_a_validation_error_goes_on_the_field_it_names_and_keeps_the_input(rendered):
    request = _post()
    form = NameForm(request.POST)

    def save(d):
        raise invalid("name", "Taken.")

    form_page(request, form, save, done="/", template="page.html")
    assert rendered["status"] == 200
    assert form.errors == {"name": ["Taken."]}
    assert form["name"].value() == "Ana"
    assert _messages(request) == []


def test_rename_maps_the_service_field_and_a_hidden_field_goes_on_the_form(rendered):
    request = _post()
    form = NameForm(request.POST)

    def save(d):
        raise ValidationError({"title": ["Too short."], "version": ["Odd."]})

    form_page(request, form, save, done="/", template="page.html", rename={"title": "name"})
    assert form.errors == {"name": ["Too short."], "__all__": ["Odd."]}


def test_a_conflict_is_a_message_on_the_form_with_409(rendered):
    request = _post()
    form = NameForm(request.POST)

    def save(d):
        raise Conflict("Changed by someone else.")

    form_page(request, form, save, done="/", template="page.html")
    assert rendered["status"] == 409
    assert form.errors == {"__all__": ["Changed by someone else."]}


def test_a_conflict_may_name_a_visible_field(rendered):
    request = _post()
    form = NameForm(request.POST)

    def save(d):
        raise Conflict("Already there.", field="name")

    form_page(request, form, save, done="/", template="page.html", conflict_on_field=True)
    assert (rendered["status"], form.errors) == (409, {"name": ["Already there."]})


def test_without_a_page_errors_are_messages_and_the_user_is_sent_back():
    def refuse(exc):
        def save(d):
            raise exc

        return save

    request = _post()
    response = form_page(
        request, None, refuse(Conflict("Closed.")), done="/ok/", conflict_to="/case/", invalid_to="/edit/"
    )
    assert (response.url, _messages(request)) == ("/case/", [("error", "Closed.")])
    request = _post()
    response = form_page(request, None, refuse(invalid("x", "Too early.")), done="/ok/", invalid_to="/edit/")
    assert (response.url, _messages(request)) == ("/edit/", [("error", "Too early.")])


def test_nothing_changed_says_so_and_goes_on():
    request = _post()
    response = form_page(
        request, NameForm(request.POST), lambda d: NOTHING_CHANGED, success="Saved.", done="/ok/", template="x.html"
    )
    assert (response.url, _messages(request)) == ("/ok/", [("info", "Nothing was changed.")])


# --- Through a real page: closing a case -----------------------------------------------------


@pytest.mark.django_db
def test_case_close_through_the_helper(client, world, ngo_case):
    client.force_login(world["ngo"])
    url = f"/cases/{ngo_case.pk}/close/"
    # A ValidationError from the service on a named field: shown there, input kept, nothing stored.
    response = client.post(url, {"version": 1, "reason": "declined", "closed_on": "1999-01-01", "note": "Kept note"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_closed_on_error"' in html
    assert "Kept note" in html
    ngo_case.refresh_from_db()
    assert (ngo_case.status, ngo_case.version) == ("open", 1)
    # A stale version: the conflict's message, 409, nothing stored.
    case_services.case_update(actor=fresh(world["ngo"]), case=ngo_case, expected_version=1, region="Belgrade")
    response = client.post(url, {"version": 1, "reason": "declined", "note": "Kept note"})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    ngo_case.refresh_from_db()
    assert (ngo_case.status, ngo_case.version) == ("open", 2)
    # Valid: the service closes the case and the user is back on it.
    response = client.post(url, {"version": 2, "reason": "declined"})
    assert (response.status_code, response.url) == (302, f"/cases/{ngo_case.pk}/")
    ngo_case.refresh_from_db()
    assert (ngo_case.status, ngo_case.version) == ("closed", 3)
