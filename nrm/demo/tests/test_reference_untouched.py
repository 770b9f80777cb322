"""Seed data stays reference data: the demo writes nothing into the seed plan, its tasks or the seed programmes.

The snapshot walks every record that points, directly or through others, at a seed plan, strategy
or programme (every reverse relation, whatever app holds it: prevention's events and feeds,
action-plan reports and evaluations, programme indicator values...), so a new link from a demo
to seed data fails here without this test naming it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import models

from conftest import PASSWORD
from nrm.actionplan.demo import demo_action_plan
from nrm.actionplan.models import ActionPlan, Strategy
from nrm.prevention.demo import demo_prevention
from nrm.prevention.models import AwarenessAction, Event
from nrm.prevention.selectors import activity_evidence
from nrm.programmes.demo import demo_programmes
from nrm.programmes.models import Programme

TODAY = dt.date(2026, 11, 25)


def _row(obj: models.Model) -> tuple:
    """Return a row as its model and values, without its id: the seed's own reload (``load_plan``
    in the demo) rewrites deadlines and roles as new rows with the same values, and may touch
    ``auto_now`` stamps; what counts is what the rows say."""
    values = [
        (f.attname, getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False)
    ]
    for m2m in obj._meta.many_to_many:
        values.append((m2m.name, tuple(sorted(getattr(obj, m2m.name).values_list("pk", flat=True)))))
    return (obj._meta.label, *(f"{k}={v!r}" for k, v in values))


def snapshot(roots: list[models.Model]) -> Counter:
    """Return every row reachable from ``roots`` through reverse relations (whatever app holds it)."""
    seen: set[tuple[str, int]] = set()
    rows: Counter = Counter()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        key = (obj._meta.label, obj.pk)
        if key in seen:
            continue
        seen.add(key)
        rows[_row(obj)] += 1
        for rel in obj._meta.related_objects:
            # Queried from the other side, so hidden relations (related_name "+") count too.
            todo += list(rel.related_model._base_manager.filter(**{rel.field.name: obj}))
    return rows


def seed_roots() -> list[models.Model]:
    return [*Strategy.objects.all(), *ActionPlan.objects.all(), *Programme.objects.all()]


def test_the_demo_writes_nothing_into_seed_plans_tasks_or_programmes(world):
    roots = seed_roots()  # the reference load alone: every strategy, plan and programme is a seed's
    assert any(p.code == "rs-action-plan-2017-2018" for p in roots if isinstance(p, ActionPlan))
    assert not any(getattr(r, "is_synthetic", False) for r in roots)
    before = snapshot(roots)

    demo_prevention(seed=5, end_date=TODAY)
    demo_programmes(seed=5, today=TODAY)
    demo_action_plan(password=PASSWORD, seed=5, today=TODAY)

    after = snapshot([type(r).objects.get(pk=r.pk) for r in roots])
    added, gone = after - before, before - after
    assert not added, f"rows linked to seed data or changed by the demo: {list(added)[:5]}"
    assert not gone, f"seed rows the demo changed or removed: {list(gone)[:5]}"
    # The demo stays useful: its own current plan has prevention work as evidence of its tasks.
    synthetic = ActionPlan.objects.get(is_synthetic=True)
    events = Event.objects.filter(task__activity__plan=synthetic)
    assert events.exists() and AwarenessAction.objects.filter(task__activity__plan=synthetic).exists()
    assert not Event.objects.filter(task__activity__plan__is_synthetic=False).exists()
    event = events.select_related("task__activity").first()
    activity, day = event.task.activity_id, event.starts_on
    assert activity_evidence(world["coordinator"], [activity], day.year, day.month)[activity]["events"] >= 1
