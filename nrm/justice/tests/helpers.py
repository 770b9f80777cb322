"""Builders of the justice tests: one proceeding of the Belgrade police with two victims.

Everything is made through the services, as users would make it. The defendant's identity is
invented and unlike anything else in a response, so that a leak is a plain substring.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.models import Case
from nrm.cases.tests.helpers import member, move, open_case, org, refer, share
from nrm.justice import services
from nrm.justice.models import (
    Charge,
    Defendant,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    Verdict,
)
from nrm.referrals.choices import ReferralStatus

DEFENDANT = {"name": "Dragoslav Xyvernik", "identity_details": "born 1979-02-11, ID 004471928, Ulica Kvrgava 3"}
NOTES = "Informant Belmondo Quistrad says the group moved to Subotica"
DEFENDANT_SECRETS = [DEFENDANT["name"], DEFENDANT["identity_details"], NOTES]

COUNTED = (Proceeding, ProceedingShare, Defendant, Charge, Verdict, ProceedingAsset, ProceedingVictim)


def state() -> dict:
    """Return what a refused request must leave as it was: rows, versions, stages and compensation."""
    snapshot: dict = {model.__name__: model.objects.count() for model in COUNTED}
    snapshot["proceedings"] = sorted(
        Proceeding.objects.values_list("pk", "version", "stage", "court", "first_verdict_on", "final_verdict_on")
    )
    snapshot["parts"] = sorted(
        ProceedingVictim.objects.values_list("pk", "version", "role", *ProceedingVictim.COMPENSATION_FIELDS)
    )
    snapshot["measures"] = sorted(ProceedingVictim.protection_measures.through.objects.values_list("pk", flat=True))
    return snapshot


def build_scene(world) -> SimpleNamespace:
    """Return a proceeding of pu-bg with two victims' cases, one of them held by the NGO too.

    - ``case_a``: pu-bg's case, referred to ngo-sigurna and accepted: the NGO holds it;
    - ``case_b``: pu-bg's case that no NGO holds;
    - ``case_c``: pu-bg's case, not part of the proceeding (to link in tests);
    - the proceeding is shared with the prosecutor's office rjt-bg; one defendant charged under
      Art. 388, convicted at first instance.
    """
    police, ngo = world["police"], world["ngo"]
    prosecutor = member("prosecutor", "rjt-bg", Role.CASEWORKER)
    case_a = open_case(police)
    share(police, case_a, "ngo-sigurna")
    move(ngo, refer(police, case_a, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    case_b = open_case(police, forms=["labour"])
    case_c = open_case(police)
    proceeding = services.proceeding_open(
        actor=fresh(police),
        organisation=org("pu-bg"),
        reference="KTO 17/24",
        investigation_on=dt.date(2024, 4, 10),
        cases=[case_a, case_b],
        notes=NOTES,
    )
    services.proceeding_share(actor=fresh(police), proceeding=proceeding, organisation=org("rjt-bg"))
    defendant = services.defendant_add(
        actor=fresh(police),
        proceeding=proceeding,
        sex="M",
        birth_year=1979,
        citizenship="RS",
        offences=["388"],
        **DEFENDANT,
    )
    charge = defendant.charges.get()
    services.proceeding_advance(
        actor=fresh(prosecutor), proceeding=proceeding, stage="indictment", on=dt.date(2024, 9, 2), expected_version=1
    )
    services.verdict_record(
        actor=fresh(prosecutor),
        charge=charge,
        instance="first",
        outcome="convicted",
        decided_on=dt.date(2025, 3, 14),
        prison_months=60,
    )
    part_a = ProceedingVictim.objects.get(proceeding=proceeding, case=case_a)
    part_b = ProceedingVictim.objects.get(proceeding=proceeding, case=case_b)
    services.victim_update(
        actor=fresh(prosecutor),
        part=part_a,
        expected_version=1,
        protection_measures=["video_link"],
        compensation_currency="RSD",
        compensation_claimed="450000.00",
        claimed_on=dt.date(2024, 10, 1),
    )
    for obj in (proceeding, part_a, part_b):
        obj.refresh_from_db()
    return SimpleNamespace(
        users={**world, "prosecutor": prosecutor},
        case_a=case_a,
        case_b=case_b,
        case_c=case_c,
        proceeding=proceeding,
        defendant=defendant,
        charge=charge,
        part_a=part_a,
        part_b=part_b,
    )


def case_ids(*cases: Case) -> list[int]:
    return [c.pk for c in cases]
