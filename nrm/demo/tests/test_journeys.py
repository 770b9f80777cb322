"""Synthetic journeys written in bulk leave what the services leave; bulk generation is deterministic."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Case, Screening, ServiceDelivery
from nrm.demo.bulk import generate_bulk
from nrm.demo.journeys import Setting, plan, replay, write_journeys
from nrm.referrals.models import Referral

END = dt.date(2025, 6, 1)


def _case_story(case: Case) -> dict:
    """Everything the case's journey wrote, with row ids replaced by their place in the case."""
    referrals = {r.pk: i for i, r in enumerate(case.referrals.order_by("pk"))}
    episodes = {e.pk: i for i, e in enumerate(case.episodes.order_by("pk"))}
    guardians = {g.pk: i for i, g in enumerate(case.guardians.order_by("pk"))}
    screening = case.screenings.first()
    audit = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).order_by("id")

    def plain(detail: dict) -> dict:
        detail = dict(detail)
        if "referral" in detail:
            detail["referral"] = referrals[detail["referral"]]
        for key in ("referrals_closed", "referrals_completed"):
            if key in detail:
                detail[key] = [referrals[pk] for pk in detail[key]]
        if "episode" in detail:
            detail["episode"] = episodes[detail["episode"]]
        if "guardian" in detail:
            detail["guardian"] = guardians[detail["guardian"]]
        if detail.get("screening"):
            detail["screening"] = "linked"
        detail.pop("source", None)
        return detail

    return {
        "case": Case.objects.filter(pk=case.pk)
        .values(
            "owner__code",
            "status",
            "version",
            "is_child",
            "identification_status",
            "identified_on",
            "asylum_status",
            "asylum_status_on",
            "child_status",
            "closed_on",
            "closure_reason",
            "region",
            "country_of_exploitation",
        )
        .get(),
        "reference": case.reference == f"{case.opened_on.year}-{case.pk:06d}",
        "person": (case.person.given_name, case.person.date_of_birth, case.person.linkage_key, case.person.age_band),
        "forms": sorted(case.forms.values_list("code", flat=True)),
        "episodes": [
            (e.form.code, e.country, e.place, e.started_on, e.ended_on, e.recruiter_relationship, e.version)
            for e in case.episodes.select_related("form")
        ],
        "screening": screening and (screening.result, screening.answers, screening.reasons, screening.channel),
        "consents": list(
            case.consents.values_list("purpose", "organisation__code", "given_on", "recorded_by__username")
        ),
        "referrals": [
            (
                r.kind,
                r.from_org.code,
                r.to_org.code,
                r.status,
                r.version,
                r.sent_on,
                r.due_on,
                r.responded_on,
                r.decline_reason,
                r.without_consent,
                r.legal_ground,
                r.legal_ground_note,
                [(c["purpose"], c["organisation"], c["given_on"]) for c in r.consent_snapshot],
                r.sent_by.username,
            )
            for r in case.referrals.order_by("pk").select_related("from_org", "to_org", "sent_by")
        ],
        "identifications": [
            (i.organisation.code, i.decision, i.decided_on, i.grounds, referrals.get(i.referral_id))
            for i in case.identifications.order_by("pk")
        ],
        "guardians": [
            (g.organisation.code, g.recorded_by.username, g.appointing_authority, g.appointed_on, g.name, g.ended_on)
            for g in case.guardians.order_by("pk")
        ],
        "services": [
            (d.service_type.code, d.organisation.code, d.status, d.version, d.started_on, d.ended_on, d.outcome)
            for d in case.services.order_by("pk")
        ],
        "audit": [(e.action, e.actor, e.role, e.organisation_id, e.reason, plain(e.detail)) for e in audit],
    }


def test_journeys_in_bulk_leave_what_the_services_leave(world):
    setting = Setting(END)
    rng = random.Random(5)
    journeys = [plan(rng, setting, dt.date(2024, 1, 1), END - dt.timedelta(days=1)) for _ in range(40)]
    # The plans cover every branch the services take.
    assert {j.decision for j in journeys} >= {None, "identified", "not_identified"}
    assert any(j.close for j in journeys) and any(not j.consented for j in journeys)
    assert any(step.ended_on for j in journeys for step in j.services)
    assert any(j.episodes for j in journeys)  # some cases have a second episode of exploitation
    assert any(j.asylum_referral for j in journeys) and any(j.guardian for j in journeys)
    by_services = [replay(j, setting) for j in journeys]
    in_bulk = list(Case.objects.filter(pk__in=write_journeys(journeys, setting)).order_by("pk"))
    assert len(in_bulk) == len(journeys)
    for served, bulk in zip(by_services, in_bulk, strict=True):
        expected, got = _case_story(served), _case_story(bulk)
        for key in expected:
            assert got[key] == expected[key], key
    # The screenings' own audit rows, one each, both ways.
    assert AuditEntry.objects.filter(action="screening.create").count() == Screening.objects.count() == 80
    assert audit_verify().ok


def _distribution(after: dict) -> dict:
    screenings = Screening.objects.filter(pk__gt=after["screening"])
    cases = Case.objects.filter(pk__gt=after["case"])
    return {
        "screenings": Counter(screenings.values_list("result", "sex", "age_band", "is_child", "anonymous")),
        "cases": Counter(cases.values_list("owner__code", "status", "identification_status", "is_child")),
        "referrals": Counter(Referral.objects.filter(case__in=cases).values_list("kind", "status")),
        "services": Counter(ServiceDelivery.objects.filter(case__in=cases).values_list("service_type__code", "status")),
        # Less the duplicates proposed: a second run with the same seed invents the same people.
        "audit": Counter(
            AuditEntry.objects.filter(pk__gt=after["audit"])
            .exclude(action="duplicate.propose")
            .values_list("action", flat=True)
        ),
    }


def _last_ids() -> dict:
    return {
        "screening": Screening.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "case": Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "audit": AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


def test_bulk_generation_is_deterministic_for_a_seed_with_every_record_audited(world):
    first_ids = _last_ids()
    counts = generate_bulk(screenings=300, seed=11)
    first = _distribution(first_ids)
    again_ids = _last_ids()
    assert generate_bulk(screenings=300, seed=11) == counts
    assert _distribution(again_ids) == first
    assert counts == {"screenings": 300, "cases": 60}
    assert sum(first["screenings"].values()) == 300 and sum(first["cases"].values()) == 60
    # Cases come with their referrals, decisions and services, each audited as the services audit it.
    audit = first["audit"]
    assert audit["screening.create"] == 300 and audit["case.open"] == 60
    assert audit["referral.send"] == sum(first["referrals"].values())
    assert audit["service.create"] == sum(first["services"].values()) > 0
    assert audit["case.identify"] > 0 and audit["consent.give"] > 0 and audit["case.close"] > 0
    other_ids = _last_ids()
    generate_bulk(screenings=300, seed=12)
    assert _distribution(other_ids) != first
    assert audit_verify().ok
