"""Synthetic criminal proceedings for the demo; every defendant and every figure is invented.

For about a third of the identified demo cases the police directorate of the case's region
opens a proceeding (sometimes one for two or three victims), shares it with a prosecutor's
office when charges are brought, and the proceeding moves on through indictment and verdicts
as far as the calendar allows. Compensation is claimed for some victims, awarded after some
convictions, and paid for some awards. Deterministic for a given seed and end date.

Everything goes through :mod:`nrm.justice.services`, so the stage order, the dates and the
compensation rules hold and each step leaves its audit row, except one thing: a victim whose
case the police directorate cannot see (a case of a centre for social work, say) is linked to
the proceeding in bulk, with one audit row for all of them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from nrm.accounts.access import Action, can, unrestricted
from nrm.accounts.models import Organisation
from nrm.audit.services import audit_record
from nrm.cases.choices import Decision
from nrm.cases.models import Case
from nrm.demo.generator import FAMILY, GIVEN_F, GIVEN_M, _staff
from nrm.justice import services
from nrm.justice.choices import VictimRole
from nrm.justice.models import Proceeding, ProceedingVictim, ProtectionMeasure
from nrm.justice.reference import load_justice_reference

CITIZENSHIP = [("RS", 70), ("BA", 6), ("MK", 4), ("XK", 4), ("BG", 3), ("RO", 3), ("AF", 3), ("TR", 3), ("AL", 4)]
# Months of prison per offence at first instance: the ranges the Criminal Code sets, roughly.
PRISON = {"388": (36, 144), "389": (12, 60), "390": (12, 120), "350": (6, 96), "184": (3, 60)}


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _later(rng: random.Random, on: dt.date, low: int, high: int) -> dt.date:
    return on + dt.timedelta(days=rng.randint(low, high))


def demo_justice(*, seed: int = 2017, end_date: dt.date | None = None, fraction: float = 0.35) -> str:
    """Create proceedings for ``fraction`` of the identified demo cases; return a one-line summary."""
    load_justice_reference()
    if Proceeding.objects.exists():
        return f"proceedings already present: {Proceeding.objects.count()}"
    rng = random.Random(seed * 7 + 1)
    end_date = end_date or timezone.localdate()
    police_by_region, prosecution_by_region, fallback = _justice_orgs()
    if not police_by_region or fallback is None:
        return "proceedings: none (no police or prosecution organisations in the reference data)"
    measures = list(ProtectionMeasure.objects.values_list("code", flat=True))
    cases = list(
        unrestricted(Case, "demo data")
        .filter(identification_status=Decision.IDENTIFIED)
        .annotate(identified_on=Min("identifications__decided_on", filter=Q(identifications__decision="identified")))
        .select_related("owner", "owner__type")
        .prefetch_related("forms")
        .defer("best_interests_note")
        .order_by("identified_on", "pk")
    )
    groups: list[list[Case]] = []
    waiting: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if rng.random() >= fraction:
            continue
        region = case.owner.region
        waiting[region].append(case)
        # Most proceedings have one victim; some wait for a second or third from the same region.
        if len(waiting[region]) >= rng.choices([1, 2, 3], weights=[75, 18, 7])[0]:
            groups.append(waiting.pop(region))
    groups += [g for g in waiting.values() if g]
    made = Counter()
    _workers.clear()
    bulk_linked: list[int] = []
    with transaction.atomic():
        for number, group in enumerate(groups, start=1):
            police = _police_for(rng, group[0], police_by_region)
            prosecution = prosecution_by_region.get(police.region, fallback)
            _one_proceeding(rng, number, group, police, prosecution, measures, end_date, made, bulk_linked)
        if bulk_linked:
            audit_record(
                actor=None,
                action="demo.justice",
                object_type="dataset",
                detail={"victims_linked_in_bulk": len(bulk_linked), "seed": seed},
            )
    return (
        f"proceedings: {made['proceedings']} ({made['indicted']} indicted, {made['final']} with a final verdict), "
        f"{made['defendants']} defendants, {made['victims']} victims"
    )


def _justice_orgs() -> tuple[dict[str, list[Organisation]], dict[str, Organisation], Organisation | None]:
    """Return police organisations by city and by region, one prosecutor's office per region, a fallback."""
    police: dict[str, list[Organisation]] = defaultdict(list)
    prosecution: dict[str, Organisation] = {}
    fallback = None
    for org in Organisation.objects.select_related("type").filter(is_active=True).order_by("code"):
        if org.type.code == "police":
            police[f"city:{org.city}"].append(org)
            police[f"region:{org.region}"].append(org)
        elif org.type.code == "prosecution":
            prosecution.setdefault(org.region, org)
            fallback = fallback or org
    return police, prosecution, fallback


def _police_for(rng: random.Random, case: Case, police: dict[str, list[Organisation]]) -> Organisation:
    """Return the case's own police organisation, else one of its city's, else of its region's."""
    if case.owner.type.code == "police":
        return case.owner
    candidates = (
        police.get(f"city:{case.owner.city}")
        or police.get(f"region:{case.owner.region}")
        or next(v for k, v in sorted(police.items()) if k.startswith("region:"))
    )
    return rng.choice(candidates)


_workers: dict[int, object] = {}


def _worker(org: Organisation):
    """Return the synthetic worker of ``org``, the same object each time (its memberships stay cached)."""
    if org.pk not in _workers:
        _workers[org.pk] = _staff(org)
    return _workers[org.pk]


def _one_proceeding(rng, number, group, police, prosecution, measures, end_date, made, bulk_linked) -> None:
    officer, prosecutor = _worker(police), _worker(prosecution)
    start = min(c.identified_on or c.opened_on for c in group)
    investigation_on = _later(rng, start, -20, 45)
    investigation_on = max(investigation_on, min(c.opened_on for c in group))
    if investigation_on >= end_date:
        return
    visible = [c for c in group if can(officer, Action.VIEW, c)]
    forms = sorted({f.code for c in group for f in c.forms.all()})
    proceeding = services.proceeding_open(
        actor=officer,
        organisation=police,
        reference=f"KT {number}/{investigation_on:%y}",
        investigation_on=investigation_on,
        forms=forms,
        cases=visible,
    )
    hidden = [c for c in group if c not in visible]
    ProceedingVictim.objects.bulk_create(
        [ProceedingVictim(proceeding=proceeding, case=c, linked_by=officer) for c in hidden]
    )
    bulk_linked += [c.pk for c in hidden]
    made["proceedings"] += 1
    made["victims"] += len(group)
    parts = {p.case_id: p for p in proceeding.victims.all()}
    for case in group:
        part = parts[case.pk]
        role = _pick(rng, [(VictimRole.BOTH, 70), (VictimRole.WITNESS, 20), (VictimRole.INJURED_PARTY, 10)])
        chosen = rng.sample(measures, k=min(len(measures), rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]))
        if case.is_child and "vulnerable_witness" in measures and "vulnerable_witness" not in chosen:
            chosen.append("vulnerable_witness")
        if role != part.role or chosen:
            parts[case.pk] = services.victim_update(
                actor=officer, part=part, expected_version=part.version, role=role, protection_measures=chosen
            )

    charged_on = _later(rng, investigation_on, 60, 240)
    if charged_on >= end_date or rng.random() < 0.15:
        return
    services.proceeding_share(actor=officer, proceeding=proceeding, organisation=prosecution, shared_on=charged_on)
    proceeding = services.proceeding_advance(
        actor=prosecutor, proceeding=proceeding, stage="charges", on=charged_on, expected_version=proceeding.version
    )
    charges = []
    for _ in range(rng.choices([1, 2, 3], weights=[55, 30, 15])[0]):
        sex = "M" if rng.random() < 0.8 else "F"
        offences = {"389" if "adoption" in forms else "390" if "slavery" in forms else "388"}
        if rng.random() < 0.2:
            offences.add("350")
        if "sexual" in forms and rng.random() < 0.15:
            offences.add("184")
        defendant = services.defendant_add(
            actor=prosecutor,
            proceeding=proceeding,
            name=f"{rng.choice(GIVEN_F if sex == 'F' else GIVEN_M)} {rng.choice(FAMILY)}",
            identity_details=f"born {rng.randint(1960, 2000)}, address on file",
            sex=sex,
            birth_year=rng.randint(1960, 2000),
            citizenship=_pick(rng, CITIZENSHIP),
            offences=sorted(offences),
        )
        charges += list(defendant.charges.select_related("offence"))
        made["defendants"] += 1

    indicted_on = _later(rng, charged_on, 30, 180)
    if indicted_on >= end_date or rng.random() < 0.2:
        return
    proceeding.refresh_from_db()
    proceeding = services.proceeding_advance(
        actor=prosecutor, proceeding=proceeding, stage="indictment", on=indicted_on, expected_version=proceeding.version
    )
    made["indicted"] += 1
    claimed = {}
    for case in group:
        if rng.random() < 0.45:
            part = parts[case.pk]
            amount = Decimal(rng.randrange(100_000, 2_000_000, 10_000))
            parts[case.pk] = services.victim_update(
                actor=prosecutor,
                part=part,
                expected_version=part.version,
                compensation_currency="RSD",
                compensation_claimed=amount,
                claimed_on=indicted_on,
            )
            claimed[case.pk] = amount

    first_on = _later(rng, indicted_on, 180, 720)
    if first_on >= end_date:
        return
    outcomes = {}
    for charge in charges:
        defendant_outcome = outcomes.setdefault(
            charge.defendant_id, _pick(rng, [("convicted", 70), ("acquitted", 15), ("dismissed", 15)])
        )
        services.verdict_record(
            actor=prosecutor,
            charge=charge,
            instance="first",
            decided_on=first_on,
            **_sentence(rng, charge, defendant_outcome),
        )
    convicted = "convicted" in outcomes.values()
    for case_pk, amount in claimed.items():
        if convicted and rng.random() < 0.6:
            part = parts[case_pk]
            awarded = (amount * Decimal(rng.choice([3, 5, 7, 10])) / 10).quantize(Decimal("1"))
            paid_on = _later(rng, first_on, 60, 400)
            paid = {}
            if paid_on < end_date and rng.random() < 0.35:
                paid = {"compensation_paid": awarded if rng.random() < 0.5 else awarded / 2, "paid_on": paid_on}
            parts[case_pk] = services.victim_update(
                actor=prosecutor,
                part=part,
                expected_version=part.version,
                compensation_awarded=awarded,
                awarded_on=first_on,
                **paid,
            )

    final_on = _later(rng, first_on, 120, 540)
    if final_on >= end_date:
        return
    for charge in charges:
        outcome = outcomes[charge.defendant_id]
        if rng.random() < 0.1:  # overturned on appeal
            outcome = "acquitted" if outcome == "convicted" else "convicted"
        services.verdict_record(
            actor=prosecutor, charge=charge, instance="final", decided_on=final_on, **_sentence(rng, charge, outcome)
        )
    made["final"] += 1


def _sentence(rng: random.Random, charge, outcome: str) -> dict:
    if outcome != "convicted":
        return {"outcome": outcome}
    low, high = PRISON.get(charge.offence.code, (6, 60))
    months = rng.randint(low, high)
    sentence = {"outcome": outcome, "prison_months": months}
    if months <= 24 and rng.random() < 0.3:
        sentence["suspended"] = True
    if rng.random() < 0.2:
        sentence.update(fine_amount=Decimal(rng.randrange(50_000, 500_000, 10_000)), fine_currency="RSD")
    return sentence
