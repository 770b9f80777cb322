"""The demo's proceedings written in bulk are the rows and audit rows the services would have written."""

from __future__ import annotations

import datetime as dt

from nrm.audit.models import AuditEntry
from nrm.demo.generator import generate
from nrm.justice.demo import demo_justice
from nrm.justice.models import (
    Charge,
    Defendant,
    Proceeding,
    ProceedingAsset,
    ProceedingShare,
    ProceedingVictim,
    Verdict,
)
from nrm.justice.sentences import band_of

END = dt.date(2025, 12, 1)


def _ranks(model) -> dict[int, int]:
    """Return each row's position among its model's rows: primary keys differ between two writes."""
    return {pk: i for i, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True))}


def _written(after: int) -> dict[str, list]:
    """Return everything the justice demo wrote, primary keys replaced by positions; audit rows after ``after``."""
    pr, part, de, ch = _ranks(Proceeding), _ranks(ProceedingVictim), _ranks(Defendant), _ranks(Charge)
    maps = {"proceeding": pr, "defendant": de, "charge": ch, "asset": _ranks(ProceedingAsset)}
    audit = []
    for e in AuditEntry.objects.filter(id__gt=after).order_by("id"):
        object_id = str(pr[int(e.object_id)]) if e.object_type == "proceeding" else e.object_id
        detail = {k: maps[k][v] if k in maps else v for k, v in e.detail.items()}
        audit.append((e.actor_id, e.actor, e.organisation_id, e.role, e.action, e.object_type, object_id, detail))
    return {
        "proceedings": [
            (*row[:-1], row[-1])
            for row in Proceeding.objects.order_by("pk").values_list(
                "owner_id",
                "reference",
                "stage",
                "court",
                "investigation_on",
                "charged_on",
                "indicted_on",
                "first_verdict_on",
                "final_verdict_on",
                "opened_by_id",
                "version",
            )
        ],
        "notes": [p.notes for p in Proceeding.objects.order_by("pk")],
        "forms": sorted(
            (pr[p], f) for p, f in Proceeding.forms.through.objects.values_list("proceeding_id", "exploitationform_id")
        ),
        "parts": [
            (pr[row[0]], *row[1:])
            for row in ProceedingVictim.objects.order_by("pk").values_list(
                "proceeding_id",
                "case_id",
                "role",
                "compensation_currency",
                "compensation_claimed",
                "claimed_on",
                "compensation_awarded",
                "awarded_on",
                "compensation_paid",
                "paid_on",
                "linked_by_id",
                "version",
            )
        ],
        "measures": sorted(
            (part[v], m)
            for v, m in ProceedingVictim.protection_measures.through.objects.values_list(
                "proceedingvictim_id", "protectionmeasure_id"
            )
        ),
        "shares": [
            (pr[row[0]], *row[1:])
            for row in ProceedingShare.objects.order_by("pk").values_list(
                "proceeding_id", "organisation_id", "shared_by_id", "shared_on"
            )
        ],
        "defendants": [
            (pr[d.proceeding_id], d.number, d.name, d.identity_details, d.sex, d.birth_year, d.citizenship)
            for d in Defendant.objects.order_by("pk")
        ],
        "charges": [(de[d], o) for d, o in Charge.objects.order_by("pk").values_list("defendant_id", "offence_id")],
        "verdicts": [
            (ch[row[0]], *row[1:])
            for row in Verdict.objects.order_by("pk").values_list(
                "charge_id",
                "instance",
                "outcome",
                "decided_on",
                "prison_months",
                "suspended",
                "fine_amount",
                "fine_currency",
                "recorded_by_id",
            )
        ],
        "assets": [
            (pr[row[0]], *row[1:])
            for row in ProceedingAsset.objects.order_by("pk").values_list(
                "proceeding_id", "kind", "amount", "currency", "decided_on", "recorded_by_id"
            )
        ],
        "audit": audit,
    }


def _last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_bulk_writes_what_the_services_write(world):
    generate(seed=11, start_year=2019, end_date=END, per_year=(25, 25))
    mark = _last_audit_id()
    summary = demo_justice(seed=11, end_date=END, fraction=1.0, bulk=False)
    through_services = _written(mark)
    # Every kind of step is in the comparison: hidden victims, shares, claims, awards, payments, appeals.
    assert any(e[4] == "demo.justice" for e in through_services["audit"])
    assert through_services["shares"] and through_services["measures"]
    assert {v[1] for v in through_services["verdicts"]} == {"first", "final"}
    assert any(p[8] is not None for p in through_services["parts"])  # a payment
    assert any(v[6] is not None for v in through_services["verdicts"])  # a fine
    assert any(p[10] > 2 for p in through_services["proceedings"])
    assert {a[1] for a in through_services["assets"]} == {"seized", "confiscated"}
    # Final convictions fall in every band of UNODC's sentence table (issue K).
    final = [v for v in through_services["verdicts"] if v[1] == "final" and v[2] == "convicted"]
    assert {band_of(v[4], v[5], v[6]) for v in final} >= {
        "suspended_or_fine",
        "under_1y",
        "1y_to_5y",
        "5y_to_10y",
        "10y_plus",
    }

    for model in (ProceedingAsset, Verdict, Charge, Defendant, ProceedingVictim, ProceedingShare, Proceeding):
        model.objects.all().delete()
    mark = _last_audit_id()
    assert demo_justice(seed=11, end_date=END, fraction=1.0) == summary
    in_bulk = _written(mark)
    for name, rows in through_services.items():
        assert in_bulk[name] == rows, name
