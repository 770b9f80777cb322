"""Writes of early warning: observations, thresholds, the evaluation that raises alerts, alert steps.

Keyword-only, one transaction, access checked inside it, an audit row per write. Bad input
raises ``ValidationError`` naming the field; nothing is stored. Every observation re-evaluates
its cell (group, region) in the same transaction: crossing an active threshold raises an alert
(or escalates the cell's open one), and the e-mails go out once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import WarningAction, get_or_deny, manages_early_warning, unrestricted, warning_organisations
from nrm.accounts.models import Membership, Organisation, User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import Conflict, invalid
from nrm.core.validation import TEXT_MAX_LENGTH, check_text
from nrm.earlywarning import risk
from nrm.earlywarning.choices import (
    ACTIVE_ALERT_STATES,
    ALERT_MAIL_ROLES,
    SCALE,
    AlertStatus,
    EventKind,
    risk_level,
)
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation, RiskIndicator, VulnerableGroup

SYSTEM = "system"
MAX_WINDOW_DAYS = 730


def _coordinator_types() -> tuple[str, ...]:
    return tuple(settings.NRM_COORDINATOR_ORG_TYPES)


def _one_to_five(field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise invalid(field, _("Give a whole number from 1 to 5."))
    return value


def _region(value: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if not value and blank:
        return ""
    if value not in risk.regions():
        raise invalid("region", _("Unknown region: choose one of the regions of the organisations."))
    return value


# --- Observations ----------------------------------------------------------------------------


@atomic_audited
def observation_record(
    *,
    actor: User,
    organisation: Organisation,
    indicator: RiskIndicator | str,
    region: str,
    likelihood: int,
    observed_on: dt.date | None = None,
    impact: int | None = None,
    persons_concerned: int | None = None,
    note: str = "",
) -> Observation:
    """Record what ``organisation`` observed; then evaluate the observation's cell (as of today).

    ``impact`` defaults to the indicator's. An alert raised or escalated by this observation is
    part of the same transaction.
    """
    if organisation is None or organisation.pk not in warning_organisations(actor, WarningAction.OBSERVE):
        raise invalid("organisation", _("You cannot record observations for this organisation."))
    if not isinstance(indicator, RiskIndicator):
        found = RiskIndicator.objects.select_related("group").filter(code=str(indicator or "")).first()
        if found is None:
            raise invalid("indicator", _("Unknown risk indicator: %(code)s") % {"code": indicator})
        indicator = found
    today = timezone.localdate()
    observed_on = observed_on or today
    if observed_on > today:
        raise invalid("observed_on", _("The date cannot be in the future."))
    likelihood = _one_to_five("likelihood", likelihood)
    impact = indicator.default_impact if impact is None else _one_to_five("impact", impact)
    if persons_concerned is not None and (
        isinstance(persons_concerned, bool) or not isinstance(persons_concerned, int) or persons_concerned < 0
    ):
        raise invalid("persons_concerned", _("Give a number of persons, 0 or more."))
    region = _region(region)
    observation = Observation.objects.create(
        organisation=organisation,
        recorded_by=actor,
        observed_on=observed_on,
        group_id=indicator.group_id,
        indicator=indicator,
        region=region,
        likelihood=likelihood,
        impact=impact,
        persons_concerned=persons_concerned,
        note=check_text("note", note, TEXT_MAX_LENGTH),
    )
    audit_record(
        actor=actor,
        action="earlywarning.observe",
        object_type="warning_observation",
        object_id=observation.pk,
        organisation_id=organisation.pk,
        detail={"indicator": indicator.code, "region": region, "likelihood": likelihood, "impact": impact},
    )
    _evaluate_cell(indicator.group, region, as_of=today, at=timezone.now(), actor=actor)
    return observation


# --- Thresholds ------------------------------------------------------------------------------


@atomic_audited
def threshold_set(
    *,
    actor: User,
    min_score: int,
    min_observations: int = 1,
    window_days: int = 90,
    group: VulnerableGroup | str | None = None,
    region: str = "",
    is_active: bool = True,
    threshold: AlertThreshold | None = None,
) -> AlertThreshold:
    """Create a threshold, or update ``threshold``: the Coordinator's office only (anyone else: NotFound).

    ``group`` None means every group, ``region`` blank every region.
    """
    if not manages_early_warning(actor):
        raise denied(
            actor=actor,
            action="earlywarning.threshold",
            object_type="warning_threshold",
            object_id=getattr(threshold, "pk", ""),
            reason="thresholds are set by the Coordinator's office",
        )
    if isinstance(group, str):
        found = VulnerableGroup.objects.filter(code=group).first() if group else None
        if group and found is None:
            raise invalid("group", _("Unknown vulnerable group: %(code)s") % {"code": group})
        group = found
    if isinstance(min_score, bool) or not isinstance(min_score, int) or not 1 <= min_score <= 25:
        raise invalid("min_score", _("Give a score from 1 to 25."))
    if isinstance(min_observations, bool) or not isinstance(min_observations, int) or min_observations < 1:
        raise invalid("min_observations", _("Give a number of observations, 1 or more."))
    if isinstance(window_days, bool) or not isinstance(window_days, int) or not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise invalid("window_days", _("Give a window from 1 to %(max)s days.") % {"max": MAX_WINDOW_DAYS})
    region = _region(region, blank=True)
    values = {
        "group": group,
        "region": region,
        "min_score": min_score,
        "min_observations": min_observations,
        "window_days": window_days,
        "is_active": bool(is_active),
        "set_by": actor,
    }
    if threshold is None:
        threshold = AlertThreshold.objects.create(**values)
        verb = "create"
    else:
        threshold = AlertThreshold.objects.select_for_update().get(pk=threshold.pk)
        for name, value in values.items():
            setattr(threshold, name, value)
        threshold.save()
        verb = "update"
    audit_record(
        actor=actor,
        action=f"earlywarning.threshold_{verb}",
        object_type="warning_threshold",
        object_id=threshold.pk,
        detail={
            "group": group.code if group else "",
            "region": region,
            "min_score": min_score,
            "min_observations": min_observations,
            "window_days": window_days,
            "is_active": bool(is_active),
        },
    )
    return threshold


# --- Evaluation ------------------------------------------------------------------------------


def _thresholds_for(group: VulnerableGroup, region: str) -> list[AlertThreshold]:
    return list(
        AlertThreshold.objects.filter(is_active=True)
        .filter(Q(group__isnull=True) | Q(group=group))
        .filter(Q(region="") | Q(region=region))
        .order_by("pk")
    )


def _crossing(group: VulnerableGroup, region: str, as_of: dt.date) -> tuple[AlertThreshold, risk.Cell] | None:
    """Return the threshold the cell crosses with the highest score, and the cell over its window."""
    best = None
    qs = unrestricted(Observation, "early warning").filter(group=group, region=region)
    for threshold in _thresholds_for(group, region):
        found = risk.cells(qs, as_of=as_of, window_days=threshold.window_days)
        if not found:
            continue
        cell = found[0]
        if cell.score >= threshold.min_score and cell.observations >= threshold.min_observations:
            specific = (threshold.group_id is not None) + bool(threshold.region)
            key = (cell.score, specific, -threshold.pk)
            if best is None or key > best[0]:
                best = (key, threshold, cell)
    return (best[1], best[2]) if best else None


def _recipients(group: VulnerableGroup, region: str, as_of: dt.date, window_days: int) -> list[int]:
    """Return the organisations an alert on the cell goes to.

    The Coordinator's office, the organisations that observed in the window, and the active
    organisations of the group's concerned types in the region.
    """
    observers = (
        unrestricted(Observation, "early warning")
        .filter(
            group=group,
            region=region,
            observed_on__gte=risk.window_start(as_of, window_days),
            observed_on__lte=as_of,
        )
        .values("organisation_id")
    )
    return sorted(
        set(
            Organisation.objects.filter(is_active=True)
            .filter(
                Q(type__code__in=_coordinator_types())
                | Q(pk__in=observers)
                | Q(type__code__in=list(group.concerned_org_types or []), region=region)
            )
            .values_list("pk", flat=True)
        )
    )


def _mail_addresses(organisation_ids: Iterable[int]) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                organisation__in=list(organisation_ids),
                organisation__is_active=True,
                role__in=ALERT_MAIL_ROLES,
                is_active=True,
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _mail(alert: Alert, kind: str) -> None:
    """E-mail the alert to its recipients' staff once the transaction commits (no personal data in it)."""
    addresses = _mail_addresses(alert.recipients.values_list("pk", flat=True))
    if not addresses:
        return
    values = {
        "group": alert.group.name,
        "region": alert.region,
        "score": alert.score,
        "level": risk_level(alert.score).label,
        "observations": alert.observations,
        "days": alert.window_days,
    }
    if kind == EventKind.ESCALATED:
        subject = _("NRM early warning: risk rising for %(group)s in %(region)s") % values
    else:
        subject = _("NRM early warning: %(group)s in %(region)s") % values
    body = _(
        "An early-warning alert for %(group)s in %(region)s: risk score %(score)s (%(level)s) from "
        "%(observations)s observations in the last %(days)s days.\n\nSee it in NRM: /early-warning/alerts/%(pk)s/\n"
    ) % {**values, "pk": alert.pk}

    def send() -> None:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, bcc=addresses, connection=get_connection()).send()

    transaction.on_commit(send)


def _evaluate_cell(
    group: VulnerableGroup, region: str, *, as_of: dt.date, at: dt.datetime, actor=None
) -> tuple[str, Alert] | None:
    """Raise or escalate the cell's alert if it crosses a threshold; return what was done, if anything."""
    crossing = _crossing(group, region, as_of)
    current = (
        Alert.objects.select_for_update()
        .filter(group=group, region=region, status__in=ACTIVE_ALERT_STATES)
        .order_by("-raised_at", "-pk")
        .first()
    )
    if crossing is None or (current is not None and crossing[1].score <= current.score):
        return None
    threshold, cell = crossing
    recipients = _recipients(group, region, as_of, threshold.window_days)
    figures = {
        "score": cell.score,
        "likelihood": cell.likelihood,
        "impact": cell.impact,
        "observations": cell.observations,
        "persons_concerned": cell.persons,
        "window_days": threshold.window_days,
    }
    if current is None:
        alert = Alert.objects.create(group=group, region=region, threshold=threshold, raised_at=at, **figures)
        kind = EventKind.RAISED
    else:
        alert = current
        for name, value in figures.items():
            setattr(alert, name, value)
        alert.threshold = threshold
        alert.save()
        kind = EventKind.ESCALATED
    alert.recipients.add(*recipients)
    AlertEvent.objects.create(alert=alert, at=at, kind=kind, score=cell.score)
    audit_record(
        actor=actor or SYSTEM,
        action=f"earlywarning.alert_{'raise' if kind == EventKind.RAISED else 'escalate'}",
        object_type="warning_alert",
        object_id=alert.pk,
        detail={
            "group": group.code,
            "region": region,
            "as_of": as_of.isoformat(),
            "threshold": threshold.pk,
            "recipients": recipients,
            **figures,
        },
    )
    _mail(alert, kind)
    if kind == EventKind.RAISED:
        from nrm.tasks.services import on_alert_raised

        on_alert_raised(alert, ALERT_MAIL_ROLES)
    return kind, alert


@atomic_audited
def alerts_evaluate(
    *, as_of: dt.date | None = None, at: dt.datetime | None = None, actor: User | None = None
) -> list[tuple[str, Alert]]:
    """Re-evaluate every cell with observations in the widest active window ending ``as_of`` (default today).

    Windows slide with time, so a cell may cross a threshold without a new observation. ``at``
    is the time the evaluation stands for (now by default; the demo replays its history).
    Returns what was raised or escalated.
    """
    as_of = as_of or timezone.localdate()
    at = at or timezone.now()
    widest = max(AlertThreshold.objects.filter(is_active=True).values_list("window_days", flat=True), default=0)
    if not widest:
        return []
    keys = (
        unrestricted(Observation, "early warning")
        .filter(observed_on__gte=risk.window_start(as_of, widest), observed_on__lte=as_of)
        .order_by("group_id", "region")
        .values_list("group_id", "region")
        .distinct()
    )
    groups = {g.pk: g for g in VulnerableGroup.objects.all()}
    done = []
    for group_id, region in list(keys):
        result = _evaluate_cell(groups[group_id], region, as_of=as_of, at=at, actor=actor)
        if result:
            done.append(result)
    return done


# --- Alert steps -----------------------------------------------------------------------------


def acting_organisation(actor: User, alert: Alert) -> int | None:
    """Return the organisation ``actor`` acknowledges ``alert`` for, or None if they may not.

    The Coordinator's office may, for any alert; so may the staff of a recipient organisation
    (observing roles, not analysts).
    """
    manage = warning_organisations(actor, WarningAction.MANAGE)
    if manage:
        return manage[0]
    mine = set(warning_organisations(actor, WarningAction.OBSERVE))
    theirs = set(alert.recipients.values_list("pk", flat=True))
    both = sorted(mine & theirs)
    return both[0] if both else None


def _locked(actor: User, alert: Alert, action: str) -> Alert:
    found = get_or_deny(
        Alert.objects.select_for_update(),
        actor,
        WarningAction.VIEW,
        object_type="warning_alert",
        audit_action=action,
        pk=alert.pk,
    )
    return found


def _step(actor: User, alert: Alert, kind: str, status: str, note: str, at, organisation_id) -> Alert:
    alert.status = status
    alert.save(update_fields=["status", "updated_at"])
    AlertEvent.objects.create(
        alert=alert,
        at=at or timezone.now(),
        actor=actor,
        organisation_id=organisation_id,
        kind=kind,
        score=alert.score,
        note=check_text("note", note, TEXT_MAX_LENGTH),
    )
    audit_record(
        actor=actor,
        action=f"earlywarning.alert_{kind}",
        object_type="warning_alert",
        object_id=alert.pk,
        organisation_id=organisation_id,
        detail={"status": status},
    )
    return alert


@atomic_audited
def alert_acknowledge(*, actor: User, alert: Alert, note: str = "", at: dt.datetime | None = None) -> Alert:
    """Acknowledge an open alert: the Coordinator's office or a recipient organisation's staff."""
    found = _locked(actor, alert, "earlywarning.alert_acknowledged")
    org = acting_organisation(actor, found)
    if org is None:
        raise denied(
            actor=actor,
            action="earlywarning.alert_acknowledged",
            object_type="warning_alert",
            object_id=alert.pk,
            reason="not a recipient's staff",
        )
    if found.status != AlertStatus.OPEN:
        raise Conflict(_("Only an open alert can be acknowledged."), field="status")
    return _step(actor, found, EventKind.ACKNOWLEDGED, AlertStatus.ACKNOWLEDGED, note, at, org)


@atomic_audited
def alert_close(*, actor: User, alert: Alert, note: str, at: dt.datetime | None = None) -> Alert:
    """Close an alert, saying why: the Coordinator's office only."""
    found = _locked(actor, alert, "earlywarning.alert_closed")
    if not manages_early_warning(actor):
        raise denied(
            actor=actor,
            action="earlywarning.alert_closed",
            object_type="warning_alert",
            object_id=alert.pk,
            reason="alerts are closed by the Coordinator's office",
        )
    note = check_text("note", note, TEXT_MAX_LENGTH)
    if not note:
        raise invalid("note", _("Say why the alert is closed."))
    if found.status == AlertStatus.CLOSED:
        raise Conflict(_("This alert is already closed."), field="status")
    return _step(
        actor,
        found,
        EventKind.CLOSED,
        AlertStatus.CLOSED,
        note,
        at,
        warning_organisations(actor, WarningAction.MANAGE)[0],
    )


@atomic_audited
def alert_reopen(*, actor: User, alert: Alert, note: str, at: dt.datetime | None = None) -> Alert:
    """Reopen a closed alert, saying why: the Coordinator's office only; refused if the cell has another open alert."""
    found = _locked(actor, alert, "earlywarning.alert_reopened")
    if not manages_early_warning(actor):
        raise denied(
            actor=actor,
            action="earlywarning.alert_reopened",
            object_type="warning_alert",
            object_id=alert.pk,
            reason="alerts are reopened by the Coordinator's office",
        )
    note = check_text("note", note, TEXT_MAX_LENGTH)
    if not note:
        raise invalid("note", _("Say why the alert is reopened."))
    if found.status != AlertStatus.CLOSED:
        raise Conflict(_("Only a closed alert can be reopened."), field="status")
    other = Alert.objects.filter(group=found.group_id, region=found.region, status__in=ACTIVE_ALERT_STATES)
    if other.exists():
        raise Conflict(_("This group and region already have an open alert."), field="status")
    return _step(
        actor,
        found,
        EventKind.REOPENED,
        AlertStatus.OPEN,
        note,
        at,
        warning_organisations(actor, WarningAction.MANAGE)[0],
    )
