"""A synthetic donor programme for the demo, written through the services; every figure is invented.

The seeds' real programmes are loaded as reference data (:func:`nrm.programmes.loading.load_programmes`)
and left as published; the demo adds one programme marked "(demo)" with partners, funding,
a results framework, baselines, targets and quarterly values, so that progress, charts and
exports have something to show. Deterministic for a given seed; a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.programmes import services
from nrm.programmes.models import Programme

CODE = "demo-victim-support-2022"


def _coordinator() -> User | None:
    """Return an active member of the Coordinator's office, creating a synthetic one if needed."""
    member = (
        Membership.objects.filter(role=Role.COORDINATOR, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is not None:
        return member.user
    office = Organisation.objects.filter(type__code="coordinator", is_active=True).order_by("code").first()
    if office is None:
        return None
    user, created = User.objects.get_or_create(username="staff-programmes")
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, organisation=office, defaults={"role": Role.COORDINATOR})
    return user


def _quarters(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    year, month = start.year, start.month
    while True:
        first = dt.date(year, month, 1)
        nxt = dt.date(year + (month + 2) // 12, (month + 2) % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > end:
            return out
        out.append((first, last))
        year, month = nxt.year, nxt.month


def demo_programmes(*, seed: int = 2017, today: dt.date | None = None) -> str:
    """Create the demo programme; return a one-line summary."""
    if Programme.objects.filter(code=CODE).exists():
        return f"demo programme already present: {CODE}"
    actor = _coordinator()
    if actor is None:
        return "demo programme: none (no Coordinator's office in the reference data)"
    rng = random.Random(seed * 17 + 5)
    today = today or dt.date.today()
    start, end = dt.date(2022, 1, 1), dt.date(2026, 12, 31)
    programme = services.programme_create(
        actor=actor,
        code=CODE,
        title="Victim support and reintegration (demo)",
        period_start=start,
        period_end=end,
        description="A synthetic programme for the demonstration; every name and figure is invented.",
        budget_amount=Decimal(900000),
        budget_currency="EUR",
        source="Synthetic demo data",
    )
    for code, role in (("ngo-sigurna", "implementing"), ("ngo-most", "implementing"), ("coordinator", "accountable")):
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is not None:
            services.partner_add(actor=actor, programme=programme, organisation=organisation, role=role)
    for donor, amount in (("Demo Donor Agency A", 500000), ("Demo Foundation B", 250000), ("Demo Fund C", 150000)):
        services.funding_line_add(actor=actor, programme=programme, donor=donor, amount=Decimal(amount), currency="EUR")
    objective = services.objective_add(
        actor=actor, programme=programme, number="1", title="Victims recover and live independently"
    )
    outcome = services.outcome_add(
        actor=actor, programme=programme, number="1.1", title="Victims use support services", objective=objective
    )
    output = services.output_add(
        actor=actor, programme=programme, number="1.1.1", title="Case management and shelter", outcome=outcome
    )
    indicators = [
        services.indicator_add(
            actor=actor,
            programme=programme,
            code=code,
            name=name,
            unit=unit,
            baseline=Decimal(base),
            target=Decimal(target),
            output=output,
        )
        for code, name, unit, base, target in (
            ("victims-supported", "Victims receiving case management", "people", 0, 60),
            ("shelter-nights", "Nights of safe accommodation provided", "nights", 0, 4000),
        )
    ]
    recorded = 0
    for first, last in _quarters(start, min(end, today)):
        for indicator in indicators:
            per_quarter = int(indicator.target) // 20
            value = Decimal(max(0, per_quarter + rng.randint(-per_quarter // 3, per_quarter // 3)))
            services.indicator_value_record(
                actor=actor, indicator=indicator, period_start=first, period_end=last, value=value, source="Demo"
            )
            recorded += 1
    services.document_add(
        actor=actor, programme=programme, title="Programme document (demo)", reference="Synthetic demo reference"
    )
    return f"demo programme: {CODE} with {len(indicators)} indicators and {recorded} values"
