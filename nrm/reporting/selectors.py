"""Reads of the statistics, for pages, the API, exports and the command line: the access rule first.

Who may read what:

- Published tables (suppressed, never an identity) are aggregate statistics: any signed-in user
  with an active role in some organisation may read them, coordinators and analysts for their
  work, case staff to see the mechanism they work in. A user without a role gets nothing.
- Raw counts (no disclosure control) only for the admin role, and from the local command line;
  every raw read is audited (``stats.raw``), and so is every refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from nrm.accounts.access import reads_national_statistics, roles, unrestricted
from nrm.accounts.choices import Role
from nrm.accounts.models import User
from nrm.audit.services import audit_record
from nrm.core.errors import invalid
from nrm.reporting import disclosure, engine
from nrm.reporting.engine import StatTable
from nrm.reporting.tables import REPORTS, Report, get_report

RAW_ROLES = {Role.ADMIN}
AD_HOC = "ad-hoc"  # the audit's object id of a table asked for by dimensions; the detail names them


class StatsDenied(PermissionError):
    """The user may not read these statistics (no role), or not raw; answered 403, audited when raw."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def can_read_stats(user: User) -> bool:
    """Return True if ``user`` may read published (suppressed) statistics: any active role."""
    return bool(user.is_authenticated and roles(user))


def can_read_raw(user: User) -> bool:
    """Return True if ``user`` may read raw counts: the admin role only."""
    return bool(user.is_authenticated and roles(user) & RAW_ROLES)


def _check(user: User, *, raw: bool, what: str, detail: dict) -> None:
    """Refuse a user without a role; audit every request for raw counts, and refuse it but for admins."""
    if not can_read_stats(user):
        raise StatsDenied(_("Statistics are for users with a role in an organisation."))
    if raw:
        allowed = can_read_raw(user)
        audit_record(
            actor=user,
            action="stats.raw",
            object_type="stats",
            object_id=what,
            outcome="allowed" if allowed else "denied",
            reason="" if allowed else "raw counts are for the admin role",
            detail=detail,
        )
        if not allowed:
            raise StatsDenied(_("Raw counts are for administrators only."), field="raw")


def published_threshold(threshold: int | None, *, raw: bool) -> int | None:
    """Refuse a reader's threshold other than the configured one: two patterns could be subtracted."""
    if raw or threshold is None or threshold == engine.threshold_default():
        return threshold
    raise invalid(
        "threshold",
        _("Published tables all use the threshold %(n)s, so that no two of them can be compared.")
        % {"n": engine.threshold_default()},
    )


def stats_table(
    user: User,
    *,
    by: str | list[str],
    source: str = engine.NATIONAL,
    population: str = "registered",
    filters: Mapping[str, Any] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    raw: bool = False,
) -> StatTable:
    """Return the table of ``population`` by ``by`` as ``user`` may see it (suppressed unless raw)."""
    dims = engine.parse_dims(by)
    _check(
        user,
        raw=raw,
        what=AD_HOC,
        detail={"source": source, "population": population, "by": dims, "filters": dict(filters or {})},
    )
    return engine.count_table(
        by=dims,
        source=source,
        population=population,
        filters=filters,
        threshold=published_threshold(threshold, raw=raw),
        rounding=rounding,
        raw=raw,
    )


def report_table(
    user: User,
    name: str,
    *,
    source: str = engine.NATIONAL,
    filters: Mapping[str, Any] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    raw: bool = False,
) -> StatTable:
    """Return the standard table ``name`` as ``user`` may see it, narrowed by ``filters``."""
    report = get_report(name)
    _check(
        user,
        raw=raw,
        what=name,
        detail={"source": source, "table": name, "filters": dict(filters or {})},
    )
    return run_report(report, source=source, filters=filters, threshold=threshold, rounding=rounding, raw=raw)


def run_report(
    report: Report,
    *,
    source: str = engine.NATIONAL,
    filters: Mapping[str, Any] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    raw: bool = False,
) -> StatTable:
    """Compute ``report``; no access check (the command line and the selectors above call it)."""
    extra = engine.parse_filters(filters)
    fixed = [name for name in extra if name in report.filters]
    if fixed:
        raise invalid(fixed[0], _("This table fixes that dimension."))
    notes = [str(report.description)] if report.description else []
    notes.append(_("Counted by: %(basis)s.") % {"basis": report.counts_by})
    table = engine.count_table(
        by=list(report.dims),
        source=source,
        population=report.population,
        filters=extra,
        fixed=report.filters,
        threshold=threshold,
        rounding=rounding,
        raw=raw,
        name=report.name,
        title=str(report.title),
        notes=notes,
    )
    table.counts_by = str(report.counts_by)
    return table


def publishable_dimensions(population: str, source: str = engine.NATIONAL) -> list[tuple[str, ...]]:
    """Return the sets of dimensions an ad-hoc table of ``population`` may use (one of them, or fewer)."""
    from nrm.reporting.protect import family

    if population not in engine.POPULATIONS:
        raise invalid("population", _("Unknown population."))
    return [spec.dims for spec in family(population, source) if not spec.fixed]


def report_list(user: User) -> list[Report]:
    """Return the standard tables, in registry order (empty for a user who may not read statistics)."""
    return list(REPORTS.values()) if can_read_stats(user) else []


def dataset_list(user: User) -> list[dict]:
    """Return the external data sets a table can be computed over: name, source, rows, when imported."""
    from nrm.exchange.models import ExternalDataset

    if not can_read_stats(user):
        return []
    return list(ExternalDataset.objects.order_by("name").values("name", "source", "row_count", "imported_at"))


@dataclass(frozen=True)
class LeftOut:
    """How many cases the statistics leave out for want of consent, as published.

    ``count`` is None when it is suppressed (fewer than ``threshold``, never zero).
    """

    count: int | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.count is None


def statistics_left_out(user: User) -> LeftOut | None:
    """Return how many cases no count includes for want of the consent "use in statistics".

    For the Coordinator's office and analysts, who must know what the published numbers leave
    out; None for anyone else, and when nothing is left out (always so under the legal basis).
    The count passes the same primary suppression as a table's cell: a small one is not shown.
    """
    from nrm.cases.selectors import cases_left_out_of_statistics

    if not reads_national_statistics(user):
        return None
    count = cases_left_out_of_statistics()
    if count == 0:
        return None
    threshold = engine.threshold_default()
    hidden = disclosure.suppress({(): count}, (), threshold)
    return LeftOut(count=None if hidden else count, threshold=threshold)


# --- Publications and what is new since the last one -----------------------------------------


def may_publish(user: User) -> bool:
    """Return True if ``user`` may publish statistics: the Coordinator's office and analysts."""
    return bool(user.is_authenticated and reads_national_statistics(user))


def publication_list(user: User):
    """Return the publications of statistics, newest first (empty for a user who may not read statistics)."""
    from nrm.reporting.models import Publication

    qs = Publication.objects.select_related("published_by").order_by("-published_at", "-pk")
    return qs if can_read_stats(user) else qs.none()


@dataclass(frozen=True)
class NewCount:
    """How many records were added or changed; ``count`` None when suppressed for this reader."""

    label: str
    count: int | None

    def display(self) -> str:
        return engine.MARKER if self.count is None else str(self.count)


@dataclass(frozen=True)
class NewData:
    """What changed since the last publication (``last`` None: nothing published yet, so since the start)."""

    last: Any
    rows: list[NewCount]
    suppressed: bool

    @property
    def since(self):
        return self.last.published_at if self.last else None


def new_since_publication(user: User) -> NewData | None:
    """Return the cases and screenings added or changed since the last publication of statistics.

    For the Coordinator's office and analysts (None for anyone else). Counts only: cases as the
    statistics count them (:func:`nrm.cases.selectors.cases_usable_for_statistics`), screenings
    all. An analyst reads the counts as they are, to decide whether to publish; anyone else gets
    them through primary suppression like any published cell, so a small count is not shown.
    """
    from nrm.cases.models import Screening
    from nrm.cases.selectors import cases_usable_for_statistics
    from nrm.reporting.models import Publication

    if not may_publish(user):
        return None
    last = Publication.objects.order_by("-published_at", "-pk").first()
    counts: list[tuple[str, int]] = []
    for label_added, label_changed, qs in (
        (_("Cases added"), _("Cases changed"), cases_usable_for_statistics()),
        (
            _("Screenings added"),
            _("Screenings changed"),
            unrestricted(Screening, "national statistics"),
        ),
    ):
        if last is None:
            counts.append((label_added, qs.count()))
            continue
        since = last.published_at
        counts.append((label_added, qs.filter(created_at__gt=since).count()))
        counts.append((label_changed, qs.filter(created_at__lte=since, updated_at__gt=since).count()))
    suppress = Role.ANALYST not in roles(user)
    threshold = engine.threshold_default()
    rows = []
    for label, count in counts:
        hidden = suppress and bool(disclosure.suppress({(): count}, (), threshold))
        rows.append(NewCount(label=label, count=None if hidden else count))
    return NewData(last=last, rows=rows, suppressed=suppress)
