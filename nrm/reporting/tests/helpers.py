"""Builders for the statistics tests: cases made through the services, decisions, external rows."""

from __future__ import annotations

import datetime as dt
import itertools

from conftest import fresh
from nrm.accounts.models import User
from nrm.cases import services as case_services
from nrm.cases.choices import Decision
from nrm.cases.models import Case
from nrm.cases.tests.helpers import move, org, refer, share, statistics_consent_of
from nrm.exchange.models import ExternalDataset, ExternalRecord
from nrm.referrals.choices import ReferralStatus

_names = itertools.count(1)


def victim(
    actor: User,
    org_code: str = "pu-bg",
    *,
    sex: str = "F",
    born: str = "1990-05-01",
    citizenship: str = "RS",
    forms: tuple[str, ...] = ("sexual",),
    opened_on: dt.date = dt.date(2024, 3, 1),
    given_name: str | None = None,
    family_name: str = "Testperson",
    statistics_consent: bool = True,
    **kwargs,
) -> Case:
    """Open a case for a new (unique, unless named) person, through ``case_open``.

    The person consents to "use in statistics" unless ``statistics_consent`` is False: without
    it the case is in no count (under the default ``NRM_STATISTICS_BASIS``).
    """
    identity = {
        "given_name": given_name or f"Person{next(_names)}",
        "family_name": family_name,
        "date_of_birth": born,
    }
    case = case_services.case_open(
        actor=fresh(actor),
        organisation=org(org_code),
        identity=identity,
        sex=sex,
        citizenship=citizenship,
        forms=list(forms),
        opened_on=opened_on,
        **kwargs,
    )
    if statistics_consent:
        statistics_consent_of(actor, case)
    return case


def decide(world: dict, case: Case, decision: str = Decision.IDENTIFIED, on: dt.date | None = None) -> None:
    """Refer ``case`` to the Centre with consent, accept it there, and record ``decision``."""
    owner = {"pu-bg": "police", "ngo-sigurna": "ngo", "csr-bg": "socialwork", "ngo-most": "ngo2"}[case.owner.code]
    share(world[owner], case, "centre")
    move(world["centre"], refer(world[owner], case, "centre"), ReferralStatus.ACCEPTED)
    case_services.identification_decide(
        actor=fresh(world["centre"]),
        case=case,
        decision=decision,
        grounds="Interview.",
        decided_on=on or case.opened_on + dt.timedelta(days=7),
    )


def external(name: str, rows: list[dict]) -> ExternalDataset:
    """Create an external data set ``name`` with ``rows`` (ExternalRecord fields)."""
    dataset = ExternalDataset.objects.create(name=name, source="ctdc", file_name=f"{name}.csv", row_count=len(rows))
    ExternalRecord.objects.bulk_create(
        ExternalRecord(dataset=dataset, row_number=i + 1, **row) for i, row in enumerate(rows)
    )
    return dataset
