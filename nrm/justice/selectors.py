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
from django.db.models import Count, F, Min, Prefetch, Q, QuerySet, Sum, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    JusticeAction,
    justice_org_ids,
    proceeding_filter,
    proceeding_victim_filter,
    reads_national_statistics,
)
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.choices import Decision
from nrm.justice.choices import Instance, Outcome
from nrm.justice.models import Charge, Defendant, Offence, Proceeding, ProceedingVictim, Verdict

UNKNOWN = "unknown"
ZERO = Decimal("0.00")
# Encrypted fields of the case a victim's part points to: never needed here, so never decrypted.
CASE_SECRETS = ("case__guardian", "case__best_interests_note")


def proceeding_list(
    user: User, *, stage: str = "", year: str = "", form: str = "", q: str = ""
) -> QuerySet[Proceeding]:
    """Return the proceedings ``user``'s justice organisations hold, filtered; no identity is read."""
    qs = (
        Proceeding.objects.filter(proceeding_filter(user, JusticeAction.VIEW))
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
    if year.isdigit():
        qs = qs.filter(investigation_on__year=int(year))
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


@atomic_audited
def proceeding_get(user: User, pk: int, *, reason: str = "view") -> ProceedingView:
    """Return a proceeding of ``user``'s justice organisations, audited first; anything else is NotFound.

    Its defendants' identity is shown, so the read is audited with ``identity``; a denied
    attempt is audited too.
    """
    proceeding = (
        Proceeding.objects.filter(proceeding_filter(user, JusticeAction.VIEW), pk=pk).select_related("owner").first()
    )
    if proceeding is None:
        raise denied(actor=user, action="proceeding.view", object_type="proceeding", object_id=pk, reason=reason[:200])
    prefetch_related_objects(
        [proceeding],
        "forms",
        "shares__organisation",
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
    mine = set(justice_org_ids(user, JusticeAction.VIEW))
    is_owner = proceeding.owner_id in mine
    acting = proceeding.owner_id if is_owner else min(mine & {s.organisation_id for s in proceeding.shares.all()})
    can_edit = Proceeding.objects.filter(proceeding_filter(user, JusticeAction.EDIT), pk=pk).exists()
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


# --- A victim's part -------------------------------------------------------------------------


def victim_part_list(user: User, *, case: int | None = None) -> QuerySet[ProceedingVictim]:
    """Return the victims' parts of proceedings ``user`` may see: by the justice or the case rule."""
    qs = (
        ProceedingVictim.objects.filter(proceeding_victim_filter(user))
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


@atomic_audited
def victim_part_get(user: User, pk: int, *, reason: str = "view") -> VictimPartView:
    """Return one victim's part of a proceeding ``user`` may see, audited; anything else is NotFound."""
    part = victim_part_list(user).filter(pk=pk).first()
    if part is None:
        raise denied(actor=user, action="proceeding.victim.view", object_type="proceeding_victim", object_id=pk)
    offences = list(Offence.objects.filter(charges__defendant__proceeding=part.proceeding_id).distinct())
    can_edit = Proceeding.objects.filter(proceeding_filter(user, JusticeAction.EDIT), pk=part.proceeding_id).exists()
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
# Each ``*_rows`` function takes the proceedings to count and returns plain rows (codes, years,
# counts, amounts, medians), so that the reporting engine can apply disclosure control to them.
# The ``justice_*`` functions choose the proceedings by who is asking.


def statistics_scope(user: User) -> QuerySet[Proceeding]:
    """Return the proceedings ``user``'s statistics count: all for national readers, else their own.

    A user who is neither (an NGO, a case worker) is refused with PermissionDenied.
    """
    if reads_national_statistics(user):
        return Proceeding.objects.all()
    if justice_org_ids(user, JusticeAction.VIEW):
        return Proceeding.objects.filter(proceeding_filter(user, JusticeAction.VIEW))
    raise PermissionDenied(_("Justice statistics are for the Coordinator's office, analysts and justice staff."))


def _form(prefix: str = ""):
    return Coalesce(F(f"{prefix}forms__code"), Value(UNKNOWN))


def prosecution_rows(proceedings: QuerySet[Proceeding]) -> list[dict]:
    """Return investigations, prosecutions and convictions by year and form of exploitation.

    - ``investigations``: proceedings whose investigation began in the year;
    - ``prosecutions``: proceedings indicted in the year; ``prosecuted``: their defendants
      charged with a trafficking offence;
    - ``convicted_first_instance`` and ``convicted``: defendants convicted of a trafficking
      offence at first instance, and by a final verdict, given in the year.

    A proceeding with two forms of exploitation falls in two rows; one without, in ``unknown``.
    """
    ids = proceedings.values("pk")
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)

    def add(name: str, rows) -> None:
        for row in rows:
            counts[(row["year"], row["form"])][name] = row["n"]

    base = Proceeding.objects.filter(pk__in=ids)
    add(
        "investigations",
        base.annotate(year=ExtractYear("investigation_on"), form=_form())
        .values("year", "form")
        .annotate(n=Count("pk", distinct=True)),
    )
    add(
        "prosecutions",
        base.filter(indicted_on__isnull=False)
        .annotate(year=ExtractYear("indicted_on"), form=_form())
        .values("year", "form")
        .annotate(n=Count("pk", distinct=True)),
    )
    add(
        "prosecuted",
        Defendant.objects.filter(
            proceeding__in=ids, proceeding__indicted_on__isnull=False, charges__offence__is_trafficking=True
        )
        .annotate(year=ExtractYear("proceeding__indicted_on"), form=_form("proceeding__"))
        .values("year", "form")
        .annotate(n=Count("pk", distinct=True)),
    )
    convictions = (
        Verdict.objects.filter(
            charge__defendant__proceeding__in=ids, outcome=Outcome.CONVICTED, charge__offence__is_trafficking=True
        )
        .annotate(year=ExtractYear("decided_on"), form=_form("charge__defendant__proceeding__"))
        .values("year", "form", "instance")
        .annotate(n=Count("charge__defendant", distinct=True))
    )
    for row in convictions:
        name = "convicted" if row["instance"] == Instance.FINAL else "convicted_first_instance"
        counts[(row["year"], row["form"])][name] = row["n"]
    names = ["investigations", "prosecutions", "prosecuted", "convicted_first_instance", "convicted"]
    return [
        {"year": year, "form": form, **{n: found.get(n, 0) for n in names}}
        for (year, form), found in sorted(counts.items())
    ]


def compensation_rows(proceedings: QuerySet[Proceeding]) -> list[dict]:
    """Return compensation claimed, awarded and paid to victims, by year and currency.

    Each step counts in the year of its own date: ``claims`` victims who claimed and the
    ``claimed`` total, ``awards`` and ``awarded``, ``payments`` and ``paid`` (paid so far).
    Amounts are Decimals; currencies are never added together.
    """
    parts = ProceedingVictim.objects.filter(proceeding__in=proceedings.values("pk"))
    steps = [
        ("claims", "claimed", "compensation_claimed", "claimed_on"),
        ("awards", "awarded", "compensation_awarded", "awarded_on"),
        ("payments", "paid", "compensation_paid", "paid_on"),
    ]
    rows: dict[tuple[int, str], dict] = {}
    for count_name, sum_name, amount, on in steps:
        grouped = (
            parts.filter(**{f"{on}__isnull": False, f"{amount}__isnull": False})
            .annotate(year=ExtractYear(on), currency=F("compensation_currency"))
            .values("year", "currency")
            .annotate(n=Count("pk"), total=Sum(amount))
        )
        for row in grouped:
            entry = rows.setdefault(
                (row["year"], row["currency"]),
                {"claims": 0, "claimed": ZERO, "awards": 0, "awarded": ZERO, "payments": 0, "paid": ZERO},
            )
            entry[count_name], entry[sum_name] = row["n"], Decimal(row["total"]).quantize(ZERO)
    return [{"year": year, "currency": currency, **values} for (year, currency), values in sorted(rows.items())]


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def time_to_verdict_rows(proceedings: QuerySet[Proceeding]) -> list[dict]:
    """Return the median days from a victim's identification to the verdict, by instance and year.

    One value per victim and proceeding: from the case's first decision "identified" to the
    proceeding's first verdict of the instance, counted in the year of the verdict. Victims not
    identified, or whose proceeding has no verdict yet, are left out. A row with ``year`` None
    covers every year.
    """
    parts = (
        ProceedingVictim.objects.filter(proceeding__in=proceedings.values("pk"))
        .annotate(
            identified_on=Min(
                "case__identifications__decided_on",
                filter=Q(case__identifications__decision=Decision.IDENTIFIED),
            )
        )
        .filter(identified_on__isnull=False)
        .values_list("identified_on", "proceeding__first_verdict_on", "proceeding__final_verdict_on")
    )
    days: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for identified_on, first_on, final_on in parts:
        for instance, verdict_on in ((Instance.FIRST, first_on), (Instance.FINAL, final_on)):
            if verdict_on is None:
                continue
            value = (verdict_on - identified_on).days
            days[(instance.value, verdict_on.year)].append(value)
            days[(instance.value, None)].append(value)
    order = {Instance.FIRST.value: 0, Instance.FINAL.value: 1}
    keys = sorted(days, key=lambda k: (order[k[0]], k[1] is None, k[1] or 0))
    return [
        {
            "instance": instance,
            "year": year,
            "victims": len(days[(instance, year)]),
            "median_days": _median(days[(instance, year)]),
        }
        for instance, year in keys
    ]


def justice_prosecutions(user: User) -> list[dict]:
    """Return :func:`prosecution_rows` over the proceedings ``user``'s statistics count."""
    return prosecution_rows(statistics_scope(user))


def justice_compensation(user: User) -> list[dict]:
    """Return :func:`compensation_rows` over the proceedings ``user``'s statistics count."""
    return compensation_rows(statistics_scope(user))


def justice_time_to_verdict(user: User) -> list[dict]:
    """Return :func:`time_to_verdict_rows` over the proceedings ``user``'s statistics count."""
    return time_to_verdict_rows(statistics_scope(user))
