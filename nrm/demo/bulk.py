"""Bulk synthetic data for scale tests: a million screenings and hundreds of thousands of cases.

Unlike :mod:`nrm.demo.generator`, this writes in batches straight to the tables (identity still
encrypted, linkage keys still computed) because a million audited service calls would take
hours; one audit row records the bulk load itself.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction

from nrm.accounts.models import Organisation, User
from nrm.audit.services import audit_record
from nrm.cases.choices import AgeBand, ConsentPurpose, Decision, ScreeningResult
from nrm.cases.models import Case, Consent, ExploitationForm, IndicatorList, Person, Screening
from nrm.cases.services import age_band_for
from nrm.core import crypto
from nrm.demo.generator import CITIZENSHIP, FAMILY, FORMS, GIVEN_F, GIVEN_M, _staff, _weighted

BATCH = 5000


def generate_bulk(
    *,
    screenings: int,
    cases: int | None = None,
    seed: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Add ``screenings`` screenings, ``cases`` of which (default a fifth) became cases."""
    rng = random.Random(seed)
    cases = screenings // 5 if cases is None else min(cases, screenings)
    orgs = list(
        Organisation.objects.filter(
            type__code__in=["police", "social_work", "ngo", "asylum", "labour_inspectorate", "helpline"]
        )
    )
    if not orgs:
        raise ValueError("load reference data first (nrm load_reference)")
    workers = {o.pk: _staff(o) for o in orgs}
    indicator_list = IndicatorList.objects.filter(is_active=True).order_by("-version").first()
    if indicator_list is None:
        raise ValueError("no active indicator list; run nrm load_reference")
    forms = {f.code: f for f in ExploitationForm.objects.all()}
    through = Case.forms.through
    start = dt.date(2017, 1, 1)
    span = (dt.date(2026, 10, 31) - start).days
    done_s = done_c = 0
    next_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    while done_s < screenings:
        n = min(BATCH, screenings - done_s)
        n_cases = min(cases - done_c, round(n * cases / screenings)) if screenings else 0
        with transaction.atomic():
            rows = []
            people = []
            case_rows = []
            for i in range(n):
                org = rng.choice(orgs)
                on = start + dt.timedelta(days=rng.randrange(span))
                is_child = rng.random() < 0.3
                sex = "F" if rng.random() < 0.7 else "M"
                citizenship = _weighted(rng, CITIZENSHIP)
                presumed = i < n_cases or rng.random() < 0.3
                age = rng.randint(8, 17) if is_child else rng.randint(18, 60)
                rows.append(
                    Screening(
                        organisation=org,
                        screened_by=workers[org.pk],
                        screened_on=on,
                        indicator_list=indicator_list,
                        is_child=is_child,
                        answers=[],
                        result=ScreeningResult.PRESUMED_VICTIM if presumed else ScreeningResult.NOT_INDICATED,
                        reasons={"bulk": True},
                        anonymous=i >= n_cases,
                        sex=sex,
                        age_band=age_band_for(age),
                        citizenship=citizenship,
                        region=org.region,
                        channel="bulk",
                    )
                )
                if i < n_cases:
                    given = rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
                    family = rng.choice(FAMILY)
                    dob = dt.date(on.year - age, rng.randint(1, 12), rng.randint(1, 28)).isoformat()
                    people.append(
                        Person(
                            given_name=given,
                            family_name=family,
                            date_of_birth=dob,
                            sex=sex,
                            birth_year=on.year - age,
                            age_band=age_band_for(age),
                            citizenship=citizenship,
                            linkage_key=crypto.linkage_key(
                                given_name=given, family_name=family, date_of_birth=dob, sex=sex
                            ),
                            **dict(
                                zip(
                                    ("search_key_date", "search_key_year"),
                                    crypto.search_tokens(given_name=given, family_name=family, date_of_birth=dob),
                                    strict=True,
                                )
                            ),
                        )
                    )
                    case_rows.append((org, on, is_child))
            Person.objects.bulk_create(people, batch_size=1000)
            new_cases = []
            for person, (org, on, is_child) in zip(people, case_rows, strict=True):
                new_cases.append(
                    Case(
                        reference=f"B{on.year}-{next_id:07d}",
                        owner=org,
                        person=person,
                        opened_by=workers[org.pk],
                        responsible=workers[org.pk],
                        opened_on=on,
                        is_child=is_child,
                        region=org.region,
                        country_of_exploitation="RS",
                        identification_status=rng.choices(
                            [Decision.IDENTIFIED, Decision.NOT_IDENTIFIED, Decision.PENDING, Decision.DISCONTINUED],
                            weights=[35, 45, 12, 8],
                        )[0],
                    )
                )
                next_id += 1
            Case.objects.bulk_create(new_cases, batch_size=1000)
            through.objects.bulk_create(
                [through(case_id=c.pk, exploitationform_id=forms[_weighted(rng, FORMS)].pk) for c in new_cases],
                batch_size=2000,
            )
            # Most persons consent to "use in statistics", as in the generator (17 in 20 here,
            # by id so that the seeded data stay the same): statistics count only those.
            Consent.objects.bulk_create(
                [
                    Consent(
                        case=c,
                        purpose=ConsentPurpose.STATISTICS,
                        given_on=c.opened_on,
                        recorded_by=workers[c.owner_id],
                    )
                    for c in new_cases
                    if c.pk % 20 < 17
                ],
                batch_size=1000,
            )
            for s, c in zip(rows, new_cases, strict=False):
                s.case = c
            Screening.objects.bulk_create(rows, batch_size=1000)
        done_s += n
        done_c += len(new_cases)
        if progress:
            progress("screenings", done_s, screenings)
    audit_record(
        actor=None,
        action="bulk.generate",
        object_type="dataset",
        detail={"screenings": done_s, "cases": done_c, "seed": seed},
    )
    return {"screenings": done_s, "cases": done_c}


def ensure_staff_user() -> User:
    """Return any user able to read cases in a police organisation (for the benchmark)."""
    org = Organisation.objects.filter(type__code="police").order_by("pk").first()
    return _staff(org)


__all__ = ["AgeBand", "generate_bulk"]
