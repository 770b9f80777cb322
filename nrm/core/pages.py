"""One shape for every page with a form: bind, validate, call a service, answer.

A service's ``ValidationError`` goes back on the form, next to the field it names, with the
user's input kept; a ``Conflict`` (a stale version, a state that forbids the step) is shown on
the form with a 409, or, for a step without a page of its own, as a message on the page the
user is sent back to. Nothing here knows a domain app: views pass the service call in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from nrm.core.errors import Conflict

T = TypeVar("T")


class _NothingChanged:
    def __repr__(self) -> str:
        return "NOTHING_CHANGED"


# What a ``save`` returns when the form asks for no change: no service call, an info message.
NOTHING_CHANGED: Any = _NothingChanged()


def add_service_errors(form: Form, exc: ValidationError, rename: Mapping[str, str | None] | None = None) -> None:
    """Put a service's ValidationError on ``form``: on the field it names, else on the form."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in errors.items():
        name = (rename or {}).get(field, field)
        target = name if name in form.fields and not form.fields[name].widget.is_hidden else None
        for message in messages_:
            form.add_error(target, message)


def add_conflict(form: Form, exc: Conflict, *, on_field: bool = False) -> int:
    """Show a Conflict on the form, keeping the user's input; return the HTTP status to answer.

    With ``on_field`` the message goes next to the field the Conflict names, when the form has it.
    """
    form.add_error(exc.field if on_field and exc.field in form.fields else None, exc.message)
    return 409


def _answer(target: str | HttpResponse) -> HttpResponse:
    return target if isinstance(target, HttpResponse) else redirect(target)


def form_page(
    request: HttpRequest,
    form: Form | None,
    save: Callable[[dict], T],
    *,
    done: str | Callable[[T], str | HttpResponse],
    success: str | Callable[[T], str] = "",
    template: str = "",
    context: dict | Callable[[], dict] | None = None,
    formsets: Iterable = (),
    rename: Mapping[str, str | None] | None = None,
    errors: Callable[[ValidationError], None] | None = None,
    invalid_status: int = 200,
    conflict_on_field: bool = False,
    conflict_to: str = "",
    invalid_to: str = "",
) -> HttpResponse:
    """Answer a page with a form: on a valid POST call ``save`` and redirect, else render the page.

    ``save(cleaned_data)`` calls the service (``form`` None: a step without input, ``{}``); its
    result goes to ``success`` (the message shown, when callable) and ``done`` (where the user
    goes next: a URL, or a callable returning a URL or a response). ``NOTHING_CHANGED`` from
    ``save`` says so and goes to ``done``. Otherwise ``template`` is rendered with the form and
    ``context`` (a callable, called only then, gives the whole context); an invalid POST, or a
    ValidationError, answers ``invalid_status``.

    A ValidationError goes on the form's fields (``rename`` maps the service's names onto the
    form's; ``errors`` replaces that, for formsets); a Conflict goes on the form with a 409
    (``conflict_on_field``: next to the field it names). ``conflict_to`` and ``invalid_to`` are
    for steps without a page of their own: the error becomes a message and the user is sent
    there instead (such a view answers an invalid form itself).
    """
    status = 200
    if request.method == "POST":
        status = invalid_status
        if form is None or (form.is_valid() and all(formset.is_valid() for formset in formsets)):
            try:
                result = save(form.cleaned_data if form is not None else {})
            except ValidationError as exc:
                if invalid_to:
                    for message in exc.messages:
                        messages.error(request, message)
                    return redirect(invalid_to)
                if errors is not None:
                    errors(exc)
                else:
                    add_service_errors(form, exc, rename)
            except Conflict as exc:
                if conflict_to:
                    messages.error(request, exc.message)
                    return redirect(conflict_to)
                status = add_conflict(form, exc, on_field=conflict_on_field)
            else:
                if result is NOTHING_CHANGED:
                    messages.info(request, _("Nothing was changed."))
                elif message := (success(result) if callable(success) else success):
                    messages.success(request, str(message))
                return _answer(done(result) if callable(done) else done)
    context = context() if callable(context) else {"form": form, **(context or {})}
    return render(request, template, context, status=status)
