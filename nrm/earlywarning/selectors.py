"""Reads of early warning, each starting from the access rule (``nrm.accounts.access``).

Observations: the observing organisation's staff see theirs, the Coordinator's office and analysts
all (:func:`observation_filter`); the risk matrix is computed over the observations the user
sees. Alerts: the Coordinator's office and analysts see all, an organisation's staff those raised
to it (:func:`alert_filter`). Groups, indicators and thresholds are settings, read by anyone
taking part in early warning. Anything outside: NotFound, as for a missing record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from nrm.accounts.access import WarningAction, get_or_deny, reads_national_statistics, restrict, warning_organisations
from nrm.accounts.models import User, region_label
from nrm.audit.services import audit_record, audited_read
from nrm.core.errors import NotFound
from nrm.earlywarning import risk
from nrm.earlywarning.choices import SCALE, AlertStatus, risk_level
from nrm.earlywarning.models import Alert, AlertThreshold, Observation, RiskIndicator, VulnerableGroup


def takes_part(user: User) -> bool:
    """Return True if ``user`` reads early warning at all (observers, the Coordinator's office, analysts)."""
    return bool(warning_organisations(user, WarningAction.VIEW)) or reads_national_statistics(user)


def group_list() -> QuerySet[VulnerableGroup]:
    return VulnerableGroup.objects.prefetch_related("indicators")


def indicator_list(*, group: str = "") -> QuerySet[RiskIndicator]:
    qs = RiskIndicator.objects.select_related("group")
    return qs.filter(group__code=group) if group else qs


def region_list() -> list[str]:
    return risk.regions()


# --- Observations ----------------------------------------------------------------------------


def observation_list(
    user: User,
    *,
    group: str = "",
    region: str = "",
    year: int | None = None,
    indicator: str = "",
    organisation: int | None = None,
) -> QuerySet[Observation]:
    """Return the observations ``user`` sees, filtered, newest first; notes are not read."""
    qs = (
        restrict(Observation.objects.all(), user, WarningAction.VIEW)
        .select_related("group", "indicator", "organisation")
        .defer("note")
    )
    if group:
        qs = qs.filter(group__code=group)
    if region:
        qs = qs.filter(region=region)
    if year:
        qs = qs.filter(observed_on__year=year)
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    return qs.order_by("-observed_on", "-id")


@audited_read
def observation_get(user: User, pk: int) -> Observation:
    """Return one observation ``user`` sees, with its note; the read is audited, and so is a refusal."""
    found = get_or_deny(
        Observation.objects.select_related("group", "indicator", "organisation", "recorded_by"),
        user,
        WarningAction.VIEW,
        object_type="warning_observation",
        audit_action="earlywarning.observation_view",
        pk=pk,
    )
    audit_record(
        actor=user,
        action="earlywarning.observation_view",
        object_type="warning_observation",
        object_id=found.pk,
        organisation_id=found.organisation_id,
    )
    return found


# --- Risk matrix -----------------------------------------------------------------------------


@dataclass
class MatrixRow:
    group: VulnerableGroup
    region: str
    likelihood: int
    impact: int
    score: int
    level: str
    observations: int
    persons: int


@dataclass
class GridCell:
    likelihood: int
    impact: int
    score: int
    level: str
    regions: list[str] = field(default_factory=list)


@dataclass
class Matrix:
    as_of: dt.date
    window_days: int
    start: dt.date
    national: bool
    rows: list[MatrixRow]
    group: VulnerableGroup | None = None

    def grid(self) -> list[list[GridCell]]:
        """Return the 5x5 grid (likelihood 5 at the top, impact 1 to 5 across) with the regions placed.

        With every group shown, a region is labelled with its group's name.
        """
        cells = {(lk, i): GridCell(lk, i, lk * i, risk_level(lk * i)) for lk in SCALE for i in SCALE}
        for row in self.rows:
            region = region_label(row.region)
            label = region if self.group else f"{region} ({row.group})"
            cells[(row.likelihood, row.impact)].regions.append(label)
        return [[cells[(lk, i)] for i in SCALE] for lk in reversed(SCALE)]


def risk_matrix(
    user: User, as_of: dt.date | None = None, window_days: int = 90, group: VulnerableGroup | str | None = None
) -> Matrix:
    """Return the risk matrix per (group, region) over the observations ``user`` sees in the window.

    Likelihood: mean of the likelihoods rounded up; impact: the highest; score: their product;
    level: low 1-4, medium 5-9, high 10-16, very high 20-25. Rows sorted by score, highest first.
    Anyone outside early warning: NotFound.
    """
    if not takes_part(user):
        raise NotFound
    as_of = as_of or timezone.localdate()
    if isinstance(group, str):
        group = VulnerableGroup.objects.filter(code=group).first() if group else None
    qs = restrict(Observation.objects.all(), user, WarningAction.VIEW)
    if group is not None:
        qs = qs.filter(group=group)
    groups = {g.pk: g for g in VulnerableGroup.objects.all()}
    rows = [
        MatrixRow(
            group=groups[c.group_id],
            region=c.region,
            likelihood=c.likelihood,
            impact=c.impact,
            score=c.score,
            level=c.level,
            observations=c.observations,
            persons=c.persons,
        )
        for c in risk.cells(qs, as_of=as_of, window_days=window_days)
    ]
    rows.sort(key=lambda r: (-r.score, r.group.sort_order, r.group.name, r.region))
    return Matrix(
        as_of=as_of,
        window_days=window_days,
        start=risk.window_start(as_of, window_days),
        national=reads_national_statistics(user),
        rows=rows,
        group=group,
    )


# --- Alerts and thresholds -------------------------------------------------------------------

_STATUS_ORDER = Case(
    When(status=AlertStatus.OPEN, then=Value(0)),
    When(status=AlertStatus.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def alert_list(user: User, *, status: str = "", group: str = "", region: str = "") -> QuerySet[Alert]:
    """Return the alerts ``user`` sees, open first, then acknowledged, then closed; newest first within."""
    qs = restrict(Alert.objects.all(), user, WarningAction.VIEW).select_related("group")
    if status:
        qs = qs.filter(status=status)
    if group:
        qs = qs.filter(group__code=group)
    if region:
        qs = qs.filter(region=region)
    return qs.annotate(status_order=_STATUS_ORDER).order_by("status_order", "-raised_at", "-id")


def alert_get(user: User, pk: int) -> Alert:
    """Return one alert ``user`` sees, with its recipients and history; anything else is NotFound (audited)."""
    return get_or_deny(
        Alert.objects.select_related("group", "threshold").prefetch_related(
            "recipients", "events__actor", "events__organisation"
        ),
        user,
        WarningAction.VIEW,
        object_type="warning_alert",
        audit_action="earlywarning.alert_view",
        audit_reason="not raised to the user's organisations",
        pk=pk,
    )


def threshold_list(user: User) -> QuerySet[AlertThreshold]:
    """Return the thresholds, to anyone taking part in early warning (others: none)."""
    return restrict(AlertThreshold.objects.select_related("group", "set_by"), user, WarningAction.VIEW)


def threshold_get(user: User, pk: int, action: WarningAction = WarningAction.VIEW) -> AlertThreshold:
    """Return threshold ``pk`` if ``user`` may ``action`` it; anything else is an audited NotFound."""
    return get_or_deny(
        AlertThreshold.objects.select_related("group", "set_by"),
        user,
        action,
        object_type="warning_threshold",
        audit_action="earlywarning.threshold",
        pk=pk,
    )
