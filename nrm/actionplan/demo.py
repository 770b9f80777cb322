"""Synthetic monitoring of Serbia's Action Plan 2017-2018 for the demo; every report is invented.

Each expected institution reports every month of 2017 and 2018 and once a year. Most reports
arrive on time and are accepted; some are late (accepted and recorded as late), some are
returned for correction and sent again, a few are left in draft and a few never arrive.
Everything goes through the services, so the demo obeys every rule and leaves an audit trail.
Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, OrganisationType, User
from nrm.actionplan import metrics, services
from nrm.actionplan.choices import BriefingKind, Progress, Rating, ReportKind
from nrm.actionplan.due import Period, council_due_date, minister_due_date
from nrm.actionplan.models import ActionPlan, Activity, Report, Resource

# The extra demo user, printed with the BRIEF's: the Ministry of the Interior's focal point.
DEMO_REPORTER = ("reporter", "mup", Role.REPORTER, "Ministry of the Interior: action-plan focal point (reports)")

DONE = [
    "Working meeting held with partners; conclusions sent to members.",
    "Training delivered as planned; list of participants attached.",
    "Draft document prepared and circulated for comments.",
    "Joint activity carried out with local anti-trafficking team.",
    "Materials printed and distributed to field offices.",
    "Consultations held with civil society organisations.",
    "Data collected from regional units and consolidated.",
    "Focal points appointed; first coordination meeting held.",
]
PROBLEMS = [
    "Funds not yet released by the Ministry of Finance.",
    "Staff overloaded with other duties this month.",
    "Partner organisation postponed the joint activity.",
    "Procurement procedure delayed.",
    "Expert for the TAIEX workshop not yet confirmed.",
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def demo_reporter(password: str) -> User:
    """Create (or reset) the demo focal point ``reporter`` with ``password``."""
    username, org_code, role, _desc = DEMO_REPORTER
    user, _created = User.objects.get_or_create(username=username, defaults={"first_name": "Reporter"})
    user.set_password(password)
    if not user.email:
        user.email = "reporter@mup.example.org"
    user.save()
    Membership.objects.update_or_create(
        user=user, organisation=Organisation.objects.get(code=org_code), defaults={"role": role, "is_active": True}
    )
    return user


def _member(username: str, org: Organisation, role: str) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": role})
    return user


def _coordinator() -> User:
    """Return a Coordinator's-office user to review the reports: the demo ``coordinator`` if present."""
    found = User.objects.filter(memberships__role=Role.COORDINATOR, memberships__is_active=True).order_by("pk").first()
    if found:
        return found
    org = Organisation.objects.filter(type__code="coordinator").first()
    if org is None:
        otype, _created = OrganisationType.objects.get_or_create(
            code="coordinator", defaults={"name": "Office of the National Coordinator"}
        )
        org = Organisation.objects.create(code="coordinator", name="National Coordinator", type=otype)
    return _member("ap-coordinator", org, Role.COORDINATOR)


def _reporter(org: Organisation) -> User:
    """Return the institution's focal point: the demo ``reporter`` at its ministry, else a synthetic one."""
    found = (
        User.objects.filter(memberships__organisation=org, memberships__role=Role.REPORTER, memberships__is_active=True)
        .order_by("pk")
        .first()
    )
    return found or _member(f"reporter-{org.code}", org, Role.REPORTER)


def _progress(rng: random.Random, activity: Activity, period: Period) -> str:
    span = (activity.active_until - activity.active_from).days or 1
    elapsed = (period.end - activity.active_from).days / span
    if rng.random() < 0.08:
        return Progress.DELAYED
    if elapsed < 0.1:
        return rng.choice([Progress.NOT_STARTED, Progress.IN_PROGRESS])
    if elapsed >= 0.95:
        return Progress.COMPLETED if rng.random() < 0.6 else Progress.IN_PROGRESS
    return Progress.COMPLETED if rng.random() < 0.15 else Progress.IN_PROGRESS


def _indicator_value(rng: random.Random, text: str) -> str:
    if text.lower().startswith("number"):
        return str(rng.randint(0, 40))
    return rng.choice(["Yes", "In preparation", "Partly", "Not yet"])


def _entries(rng: random.Random, report: Report, planned: dict, done_so_far: set) -> list[dict]:
    items = []
    for entry in report.entries.select_related("activity").prefetch_related("activity__indicators"):
        activity = entry.activity
        progress = Progress.COMPLETED if activity.pk in done_so_far else _progress(rng, activity, report.period)
        if progress == Progress.COMPLETED:
            done_so_far.add(activity.pk)
        item = {
            "activity": activity,
            "progress": progress,
            "done": "" if progress == Progress.NOT_STARTED else rng.choice(DONE),
            "indicators": {
                i.pk: _indicator_value(rng, i.text) for i in activity.indicators.all() if rng.random() < 0.6
            },
        }
        budget = planned.get((activity.pk, report.year))
        if budget and report.kind == ReportKind.MONTHLY and progress != Progress.NOT_STARTED:
            share = Decimal(rng.randint(40, 120)) / Decimal(1200)
            item.update(money_spent=(budget * share).quantize(Decimal("100")), funding_source="budget")
        if progress == Progress.DELAYED or rng.random() < 0.06:
            item["problems"] = rng.choice(PROBLEMS)
        items.append(item)
    return items


def _planned(plan: ActionPlan) -> dict[int, dict[tuple[int, int], Decimal]]:
    """Return per organisation the budget planned per (activity, year) in the plan's own currency."""
    out: dict[int, dict[tuple[int, int], Decimal]] = {}
    rows = Resource.objects.filter(
        activity__plan=plan, amount__isnull=False, suspected_duplicate=False, currency=plan.currency
    ).values_list("institution__organisation_id", "activity_id", "year", "amount")
    for org, activity, year, amount in rows:
        if org and year:
            key = (activity, year)
            out.setdefault(org, {})[key] = out.get(org, {}).get(key, Decimal(0)) + amount
    return out


@transaction.atomic
def generate_reports(plan: ActionPlan, *, seed: int = 2017, years: tuple[int, ...] | None = None) -> dict[str, int]:
    """Create synthetic reports, reviews, evaluations and briefings for ``plan``; return counts."""
    rng = random.Random(seed)
    years = years or tuple(range(plan.period_start, plan.period_end + 1))
    coordinator = _coordinator()
    planned = _planned(plan)
    counts = {"reports": 0, "late": 0, "missing": 0, "drafts": 0, "returned": 0, "evaluations": 0, "briefings": 0}
    completed: dict[int, set] = {}
    periods = [Period(y, m) for y in years for m in range(1, 13)] + [Period(y) for y in years]
    for period in periods:
        due = period.due(plan)
        for org_id in sorted(metrics.expected_institutions(plan, period)):
            roll = rng.random()
            if roll < 0.06:
                counts["missing"] += 1
                continue
            org = Organisation.objects.get(pk=org_id)
            reporter = _reporter(org)
            if roll < 0.25:
                submitted = due + dt.timedelta(days=rng.randint(1, 20))
            else:
                submitted = max(due - dt.timedelta(days=rng.randint(0, 4)), period.end + dt.timedelta(days=1))
            report = services.report_create(
                actor=reporter,
                plan=plan,
                institution=org,
                kind=period.kind,
                year=period.year,
                month=period.month or None,
                today=submitted,
            )
            report = services.report_save_draft(
                actor=reporter,
                report=report,
                expected_version=report.version,
                summary="" if period.month else f"Annual report {period.year}.",
                entries=_entries(rng, report, planned.get(org_id, {}), completed.setdefault(org_id, set())),
            )
            counts["reports"] += 1
            if roll < 0.09:
                counts["drafts"] += 1
                continue
            report = services.report_submit(
                actor=reporter, report=report, expected_version=report.version, at=_at(submitted)
            )
            counts["late"] += report.is_late
            review_day = submitted + dt.timedelta(days=rng.randint(1, 6))
            if rng.random() < 0.08:
                report = services.report_return(
                    actor=coordinator,
                    report=report,
                    expected_version=report.version,
                    reason="Indicator values are missing for some activities; please complete them.",
                    at=_at(review_day),
                )
                counts["returned"] += 1
                review_day += dt.timedelta(days=rng.randint(1, 5))
                report = services.report_submit(
                    actor=reporter, report=report, expected_version=report.version, at=_at(review_day, 9)
                )
            if rng.random() < 0.95:
                services.report_accept(
                    actor=coordinator, report=report, expected_version=report.version, at=_at(review_day, 15)
                )
        if period.month:
            briefing_day = minister_due_date(period.year, period.month) - dt.timedelta(days=rng.randint(0, 6))
            services.briefing_generate(
                actor=coordinator,
                plan=plan,
                kind=BriefingKind.MINISTER,
                year=period.year,
                month=period.month,
                at=_at(briefing_day, 12),
            )
            counts["briefings"] += 1
            last = plan.briefings.filter(kind=BriefingKind.COUNCIL).order_by("-created_at").first()
            since = timezone.localdate(last.created_at) if last else plan.starts_on
            if briefing_day >= council_due_date(since) - dt.timedelta(days=10):
                services.briefing_generate(
                    actor=coordinator, plan=plan, kind=BriefingKind.COUNCIL, at=_at(briefing_day, 13)
                )
                counts["briefings"] += 1
    for year in years:
        at = _at(Period(year).due(plan) + dt.timedelta(days=10))
        for activity in Activity.objects.filter(plan=plan).order_by("objective__order", "order"):
            if not activity.covers(Period(year)):
                continue
            finished = activity.active_until.year <= year
            roll = rng.random()
            if finished:
                rating = (
                    Rating.COMPLETED
                    if roll < 0.5
                    else Rating.PARTIALLY_COMPLETED
                    if roll < 0.85
                    else Rating.NOT_COMPLETED
                )
            else:
                rating = Rating.PARTIALLY_COMPLETED if roll < 0.8 else Rating.NOT_COMPLETED
            comments = "" if rating == Rating.COMPLETED else "Additional measures needed; continue in the next period."
            services.evaluation_record(
                actor=coordinator, activity=activity, year=year, rating=rating, comments=comments, at=at
            )
            counts["evaluations"] += 1
    return counts


def demo_action_plan(*, password: str, seed: int = 2017) -> str:
    """Load Serbia's plan, create the demo focal point and, once, the synthetic reports; return a summary."""
    counts = services.load_plan()
    demo_reporter(password)
    plan = ActionPlan.objects.get(code="rs-action-plan-2017-2018")
    lines = ["action plan: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())]
    if plan.reports.exists():
        lines.append(f"action-plan reports already present: {plan.reports.count()}")
    else:
        made = generate_reports(plan, seed=seed)
        lines.append("action-plan monitoring: " + ", ".join(f"{v} {k}" for k, v in made.items()))
    return "\n".join(lines)
