"""Synthetic criminal proceedings for the demo; every defendant and every figure is invented.

For about a third of the identified demo cases the police directorate of the case's region
opens a proceeding (sometimes one for two or three victims), shares it with a prosecutor's
office when charges are brought, and the proceeding moves on through indictment and verdicts
as far as the calendar allows. Compensation is claimed for some victims, awarded after some
convictions, and paid for some awards. Assets are seized in some indicted proceedings and
confiscated after some final convictions; sentences fall in every band of UNODC's table
(:mod:`nrm.justice.sentences`). Deterministic for a given seed and end date.

Each proceeding is planned once (:class:`_Planned`: every date, party, charge and verdict,
drawn from the seeded generator), then written either through :mod:`nrm.justice.services`, one
call per step, or in bulk (:class:`_Bulk`, the default): the same rows, versions and stages, and
the same audit rows in the same order, a statement per table (a test compares the two). The
services' checks hold for the plan by construction: stages in order, dates not in the future,
compensation claimed before it is awarded and paid. One thing is not done through the services
in either path: a victim whose case the police directorate cannot see (a case of a centre for
social work, say) is linked to the proceeding directly, with one audit row for all of them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from nrm.accounts.access import Action, unrestricted
from nrm.accounts.models import Organisation
from nrm.audit.services import audit_record, audit_record_many
from nrm.cases.access import case_filter
from nrm.cases.choices import Decision
from nrm.cases.models import Case, ExploitationForm
from nrm.core.bulk import insert_many
from nrm.demo.generator import FAMILY, GIVEN_F, GIVEN_M, _staff
from nrm.justice import services
from nrm.justice.choices import AssetKind, Instance, Stage, VictimRole
from nrm.justice.models import (
    Charge,
    Defendant,
    Offence,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    ProtectionMeasure,
    Verdict,
)
from nrm.justice.reference import load_justice_reference

CITIZENSHIP = [("RS", 70), ("BA", 6), ("MK", 4), ("XK", 4), ("BG", 3), ("RO", 3), ("AF", 3), ("TR", 3), ("AL", 4)]
# Months of prison per offence at first instance: the ranges the Criminal Code sets, roughly.
PRISON = {"388": (36, 144), "389": (12, 60), "390": (12, 120), "350": (6, 96), "184": (3, 60)}


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _later(rng: random.Random, on: dt.date, low: int, high: int) -> dt.date:
    return on + dt.timedelta(days=rng.randint(low, high))


def demo_justice(
    *, seed: int = 2017, end_date: dt.date | None = None, fraction: float = 0.35, bulk: bool = True
) -> str:
    """Create proceedings for ``fraction`` of the identified demo cases; return a one-line summary.

    ``bulk=False`` writes them through the services, one call per step (slower, the same rows).
    """
    load_justice_reference()
    if Proceeding.objects.exists():
        return f"proceedings already present: {Proceeding.objects.count()}"
    rng = random.Random(seed * 7 + 1)
    # Draws added with the sentences' bands and the assets (issue K) come from a generator of
    # their own, so that the proceedings drawn before them stay as they were for a given seed.
    aside = random.Random(seed * 7 + 2)
    end_date = end_date or timezone.localdate()
    police_by_region, prosecution_by_region, fallback = _justice_orgs()
    if not police_by_region or fallback is None:
        return "proceedings: none (no police or prosecution organisations in the reference data)"
    measures = list(ProtectionMeasure.objects.values_list("code", flat=True))
    offences = {o.code: o for o in Offence.objects.all()}
    cases = list(
        unrestricted(Case, "demo data")
        .filter(identification_status=Decision.IDENTIFIED)
        .annotate(
            first_identified_on=Min("identifications__decided_on", filter=Q(identifications__decision="identified"))
        )
        .select_related("owner", "owner__type")
        .prefetch_related("forms")
        .defer("best_interests_note")
        .order_by("first_identified_on", "pk")
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
    planned: list[_Planned] = []
    for number, group in enumerate(groups, start=1):
        police = _police_for(rng, group[0], police_by_region)
        prosecution = prosecution_by_region.get(police.region, fallback)
        p = _plan(rng, number, group, police, prosecution, measures, offences, end_date, aside)
        if p is not None:
            planned.append(p)
            made["proceedings"] += 1
            made["victims"] += len(group)
            made["defendants"] += len(p.defendants)
            made["indicted"] += p.indicted_on is not None
            made["final"] += p.final_on is not None
            made["confiscated"] += any(a["kind"] == AssetKind.CONFISCATED for a in p.assets)
    _split_visible(planned)
    bulk_linked = sum(len(p.hidden) for p in planned)
    with transaction.atomic():
        if bulk:
            _Bulk(planned).write()
        else:
            for p in planned:
                _write_through_services(p)
        if bulk_linked:
            audit_record(
                actor=None,
                action="demo.justice",
                object_type="dataset",
                detail={"victims_linked_in_bulk": bulk_linked, "seed": seed},
            )
    return (
        f"proceedings: {made['proceedings']} ({made['indicted']} indicted, {made['final']} with a final verdict), "
        f"{made['defendants']} defendants, {made['victims']} victims, "
        f"{made['confiscated']} with assets confiscated"
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


@dataclass
class _Planned:
    """One proceeding as it will have gone by the end date: its parties, and each step's values.

    A stage's date is None when the proceeding has not reached it. Charges are named by
    (defendant index, offence code), in the order the services list a defendant's charges.
    """

    number: int
    group: list[Case]
    police: Organisation
    prosecution: Organisation
    officer: object
    prosecutor: object
    reference: str
    investigation_on: dt.date
    forms: list[str]
    visible: list[Case] = field(default_factory=list)
    hidden: list[Case] = field(default_factory=list)
    # (case pk, role, protection measures): the police officer's update of a victim's part.
    victims: list[tuple[int, str, list[str]]] = field(default_factory=list)
    charged_on: dt.date | None = None
    defendants: list[dict] = field(default_factory=list)
    charges: list[tuple[int, Offence]] = field(default_factory=list)
    indicted_on: dt.date | None = None
    claims: dict[int, Decimal] = field(default_factory=dict)
    first_on: dt.date | None = None
    first: list[dict] = field(default_factory=list)  # sentence values per charge, in charge order
    awards: list[tuple[int, dict]] = field(default_factory=list)
    final_on: dt.date | None = None
    final: list[dict] = field(default_factory=list)
    # Assets seized or confiscated: asset_record's keyword arguments, in the order of their dates.
    assets: list[dict] = field(default_factory=list)


def _plan(rng, number, group, police, prosecution, measures, offences, end_date, aside) -> _Planned | None:
    """Draw one proceeding's course from ``rng``, up to ``end_date``; None if not opened by then."""
    officer, prosecutor = _worker(police), _worker(prosecution)  # created even if nothing is opened
    start = min(c.first_identified_on or c.opened_on for c in group)
    investigation_on = _later(rng, start, -20, 45)
    investigation_on = max(investigation_on, min(c.opened_on for c in group))
    if investigation_on >= end_date:
        return None
    forms = sorted({f.code for c in group for f in c.forms.all()})
    p = _Planned(
        number=number,
        group=group,
        police=police,
        prosecution=prosecution,
        officer=officer,
        prosecutor=prosecutor,
        reference=f"KT {number}/{investigation_on:%y}",
        investigation_on=investigation_on,
        forms=forms,
    )
    for case in group:
        role = _pick(rng, [(VictimRole.BOTH, 70), (VictimRole.WITNESS, 20), (VictimRole.INJURED_PARTY, 10)])
        chosen = rng.sample(measures, k=min(len(measures), rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]))
        if case.is_child and "vulnerable_witness" in measures and "vulnerable_witness" not in chosen:
            chosen.append("vulnerable_witness")
        if role != VictimRole.BOTH or chosen:  # a part is linked in the role BOTH
            p.victims.append((case.pk, role, chosen))

    charged_on = _later(rng, investigation_on, 60, 240)
    if charged_on >= end_date or rng.random() < 0.15:
        return p
    p.charged_on = charged_on
    for index in range(rng.choices([1, 2, 3], weights=[55, 30, 15])[0]):
        sex = "M" if rng.random() < 0.8 else "F"
        codes = {"389" if "adoption" in forms else "390" if "slavery" in forms else "388"}
        if rng.random() < 0.2:
            codes.add("350")
        if "sexual" in forms and rng.random() < 0.15:
            codes.add("184")
        p.defendants.append(
            {
                "name": f"{rng.choice(GIVEN_F if sex == 'F' else GIVEN_M)} {rng.choice(FAMILY)}",
                "identity_details": f"born {rng.randint(1960, 2000)}, address on file",
                "sex": sex,
                "birth_year": rng.randint(1960, 2000),
                "citizenship": _pick(rng, CITIZENSHIP),
                "offences": sorted(codes),
            }
        )
        # A defendant's charges as the services list them: by the offence's order, then as created.
        chosen_offences = sorted((offences[c] for c in codes), key=lambda o: (o.sort_order, o.code))
        p.charges += [(index, o) for o in chosen_offences]

    indicted_on = _later(rng, charged_on, 30, 180)
    if indicted_on >= end_date or rng.random() < 0.2:
        return p
    p.indicted_on = indicted_on
    seized = None
    if aside.random() < 0.4:
        seized_on = _later(aside, charged_on, 0, (indicted_on - charged_on).days)
        currency = "EUR" if aside.random() < 0.25 else "RSD"
        low, high = (2_000, 200_000) if currency == "EUR" else (200_000, 20_000_000)
        seized = {"kind": AssetKind.SEIZED, "currency": currency, "amount": Decimal(aside.randrange(low, high, 1_000))}
        p.assets.append({**seized, "decided_on": seized_on})
    for case in group:
        if rng.random() < 0.45:
            p.claims[case.pk] = Decimal(rng.randrange(100_000, 2_000_000, 10_000))

    first_on = _later(rng, indicted_on, 180, 720)
    if first_on >= end_date:
        return p
    p.first_on = first_on
    outcomes = {}
    for index, offence in p.charges:
        outcome = outcomes.setdefault(index, _pick(rng, [("convicted", 70), ("acquitted", 15), ("dismissed", 15)]))
        p.first.append(_sentence(rng, offence, outcome, aside))
    convicted = "convicted" in outcomes.values()
    for case_pk, amount in p.claims.items():
        if convicted and rng.random() < 0.6:
            awarded = (amount * Decimal(rng.choice([3, 5, 7, 10])) / 10).quantize(Decimal("1"))
            paid_on = _later(rng, first_on, 60, 400)
            paid = {}
            if paid_on < end_date and rng.random() < 0.35:
                paid = {"compensation_paid": awarded if rng.random() < 0.5 else awarded / 2, "paid_on": paid_on}
            p.awards.append((case_pk, {"compensation_awarded": awarded, "awarded_on": first_on, **paid}))

    final_on = _later(rng, first_on, 120, 540)
    if final_on >= end_date:
        return p
    p.final_on = final_on
    for index, offence in p.charges:
        outcome = outcomes[index]
        if rng.random() < 0.1:  # overturned on appeal
            outcome = "acquitted" if outcome == "convicted" else "convicted"
        p.final.append(_sentence(rng, offence, outcome, aside))
    # Confiscation after a final conviction: mostly of what was seized (all of it or a part).
    confiscated_on = _later(aside, final_on, 0, 120)
    convicted = any(s["outcome"] == "convicted" for s in p.final)
    if convicted and confiscated_on < end_date and aside.random() < (0.75 if seized else 0.2):
        if seized:
            amount = (seized["amount"] * Decimal(aside.choice([5, 8, 10])) / 10).quantize(Decimal("1"))
            p.assets.append({**seized, "kind": AssetKind.CONFISCATED, "amount": amount, "decided_on": confiscated_on})
        else:
            amount = Decimal(aside.randrange(100_000, 5_000_000, 1_000))
            p.assets.append(
                {"kind": AssetKind.CONFISCATED, "currency": "RSD", "amount": amount, "decided_on": confiscated_on}
            )
    return p


def _split_visible(planned: list[_Planned]) -> None:
    """Set which victims' cases each proceeding's police officer can see: one query per officer."""
    wanted: dict[int, set[int]] = defaultdict(set)
    officers = {}
    for p in planned:
        officers[p.officer.pk] = p.officer
        wanted[p.officer.pk] |= {c.pk for c in p.group}
    seen = {
        pk: set(Case.objects.filter(case_filter(officers[pk], Action.VIEW), pk__in=pks).values_list("pk", flat=True))
        for pk, pks in wanted.items()
    }
    for p in planned:
        p.visible = [c for c in p.group if c.pk in seen[p.officer.pk]]
        p.hidden = [c for c in p.group if c.pk not in seen[p.officer.pk]]


def _write_through_services(p: _Planned) -> None:
    """Write one planned proceeding through the services, a call per step, as users would have."""
    proceeding = _steps_through_services(p)
    for values in p.assets:
        services.asset_record(actor=p.prosecutor, proceeding=proceeding, **values)


def _steps_through_services(p: _Planned) -> Proceeding:
    """Write the proceeding's steps up to the last it reached; return it."""
    officer, prosecutor = p.officer, p.prosecutor
    proceeding = services.proceeding_open(
        actor=officer,
        organisation=p.police,
        reference=p.reference,
        investigation_on=p.investigation_on,
        forms=p.forms,
        cases=p.visible,
    )
    ProceedingVictim.objects.bulk_create(
        [ProceedingVictim(proceeding=proceeding, case=c, linked_by=officer) for c in p.hidden]
    )
    parts = {part.case_id: part for part in proceeding.victims.all()}
    for case_pk, role, chosen in p.victims:
        part = parts[case_pk]
        parts[case_pk] = services.victim_update(
            actor=officer, part=part, expected_version=part.version, role=role, protection_measures=chosen
        )
    if p.charged_on is None:
        return proceeding
    services.proceeding_share(actor=officer, proceeding=proceeding, organisation=p.prosecution, shared_on=p.charged_on)
    proceeding = services.proceeding_advance(
        actor=prosecutor, proceeding=proceeding, stage="charges", on=p.charged_on, expected_version=proceeding.version
    )
    charges = []
    for values in p.defendants:
        defendant = services.defendant_add(actor=prosecutor, proceeding=proceeding, **values)
        charges += list(defendant.charges.select_related("offence"))
    if p.indicted_on is None:
        return proceeding
    proceeding.refresh_from_db()
    proceeding = services.proceeding_advance(
        actor=prosecutor,
        proceeding=proceeding,
        stage="indictment",
        on=p.indicted_on,
        expected_version=proceeding.version,
    )
    for case_pk, amount in p.claims.items():
        part = parts[case_pk]
        parts[case_pk] = services.victim_update(
            actor=prosecutor,
            part=part,
            expected_version=part.version,
            compensation_currency="RSD",
            compensation_claimed=amount,
            claimed_on=p.indicted_on,
        )
    if p.first_on is None:
        return proceeding
    for charge, sentence in zip(charges, p.first, strict=True):
        services.verdict_record(actor=prosecutor, charge=charge, instance="first", decided_on=p.first_on, **sentence)
    for case_pk, award in p.awards:
        part = parts[case_pk]
        parts[case_pk] = services.victim_update(actor=prosecutor, part=part, expected_version=part.version, **award)
    if p.final_on is None:
        return proceeding
    for charge, sentence in zip(charges, p.final, strict=True):
        services.verdict_record(actor=prosecutor, charge=charge, instance="final", decided_on=p.final_on, **sentence)
    return proceeding


CENT = Decimal("0.01")


class _Bulk:
    """Write planned proceedings in bulk: what the services' calls would leave, a statement per table.

    Each row is built in its final state (stage and dates reached, versions counted as the
    services count them: one per update), and each audit row the services would have written
    is kept as a thunk, in their order, since it names primary keys known only after the inserts.
    """

    def __init__(self, planned: list[_Planned]) -> None:
        self.planned = planned
        self.forms = {f.code: f for f in ExploitationForm.objects.all()}
        self.measures = {m.code: m for m in ProtectionMeasure.objects.all()}
        self.proceedings: list[Proceeding] = []
        self.form_links: list[tuple[Proceeding, ExploitationForm]] = []
        self.parts: list[ProceedingVictim] = []
        self.measure_links: list[tuple[ProceedingVictim, ProtectionMeasure]] = []
        self.shares: list[ProceedingShare] = []
        self.defendants: list[Defendant] = []
        self.charges: list[Charge] = []
        self.verdicts: list[Verdict] = []
        self.assets: list[ProceedingAsset] = []
        self.events: list[Callable[[], dict]] = []

    def write(self) -> None:
        for p in self.planned:
            self._proceeding(p)
        insert_many(self.proceedings)
        insert_many(
            [Proceeding.forms.through(proceeding_id=p.pk, exploitationform_id=f.pk) for p, f in self.form_links]
        )
        for part in self.parts:
            part.proceeding_id = part.proceeding.pk
        insert_many(self.parts)
        insert_many(
            [
                ProceedingVictim.protection_measures.through(proceedingvictim_id=part.pk, protectionmeasure_id=m.pk)
                for part, m in self.measure_links
            ]
        )
        for row in self.shares + self.defendants:
            row.proceeding_id = row.proceeding.pk
        insert_many(self.shares)
        insert_many(self.defendants)
        for charge in self.charges:
            charge.defendant_id = charge.defendant.pk
        insert_many(self.charges)
        for verdict in self.verdicts:
            verdict.charge_id = verdict.charge.pk
        insert_many(self.verdicts)
        for asset in self.assets:
            asset.proceeding_id = asset.proceeding.pk
        insert_many(self.assets)
        audit_record_many([event() for event in self.events])

    def _event(self, actor, action: str, org_id: int, object_type: str, object_id: Callable[[], int], detail):
        self.events.append(
            lambda: {
                "actor": actor,
                "action": action,
                "object_type": object_type,
                "object_id": object_id(),
                "organisation_id": org_id,
                "detail": detail(),
            }
        )

    def _on_proceeding(self, actor, action: str, pr: Proceeding, detail: Callable[[], dict]) -> None:
        self._event(actor, action, pr.owner.pk, "proceeding", lambda: pr.pk, detail)

    def _on_part(self, actor, part: ProceedingVictim, fields: list[str]) -> None:
        part.version += 1
        pr = part.proceeding
        self._event(
            actor,
            "proceeding.victim.update",
            pr.owner.pk,
            "case",
            lambda: part.case_id,
            lambda: {"proceeding": pr.pk, "fields": fields},
        )

    def _proceeding(self, p: _Planned) -> None:
        pr = self._steps(p)
        for values in p.assets:
            asset = ProceedingAsset(proceeding=pr, recorded_by=p.prosecutor, **values)
            asset.amount = asset.amount.quantize(CENT)
            self.assets.append(asset)
            kind = values["kind"]
            self._on_proceeding(
                p.prosecutor, "proceeding.asset", pr, lambda asset=asset, kind=kind: {"asset": asset.pk, "kind": kind}
            )

    def _steps(self, p: _Planned) -> Proceeding:
        """Build the proceeding's rows up to the last step it reached; return it."""
        officer, prosecutor = p.officer, p.prosecutor
        pr = Proceeding(
            owner=p.police,
            reference=p.reference,
            investigation_on=p.investigation_on,
            opened_by=officer,
        )
        self.proceedings.append(pr)
        self.form_links += [(pr, self.forms[code]) for code in p.forms]
        visible = sorted({c.pk for c in p.visible})
        self._on_proceeding(officer, "proceeding.open", pr, lambda: {"cases": visible})
        parts = {}
        for case in p.visible + p.hidden:
            parts[case.pk] = ProceedingVictim(proceeding=pr, case=case, linked_by=officer)
            self.parts.append(parts[case.pk])
        for case_pk, role, chosen in p.victims:
            part = parts[case_pk]
            part.role = role
            self.measure_links += [(part, self.measures[code]) for code in sorted(set(chosen))]
            self._on_part(officer, part, ["role", "protection_measures"])
        if p.charged_on is None:
            return pr
        self.shares.append(
            ProceedingShare(proceeding=pr, organisation=p.prosecution, shared_by=officer, shared_on=p.charged_on)
        )
        self._on_proceeding(officer, "proceeding.share", pr, lambda: {"to": p.prosecution.pk})
        self._advance(prosecutor, pr, Stage.CHARGES, p.charged_on)
        charges: list[Charge] = []
        for number, values in enumerate(p.defendants, start=1):
            d = Defendant(
                proceeding=pr,
                number=number,
                name=values["name"],
                identity_details=values["identity_details"],
                sex=values["sex"],
                birth_year=values["birth_year"],
                citizenship=values["citizenship"],
            )
            self.defendants.append(d)
            # The service creates a defendant's charges in the order of the offence codes; the
            # plan lists them as they are read back, by the offence's order (see _plan).
            listed = [Charge(defendant=d, offence=o) for i, o in p.charges if i == number - 1]
            self.charges += sorted(listed, key=lambda c: c.offence.code)
            charges += listed
            codes = values["offences"]
            self._on_proceeding(
                prosecutor, "proceeding.defendant", pr, lambda d=d, codes=codes: {"defendant": d.pk, "offences": codes}
            )
        if p.indicted_on is None:
            return pr
        self._advance(prosecutor, pr, Stage.INDICTMENT, p.indicted_on)
        for case_pk, amount in p.claims.items():
            part = parts[case_pk]
            part.compensation_currency = "RSD"
            part.compensation_claimed = amount.quantize(CENT)
            part.claimed_on = p.indicted_on
            self._on_part(prosecutor, part, ["claimed_on", "compensation_claimed", "compensation_currency"])
        if p.first_on is None:
            return pr
        self._verdicts(prosecutor, pr, charges, Instance.FIRST, p.first_on, p.first)
        for case_pk, award in p.awards:
            part = parts[case_pk]
            for name, value in award.items():
                setattr(part, name, value.quantize(CENT) if isinstance(value, Decimal) else value)
            self._on_part(prosecutor, part, sorted(award))
        if p.final_on is None:
            return pr
        self._verdicts(prosecutor, pr, charges, Instance.FINAL, p.final_on, p.final)
        return pr

    def _advance(self, actor, pr: Proceeding, stage: str, on: dt.date) -> None:
        pr.stage = stage
        setattr(pr, "charged_on" if stage == Stage.CHARGES else "indicted_on", on)
        pr.version += 1
        self._on_proceeding(actor, "proceeding.advance", pr, lambda: {"stage": stage, "on": on.isoformat()})

    def _verdicts(self, actor, pr: Proceeding, charges, instance: str, on: dt.date, sentences: list[dict]) -> None:
        # The first verdict of an instance moves the proceeding to its stage (one version); the
        # others, given the same day, change nothing on it.
        pr.stage = Stage.FIRST_INSTANCE_VERDICT if instance == Instance.FIRST else Stage.FINAL_VERDICT
        setattr(pr, "first_verdict_on" if instance == Instance.FIRST else "final_verdict_on", on)
        pr.version += 1
        for charge, sentence in zip(charges, sentences, strict=True):
            fine = sentence.get("fine_amount")
            self.verdicts.append(
                Verdict(
                    charge=charge,
                    instance=instance,
                    outcome=sentence["outcome"],
                    decided_on=on,
                    prison_months=sentence.get("prison_months"),
                    suspended=sentence.get("suspended", False),
                    fine_amount=fine.quantize(CENT) if fine is not None else None,
                    fine_currency=sentence.get("fine_currency", ""),
                    recorded_by=actor,
                )
            )
            outcome = sentence["outcome"]
            self._on_proceeding(
                actor,
                "proceeding.verdict",
                pr,
                lambda charge=charge, outcome=outcome: {"charge": charge.pk, "instance": instance, "outcome": outcome},
            )


def _sentence(rng: random.Random, offence: Offence, outcome: str, aside: random.Random) -> dict:
    if outcome != "convicted":
        return {"outcome": outcome}
    low, high = PRISON.get(offence.code, (6, 60))
    months = rng.randint(low, high)
    sentence = {"outcome": outcome, "prison_months": months}
    if months <= 24 and rng.random() < 0.3:
        sentence["suspended"] = True
    if rng.random() < 0.2:
        sentence.update(fine_amount=Decimal(rng.randrange(50_000, 500_000, 10_000)), fine_currency="RSD")
    # Short terms and fines alone happen too (a plea, a minor part): every band of UNODC's table.
    draw = aside.random()
    if draw < 0.06:
        sentence = {"outcome": outcome, "fine_amount": Decimal(aside.randrange(100_000, 900_000, 10_000))}
        sentence["fine_currency"] = "RSD"
    elif draw < 0.14:
        sentence["prison_months"] = aside.randint(4, 11)
    return sentence
