"""Reads of criminal proceedings and their statistics; each starts from the access rule.

Two ways in: the justice organisations of a proceeding see all of it (:func:`proceeding_get`,
defendants' identity included, audited); whoever may see a victim's case sees that victim's part
(:func:`victim_part_get`: the proceeding's summary, the victim's role, protection and
compensation, audited), never the defendants. The statistics are aggregate rows: national for
the Coordinator's office and analysts, a justice organisation's own proceedings for its staff.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Prefetch, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    Action,
    JusticeAction,
    get_or_deny,
    justice_organisations,
    reads_national_statistics,
    restrict,
)
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, audited_read
from nrm.cases.choices import Decision
from nrm.cases.models import Case
from nrm.core.params import year_param
from nrm.justice.choices import Outcome
from nrm.justice.models import Charge, Offence, Proceeding, ProceedingVictim, Verdict
from nrm.reporting.engine import StatTable

UNKNOWN = "unknown"
ZERO = Decimal("0.00")
# Encrypted fields of the case a victim's part points to: never needed here, so never decrypted.
CASE_SECRETS = ("case__best_interests_note",)
CASE_FIELDS_SECRET = tuple(name.removeprefix("case__") for name in CASE_SECRETS)


def proceeding_list(
    user: User, *, stage: str = "", year: int | str | None = None, form: str = "", q: str = ""
) -> QuerySet[Proceeding]:
    """Return the proceedings ``user``'s justice organisations hold, filtered; no identity is read."""
    qs = (
        restrict(Proceeding.objects.all(), user, JusticeAction.VIEW)
        .select_related("owner")
        .prefetch_related("forms")
        .annotate(
            defendant_count=Count("defendants", distinct=True),
            victim_count=Count("victims", distinct=True),
        )
        .defer("notes")
    )
    if stage:
        qs = qs.filter(stage=stage)
    if (started := year_param(year)) is not None:
        qs = qs.filter(investigation_on__year=started)
    if form:
        qs = qs.filter(pk__in=Proceeding.objects.filter(forms__code=form).values("pk"))
    if q:
        qs = qs.filter(reference__icontains=q.strip())
    return qs.order_by("-investigation_on", "-id")


@dataclass
class ProceedingView:
    """A proceeding as a justice organisation sees it, with what the user may do there."""

    proceeding: Proceeding
    can_edit: bool
    is_owner: bool


@audited_read
def proceeding_get(user: User, pk: int, *, reason: str = "view") -> ProceedingView:
    """Return a proceeding of ``user``'s justice organisations, audited first; anything else is NotFound.

    Its defendants' identity is shown, so the read is audited with ``identity``; a denied
    attempt is audited too.
    """
    proceeding = get_or_deny(
        Proceeding.objects.select_related("owner"),
        user,
        JusticeAction.VIEW,
        object_type="proceeding",
        audit_action="proceeding.view",
        audit_reason=reason[:200],
        pk=pk,
    )
    prefetch_related_objects(
        [proceeding],
        "forms",
        "shares__organisation",
        "assets",
        Prefetch(
            "defendants__charges",
            Charge.objects.select_related("offence").prefetch_related(
                Prefetch("verdicts", Verdict.objects.order_by("decided_on", "id"))
            ),
        ),
        Prefetch(
            "victims",
            ProceedingVictim.objects.select_related("case")
            .defer(*CASE_SECRETS)
            .prefetch_related("protection_measures"),
        ),
    )
    mine = set(justice_organisations(user, JusticeAction.VIEW))
    is_owner = proceeding.owner_id in mine
    acting = proceeding.owner_id if is_owner else min(mine & {s.organisation_id for s in proceeding.shares.all()})
    can_edit = restrict(Proceeding.objects.all(), user, JusticeAction.EDIT).filter(pk=pk).exists()
    audit_record(
        actor=user,
        action="proceeding.view",
        object_type="proceeding",
        object_id=proceeding.pk,
        organisation_id=acting,
        reason=reason[:200],
        detail={"identity": True},
    )
    return ProceedingView(proceeding=proceeding, can_edit=can_edit, is_owner=is_owner)


@atomic_audited
def proceeding_for_edit(user: User, pk: int, action: JusticeAction = JusticeAction.EDIT) -> Proceeding:
    """Return a proceeding ``user`` may ``action`` (edit, or share), for a write form; else NotFound, audited.

    No identity is decrypted here; the services lock and check the proceeding again.
    """
    proceeding = get_or_deny(
        Proceeding.objects.select_related("owner").defer("notes"),
        user,
        action,
        object_type="proceeding",
        audit_action=f"proceeding.{action}",
        audit_reason="web",
        pk=pk,
    )
    return proceeding


def cases_by_reference(user: User, references: list[str]) -> tuple[list[Case], list[str]]:
    """Return the cases ``user`` may see among ``references``, and the references not found.

    A case outside the case rule is "not found", exactly like a reference that does not exist.
    """
    found = list(
        restrict(Case.objects.all(), user, Action.VIEW, one=True)
        .filter(reference__in=references)
        .defer(*CASE_FIELDS_SECRET)
    )
    missing = sorted(set(references) - {c.reference for c in found})
    return found, missing


# --- A victim's part -------------------------------------------------------------------------


def victim_part_list(user: User, *, case: int | None = None) -> QuerySet[ProceedingVictim]:
    """Return the victims' parts of proceedings ``user`` may see: by the justice or the case rule."""
    qs = (
        restrict(ProceedingVictim.objects.all(), user, JusticeAction.VIEW)
        .select_related("proceeding", "proceeding__owner", "case")
        .prefetch_related("protection_measures")
        .defer("proceeding__notes", *CASE_SECRETS)
    )
    if case is not None:
        qs = qs.filter(case_id=case)
    return qs.order_by("-proceeding__investigation_on", "-id")


@dataclass
class VictimPartView:
    """A victim's part with the proceeding's summary; nothing about any defendant but counts."""

    part: ProceedingVictim
    offences: list[Offence]
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)
    can_edit: bool = False


def verdict_summary(proceeding_id: int) -> dict[str, dict[str, int]]:
    """Return, per instance, how many defendants were convicted, acquitted or had charges dismissed.

    A defendant convicted on any charge counts as convicted; else acquitted if acquitted on any;
    else dismissed. Reads ids and codes only, never a defendant's identity.
    """
    outcomes: dict[tuple[str, int], set[str]] = defaultdict(set)
    rows = Verdict.objects.filter(charge__defendant__proceeding_id=proceeding_id).values_list(
        "instance", "charge__defendant_id", "outcome"
    )
    for instance, defendant, outcome in rows:
        outcomes[(instance, defendant)].add(outcome)
    summary: dict[str, dict[str, int]] = {}
    for (instance, _defendant), found in sorted(outcomes.items()):
        worst = next(o for o in (Outcome.CONVICTED, Outcome.ACQUITTED, Outcome.DISMISSED) if o in found)
        counts = summary.setdefault(instance, {o.value: 0 for o in Outcome})
        counts[worst] += 1
    return summary


@audited_read
def victim_part_get(user: User, pk: int, *, reason: str = "view") -> VictimPartView:
    """Return one victim's part of a proceeding ``user`` may see, audited; anything else is NotFound."""
    part = get_or_deny(
        victim_part_list(user),
        user,
        JusticeAction.VIEW,
        object_type="proceeding_victim",
        audit_action="proceeding.victim.view",
        pk=pk,
    )
    offences = list(Offence.objects.filter(charges__defendant__proceeding=part.proceeding_id).distinct())
    can_edit = restrict(Proceeding.objects.all(), user, JusticeAction.EDIT).filter(pk=part.proceeding_id).exists()
    audit_record(
        actor=user,
        action="proceeding.victim.view",
        object_type="case",
        object_id=part.case_id,
        reason=reason[:200],
        detail={"proceeding": part.proceeding_id, "part": part.pk},
    )
    return VictimPartView(part=part, offences=offences, verdicts=verdict_summary(part.proceeding_id), can_edit=can_edit)


# --- Statistics ------------------------------------------------------------------------------
# The counts are the statistics engine's standard tables of the family "justice" (see
# nrm.justice.statistics), with its disclosure control. Amounts and medians are not counts: they
# are published beside a count of those tables only where that count is published.

AMOUNTS_TABLE = "justice_victims_compensation"
MEDIAN_TABLE = "justice_time_to_verdict"
# The assets tables, each with the kind of decision it counts (its fixed filter).
ASSET_TABLES = {"justice_assets_confiscated": "confiscated", "justice_assets_seized": "seized"}


def can_read_statistics(user: User) -> bool:
    """Return True if ``user`` reads the justice statistics: national readers and justice staff."""
    return reads_national_statistics(user) or bool(justice_organisations(user, JusticeAction.VIEW))


def _check_statistics(user: User) -> None:
    if not can_read_statistics(user):
        raise PermissionDenied(_("Justice statistics are for the Coordinator's office, analysts and justice staff."))


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _matches(key: dict, row: dict) -> bool:
    """Return True if ``row`` falls in the cell or margin ``key`` (None sums a dimension over)."""
    return all(value is None or row.get(name) == value for name, value in key.items())


def compensation_amounts(table: StatTable, *, year: int | None = None) -> list[dict]:
    """Return, per cell of the compensation table, the amounts awarded and paid, by currency.

    A cell whose count is suppressed gets no amounts (``suppressed``: True): the amounts of a
    few victims would single them out. Currencies are never added together.
    """
    from nrm.justice.statistics import compensation_status, victim_parts

    parts = victim_parts()  # the parts the table counts, so no amount of an uncounted victim
    if year is not None:
        parts = parts.filter(proceeding__investigation_on__year=year)
    rows = list(
        parts.annotate(year=ExtractYear("proceeding__investigation_on"), status=compensation_status())
        .values("year", "status", "compensation_currency")
        .annotate(awarded=Sum("compensation_awarded"), paid=Sum("compensation_paid"))
        .order_by()
    )
    for row in rows:
        row["compensation_status"] = row.pop("status")
    out = []
    for cell in (*table.cells, *table.totals):
        entry = {**cell.key, "count": cell.count, "suppressed": cell.suppressed, "amounts": None}
        if not cell.suppressed:
            sums: dict[str, dict[str, Decimal]] = {}
            for row in rows:
                if _matches(cell.key, row) and row["compensation_currency"] and (row["awarded"] or row["paid"]):
                    found = sums.setdefault(row["compensation_currency"], {"awarded": ZERO, "paid": ZERO})
                    found["awarded"] += Decimal(row["awarded"] or 0)
                    found["paid"] += Decimal(row["paid"] or 0)
            entry["amounts"] = [
                {"currency": c, "awarded": str(v["awarded"].quantize(ZERO)), "paid": str(v["paid"].quantize(ZERO))}
                for c, v in sorted(sums.items())
            ]
        out.append(entry)
    return out


def asset_amounts(table: StatTable, *, kind: str) -> list[dict]:
    """Return, per cell of an assets table (by year), the amounts of ``kind`` seized or confiscated, by currency.

    The same records the table counts. A cell whose count of proceedings is suppressed gets no
    amounts (``suppressed``: True): the amount of one or two proceedings would point at them.
    Currencies are never added together.
    """
    from nrm.justice.statistics import asset_decisions

    records = asset_decisions().filter(kind=kind)
    years = [y for y in table.filters.get("year", []) if y != UNKNOWN]
    if years:
        records = records.filter(decided_on__year__in=years)
    rows = list(
        records.annotate(year=ExtractYear("decided_on"))
        .values("year", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    out = []
    for cell in (*table.cells, *table.totals):
        entry = {**cell.key, "count": cell.count, "suppressed": cell.suppressed, "amounts": None}
        if not cell.suppressed:
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for row in rows:
                if _matches(cell.key, row):
                    sums[row["currency"]] += Decimal(row["amount"] or 0)
            entry["amounts"] = [{"currency": c, "amount": str(v.quantize(ZERO))} for c, v in sorted(sums.items())]
        out.append(entry)
    return out


def days_to_verdict() -> list[tuple[int, int]]:
    """Return (year of the first-instance verdict, days since identification) per identified victim's part.

    From the case's first decision "identified" to the proceeding's first first-instance verdict:
    the same parts the engine's population ``justice_to_verdict`` counts.
    """
    from nrm.cases.models import Identification
    from nrm.justice.statistics import identified_parts

    parts = list(identified_parts().values_list("case_id", "proceeding__first_verdict_on"))
    first = dict(
        Identification.objects.filter(case__in={c for c, _on in parts}, decision=Decision.IDENTIFIED)
        .values("case_id")
        .annotate(on=Min("decided_on"))
        .values_list("case_id", "on")
    )
    return [(verdict_on.year, (verdict_on - first[case]).days) for case, verdict_on in parts]


def verdict_medians(table: StatTable) -> list[dict]:
    """Return, per cell of the time-to-verdict table, the median days; None where the count is suppressed."""
    values = days_to_verdict()
    out = []
    for cell in (*table.cells, *table.totals):
        year = cell.key.get("year")
        years = [year] if year is not None else table.filters.get("year")
        days = [d for y, d in values if not years or y in years]
        median = None if cell.suppressed else _median(days)
        out.append({**cell.key, "count": cell.count, "suppressed": cell.suppressed, "median_days": median})
    return out


@dataclass
class PublishedTable:
    """An engine table of the family "justice", with the amounts or medians published beside it.

    ``amounts`` are compensation's (awarded and paid), ``assets`` the amounts seized or
    confiscated; both are the API's ``amounts``, a table having one or the other.
    """

    table: StatTable
    amounts: list[dict] | None = None
    medians: list[dict] | None = None
    assets: list[dict] | None = None

    def as_dict(self) -> dict:
        data = self.table.as_dict()
        if self.amounts is not None:
            data["amounts"] = self.amounts
        if self.assets is not None:
            data["amounts"] = self.assets
        if self.medians is not None:
            data["medians"] = self.medians
        return data


def justice_statistics(user: User, *, year: int | None = None) -> list[PublishedTable]:
    """Return the justice standard tables as ``user`` may read them: always with disclosure control.

    For the Coordinator's office, analysts and justice staff; anyone else is refused with
    PermissionDenied. ``year`` narrows every table to one year.
    """
    from nrm.reporting.selectors import report_table
    from nrm.reporting.tables import REPORTS

    _check_statistics(user)
    filters = {"year": [year]} if year is not None else None
    out = []
    for report in REPORTS.values():
        if report.family != "justice":
            continue
        table = report_table(user, report.name, filters=filters)
        published = PublishedTable(table)
        if report.name == AMOUNTS_TABLE:
            published.amounts = compensation_amounts(table, year=year)
        elif report.name == MEDIAN_TABLE:
            published.medians = verdict_medians(table)
        elif report.name in ASSET_TABLES:
            published.assets = asset_amounts(table, kind=ASSET_TABLES[report.name])
        out.append(published)
    return out
