"""Web pages of early warning: thin views over selectors, forms and services.

The risk matrix, observations (list, CSV, new, detail), alerts (list, detail with history and its
steps) and thresholds. Anyone outside early warning finds no page here: a 404, the same as a
missing record. Service errors go back on the field they name; a refused step is a 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nrm.accounts.access import WarningAction, manages_early_warning, warning_organisations
from nrm.accounts.gates import role_gate
from nrm.audit.services import audit_record
from nrm.core.pages import form_page
from nrm.core.spreadsheet import csv_download
from nrm.earlywarning import selectors, services
from nrm.earlywarning.choices import RiskLevel
from nrm.earlywarning.forms import (
    AlertFilterForm,
    MatrixForm,
    NoteForm,
    ObservationFilterForm,
    ObservationForm,
    ThresholdForm,
)

PAGE_SIZE = 50
LEVELS = [(RiskLevel.LOW, "1-4"), (RiskLevel.MEDIUM, "5-9"), (RiskLevel.HIGH, "10-16"), (RiskLevel.VERY_HIGH, "20-25")]


# Those taking part in early warning; anyone else finds no page here, and an attempt at a
# particular record is an audited denial.
warning_reader = role_gate(
    selectors.takes_part, record="warning", action="earlywarning.view", reason="role without early-warning access"
)


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@warning_reader
def matrix(request: HttpRequest) -> HttpResponse:
    """The risk matrix: a 5x5 likelihood x impact grid with the regions placed, and the same as a table."""
    form = MatrixForm(request.GET or None)
    f = form.filters()
    result = selectors.risk_matrix(
        request.user, as_of=f.get("as_of"), window_days=f.get("window_days") or 90, group=f.get("group") or None
    )
    return render(
        request,
        "earlywarning/matrix.html",
        {
            "form": form,
            "matrix": result,
            "grid": result.grid(),
            "levels": LEVELS,
            "can_observe": bool(warning_organisations(request.user, WarningAction.OBSERVE)),
        },
    )


@warning_reader
def observation_list(request: HttpRequest) -> HttpResponse:
    """The observations the user sees, newest first, filtered by group, region and year."""
    form = ObservationFilterForm(request.GET or None)
    qs = selectors.observation_list(request.user, **form.filters())
    return render(
        request,
        "earlywarning/observation_list.html",
        {
            "form": form,
            "page": _page(request, qs),
            "can_observe": bool(warning_organisations(request.user, WarningAction.OBSERVE)),
        },
    )


EXPORT_COLUMNS = [
    "id",
    "observed_on",
    "organisation",
    "group",
    "indicator",
    "region",
    "likelihood",
    "impact",
    "persons_concerned",
]


@warning_reader
def observation_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered observations as CSV, without notes; the export is audited."""
    filters = ObservationFilterForm(request.GET or None).filters()
    qs = selectors.observation_list(request.user, **filters)
    audit_record(
        actor=request.user,
        action="earlywarning.observation_export",
        object_type="warning_observation",
        reason="web csv",
        detail={"filters": {k: str(v) for k, v in filters.items()}, "rows": qs.count()},
    )

    def rows():
        yield EXPORT_COLUMNS
        for o in qs.iterator(chunk_size=2000):
            yield [
                o.pk,
                o.observed_on.isoformat(),
                o.organisation.code,
                o.group.code,
                o.indicator.code,
                o.region,
                o.likelihood,
                o.impact,
                o.persons_concerned,
            ]

    return csv_download(rows(), f"observations-{timezone.localdate().isoformat()}.csv")


@warning_reader
def observation_new(request: HttpRequest) -> HttpResponse:
    """Record an observation; it may raise an alert."""
    if not warning_organisations(request.user, WarningAction.OBSERVE):
        raise Http404
    form = ObservationForm(request.POST or None, user=request.user)

    def open_alerts() -> set[int]:
        return set(selectors.alert_list(request.user).filter(status="open").values_list("pk", flat=True))

    def save(d: dict):
        before = open_alerts()
        observation = services.observation_record(
            actor=request.user,
            organisation=d["organisation"],
            observed_on=d["observed_on"],
            indicator=d["indicator"],
            region=d["region"],
            likelihood=d["likelihood"],
            impact=d["impact"],
            persons_concerned=d["persons_concerned"],
            note=d["note"],
        )
        return observation, open_alerts() - before

    def done(saved) -> HttpResponse:
        observation, raised = saved
        if raised:
            messages.warning(request, _("This observation raised an early-warning alert."))
        return redirect("earlywarning:observation_detail", pk=observation.pk)

    return form_page(
        request,
        form,
        save,
        success=_("Observation recorded."),
        done=done,
        template="earlywarning/observation_form.html",
    )


@warning_reader
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    observation = selectors.observation_get(request.user, pk)
    return render(request, "earlywarning/observation_detail.html", {"o": observation})


@warning_reader
def alert_list(request: HttpRequest) -> HttpResponse:
    """The alerts the user sees: open first, then acknowledged, then closed."""
    form = AlertFilterForm(request.GET or None)
    qs = selectors.alert_list(request.user, **form.filters())
    return render(request, "earlywarning/alert_list.html", {"form": form, "page": _page(request, qs)})


@warning_reader
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert with its figures, recipients, history and the steps the user may take."""
    alert = selectors.alert_get(request.user, pk)
    return render(request, "earlywarning/alert_detail.html", _alert_context(request, alert, NoteForm()))


def _alert_context(request: HttpRequest, alert, form: NoteForm) -> dict:
    return {
        "alert": alert,
        "form": form,
        "can_acknowledge": alert.status == "open" and services.acting_organisation(request.user, alert) is not None,
        "can_manage": manages_early_warning(request.user),
    }


def _alert_step(step: Callable, done: str) -> Callable:
    @require_POST
    @warning_reader
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        alert = selectors.alert_get(request.user, pk)
        form = NoteForm(request.POST)
        back = reverse("earlywarning:alert_detail", args=[pk])
        return form_page(
            request,
            form,
            lambda d: step(actor=request.user, alert=alert, note=d.get("note", "")),
            success=done,
            done=back,
            template="earlywarning/alert_detail.html",
            # The alert as it is now, the steps offered as they were.
            context=lambda: {
                **_alert_context(request, alert, form),
                "alert": selectors.alert_get(request.user, pk),
            },
            invalid_status=400,
            conflict_to=back,
        )

    return view


alert_acknowledge = _alert_step(services.alert_acknowledge, gettext_lazy("Alert acknowledged."))
alert_close = _alert_step(services.alert_close, gettext_lazy("Alert closed."))
alert_reopen = _alert_step(services.alert_reopen, gettext_lazy("Alert reopened."))


@warning_reader
def thresholds(request: HttpRequest) -> HttpResponse:
    """The alert thresholds; the Coordinator's office adds one here."""
    manager = manages_early_warning(request.user)
    if request.method == "POST" and not manager:
        raise Http404
    form = ThresholdForm(request.POST or None) if manager else None
    return form_page(
        request,
        form,
        lambda d: services.threshold_set(actor=request.user, **d),
        success=_("Threshold saved."),
        done=reverse("earlywarning:thresholds"),
        template="earlywarning/thresholds.html",
        context={"thresholds": selectors.threshold_list(request.user), "can_manage": manager},
    )


@warning_reader
def threshold_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a threshold: the Coordinator's office only."""
    threshold = selectors.threshold_get(request.user, pk, WarningAction.MANAGE)
    initial = {
        "group": threshold.group.code if threshold.group else "",
        "region": threshold.region,
        "min_score": threshold.min_score,
        "min_observations": threshold.min_observations,
        "window_days": threshold.window_days,
        "is_active": threshold.is_active,
    }
    return form_page(
        request,
        ThresholdForm(request.POST or None, initial=initial),
        lambda d: services.threshold_set(actor=request.user, threshold=threshold, **d),
        success=_("Threshold saved."),
        done=reverse("earlywarning:thresholds"),
        template="earlywarning/threshold_form.html",
        context={"threshold": threshold},
    )
