"""Synthetic helpline calls for the demo: a few hundred a year from 2017; every call is invented.

Calls are anonymous and follow no rule beyond their fields, so they are written in bulk, with
one audit row for the lot. The demo cases that a helpline opened from a screening get the call
that led to it; a few other calls become anonymous screenings through the service, so that the
result is computed by the indicator list's rule. Deterministic for a given seed and end date.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from nrm.accounts.models import Organisation
from nrm.audit.services import audit_record
from nrm.cases.models import IndicatorList, Screening
from nrm.demo.generator import _presumed_answers, _staff
from nrm.helpline import services
from nrm.helpline.models import Call, Topic
from nrm.helpline.reference import load_helpline_reference

CHANNELS = [("phone", 60), ("chat", 14), ("email", 10), ("sms", 16)]
TOPICS = [
    ("possible_trafficking", 16),
    ("job_offer", 22),
    ("victim_support", 8),
    ("missing_person", 5),
    ("migration", 12),
    ("labour_rights", 12),
    ("violence", 7),
    ("information", 14),
    ("other", 4),
]
LANGUAGES = [("sr", 84), ("en", 5), ("ar", 2), ("fa", 2), ("uk", 3), ("ro", 1), ("sq", 2), ("ps", 1)]
NOTES = {
    "possible_trafficking": "Caller describes a situation with several indicators; advised and referred.",
    "job_offer": "Caller asked whether a job offer abroad is genuine; warning signs explained.",
    "victim_support": "Family member asked about support available; services explained.",
    "migration": "Questions about documents and asylum procedure; information given.",
    "labour_rights": "Unpaid wages and confiscated documents mentioned; labour inspectorate suggested.",
}


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def demo_helpline(*, seed: int = 2017, start_year: int = 2017, end_date: dt.date | None = None) -> str:
    """Create the helpline's calls; return a one-line summary."""
    load_helpline_reference()
    if Call.objects.exists():
        return f"helpline calls already present: {Call.objects.count()}"
    helpline = Organisation.objects.filter(type__code="helpline", is_active=True).order_by("code").first()
    if helpline is None:
        return "helpline calls: none (no helpline in the reference data)"
    rng = random.Random(seed * 11 + 3)
    end_date = end_date or timezone.localdate()
    worker = _staff(helpline)
    topics = {t.code: t for t in Topic.objects.all()}
    topic_weights = [(code, w) for code, w in TOPICS if code in topics] or [(code, 1) for code in topics]
    regions = sorted(set(Organisation.objects.exclude(region="").values_list("region", flat=True)))
    referral_orgs = {
        kind: list(Organisation.objects.filter(type__code=kind, is_active=True).order_by("code"))
        for kind in ("police", "ngo", "social_work", "labour_inspectorate")
    }
    calls: list[Call] = []
    for year in range(start_year, end_date.year + 1):
        first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), end_date - dt.timedelta(days=1))
        if last < first:
            continue
        count = rng.randint(250, 450) * ((last - first).days + 1) // 365
        for _ in range(count):
            day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
            when = dt.datetime.combine(
                day, dt.time(rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]), rng.randrange(60))
            )
            topic = _pick(rng, topic_weights)
            calls.append(_call(rng, helpline, worker, timezone.make_aware(when), topics[topic], regions, referral_orgs))
    # The demo cases a helpline opened came from a call: give each of their screenings its call.
    for screening in Screening.objects.filter(organisation=helpline, helpline_call__isnull=True).order_by("pk"):
        when = timezone.make_aware(
            dt.datetime.combine(screening.screened_on, dt.time(rng.randint(8, 21), rng.randrange(60)))
        )
        call = _call(
            rng,
            helpline,
            worker,
            when,
            topics.get("possible_trafficking") or next(iter(topics.values())),
            regions,
            referral_orgs,
        )
        call.screening = screening
        calls.append(call)
    with transaction.atomic():
        Call.objects.bulk_create(calls, batch_size=1000)
        audit_record(
            actor=None, action="demo.helpline", object_type="dataset", detail={"calls": len(calls), "seed": seed}
        )
        screened = _convert_some(rng, worker)
    return f"helpline calls: {len(calls)}, {screened + sum(1 for c in calls if c.screening_id)} became screenings"


def _call(rng, helpline, worker, when, topic, regions, referral_orgs) -> Call:
    referred_to, other = None, ""
    if rng.random() < (0.6 if topic.code == "possible_trafficking" else 0.15):
        kind = {"possible_trafficking": "police", "labour_rights": "labour_inspectorate"}.get(
            topic.code, rng.choice(["ngo", "social_work"])
        )
        if referral_orgs.get(kind):
            referred_to = rng.choice(referral_orgs[kind])
        else:
            other = "National Employment Service"
    return Call(
        organisation=helpline,
        taken_by=worker,
        received_at=when,
        channel=_pick(rng, CHANNELS),
        topic=topic,
        language=_pick(rng, LANGUAGES),
        region=rng.choice(regions) if regions and rng.random() < 0.8 else "",
        referral_made=bool(referred_to or other),
        referred_to=referred_to,
        referred_to_other=other,
        notes=NOTES.get(topic.code, "") if rng.random() < 0.5 else "",
    )


def _convert_some(rng: random.Random, worker) -> int:
    """Turn a share of the possible-trafficking calls into screenings, through the service."""
    indicator_list = IndicatorList.objects.filter(is_active=True).order_by("-version").first()
    if indicator_list is None:
        return 0
    candidates = list(
        Call.objects.filter(topic__code="possible_trafficking", screening__isnull=True).order_by("received_at", "pk")
    )
    done = 0
    for call in candidates:
        if rng.random() >= 0.15:
            continue
        is_child = rng.random() < 0.25
        answers = _presumed_answers(rng, indicator_list.definition, is_child)
        if rng.random() < 0.6:  # most calls show only some indicators
            answers = answers[: max(1, len(answers) // 2)]
        services.helpline_call_to_screening(actor=worker, call=call, answers=answers, is_child=is_child)
        done += 1
    return done
