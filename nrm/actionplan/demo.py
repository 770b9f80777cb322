"""The demo's action plans: the seed's plan as real, closed history, and a synthetic current plan.

The seed's Strategy and Action Plan (seed 001) are loaded as they are: an official document whose
period has ended, so its monitoring is closed (:meth:`ActionPlan.phase`) and the dashboards show
it as history, not as years of overdue reports. The demo invents no report for it. So that the
dashboards have something current to open on, the demo adds a plan of its own, marked synthetic
in the data (``Strategy.is_synthetic``, ``ActionPlan.is_synthetic``) and in its title, running
from last year to next year around today, with the seed's institutions responsible for its
activities, and invents its monitoring up to today (:func:`generate_reports`).

Invented monitoring: each expected institution reports every month and once a year. Most
reports arrive on time and are accepted; some are late (accepted and recorded as late), some
are returned for correction and sent again, a few are left in draft and a few never arrive.
Around ``today`` the recent months are a mix of reports waiting for review, drafts and reports
not sent (overdue), and the month just ended is due. Everything goes through the services, so
the demo obeys every rule and leaves an audit trail. Deterministic for a given seed and day.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, OrganisationType, User
from nrm.actionplan import metrics, services
from nrm.actionplan.choices import BriefingKind, DeadlineKind, Progress, Rating, ReportKind, ReportStatus, TaskRole
from nrm.actionplan.due import Period, council_due_date, minister_due_date
from nrm.actionplan.models import ActionPlan, Activity, Report, Resource, TaskInstitution

SEED_PLAN = "rs-action-plan-2017-2018"  # the plan seed 001's loader writes (services.load_plan)
RECENT_DAYS = 75  # reports due this many days before today or less are left in a mix of states

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


def _recent_roll(rng: random.Random) -> str:
    """What became of a report due in the last weeks: not sent, left in draft, or waiting for review."""
    roll = rng.random()
    return "missing" if roll < 0.3 else "draft" if roll < 0.45 else "submitted"


@transaction.atomic
def generate_reports(
    plan: ActionPlan, *, seed: int = 2017, years: tuple[int, ...] | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Create synthetic reports, reviews, evaluations and briefings for ``plan``; return counts.

    With ``today``, only what could have happened by then: periods still running get no report,
    a report due in the last :data:`RECENT_DAYS` days is not sent, in draft or waiting for
    review, one not yet due is sent early or not yet, and nothing is dated today or later.
    """
    rng = random.Random(seed)
    years = years or tuple(range(plan.period_start, plan.period_end + 1))
    coordinator = _coordinator()
    planned = _planned(plan)
    counts = {"reports": 0, "late": 0, "missing": 0, "drafts": 0, "returned": 0, "evaluations": 0, "briefings": 0}
    completed: dict[int, set] = {}
    periods = [Period(y, m) for y in years for m in range(1, 13)] + [Period(y) for y in years]
    # Around today, old reports rarely go missing: the dashboards show this season's work.
    missing, drafts = (0.06, 0.09) if today is None else (0.015, 0.03)
    if today is not None:
        periods = [p for p in periods if p.end < today]
    for period in periods:
        due = period.due(plan)
        recent = today is not None and due >= today - dt.timedelta(days=RECENT_DAYS)
        for org_id in sorted(metrics.expected_institutions(plan, period)):
            roll = rng.random()
            fate = _recent_roll(rng) if recent else ""
            if today is not None and due >= today:
                fate = "submitted" if rng.random() < 0.3 else "missing"  # not yet due: a few send early
            if roll < missing or fate == "missing":
                counts["missing"] += 1
                continue
            org = Organisation.objects.get(pk=org_id)
            reporter = _reporter(org)
            if roll < 0.25 and not recent:
                submitted = due + dt.timedelta(days=rng.randint(1, 20))
            else:
                submitted = max(due - dt.timedelta(days=rng.randint(0, 4)), period.end + dt.timedelta(days=1))
            if today is not None and submitted >= today:
                submitted = today - dt.timedelta(days=1)
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
            if roll < drafts or fate == "draft" or submitted <= period.end:
                counts["drafts"] += 1
                continue
            report = services.report_submit(
                actor=reporter, report=report, expected_version=report.version, at=_at(submitted)
            )
            counts["late"] += report.is_late
            if fate:
                continue  # recent or early: waiting for the Coordinator's review
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
            if rng.random() < 0.95 and (today is None or review_day < today):
                services.report_accept(
                    actor=coordinator, report=report, expected_version=report.version, at=_at(review_day, 15)
                )
        if period.month:
            briefing_day = minister_due_date(period.year, period.month) - dt.timedelta(days=rng.randint(0, 6))
            if today is not None and (briefing_day >= today or recent):
                continue
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
        if today is not None and at.date() >= today:
            continue
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


# --- The synthetic current plan -----------------------------------------------------------------

# Generic measures any country's plan might hold; (objective, [(activity, indicators, deadline)]).
# A deadline is ("continuous", years after the plan's first), ("year", offset) or ("quarter", offset, q).
SYNTHETIC_OBJECTIVES = [
    (
        "Prevention: awareness and training",
        [
            (
                "Awareness sessions in secondary schools",
                ["Number of sessions held", "Number of pupils reached"],
                ("continuous", 2),
            ),
            (
                "Training of labour inspectors on indicators of forced labour",
                ["Number of inspectors trained"],
                ("quarter", 1, 2),
            ),
        ],
    ),
    (
        "Identification of victims and their protection",
        [
            ("Revise the standard operating procedures for identification", ["Procedures adopted"], ("year", 0)),
            (
                "Keep specialised accommodation for child victims available",
                ["Number of places available"],
                ("continuous", 2),
            ),
        ],
    ),
    (
        "Prosecution and partnership",
        [
            (
                "Joint trainings of police and prosecutors on financial investigations",
                ["Number of joint trainings"],
                ("continuous", 2),
            ),
            ("Agree a protocol on data exchange between institutions", ["Protocol signed"], ("year", 2)),
        ],
    ),
]


def _reporting_organisations(limit: int = 5) -> list[Organisation]:
    """Return the organisations to make responsible: the demo focal point's, then the busiest in loaded plans.

    Taken from the data, so any country's seed plan serves; without one, the first organisations by code.
    """
    ranked = list(
        TaskInstitution.objects.filter(
            role=TaskRole.RESPONSIBLE, institution__reports=True, task__activity__plan__is_synthetic=False
        )
        .values("institution__organisation")
        .annotate(n=Count("id"))
        .order_by("-n", "institution__organisation")
        .values_list("institution__organisation", flat=True)[: limit * 2]
    )
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=ranked)}
    chosen = [orgs[pk] for pk in ranked if pk in orgs]
    if not chosen:
        chosen = list(Organisation.objects.exclude(type__code="coordinator").order_by("code")[:limit])
    first = Organisation.objects.filter(code=DEMO_REPORTER[1]).first()
    if first is not None:
        chosen = [first, *[o for o in chosen if o.pk != first.pk]]
    return chosen[:limit]


def _plan_currency() -> str:
    """Return the currency of the loaded official plans (the country's), else EUR."""
    return (
        ActionPlan.objects.filter(is_synthetic=False).exclude(currency="").values_list("currency", flat=True).first()
        or "EUR"
    )


def synthetic_plan_document(today: dt.date, organisations: list[Organisation], *, currency: str = "EUR") -> dict:
    """Return a plan document (the loader's format) for a synthetic plan from last year to next year.

    Each organisation is responsible for at least one activity running to the plan's end, so
    every one of them reports every month. Marked ``synthetic`` in the document and its titles.
    """
    start, end = today.year - 1, today.year + 1
    names = [o.name for o in organisations]
    objectives, k = [], 0
    for i, (title, activities) in enumerate(SYNTHETIC_OBJECTIVES, start=1):
        rows = []
        for j, (activity, indicators, deadline) in enumerate(activities, start=1):
            number = f"{i}.{j}"
            if deadline[0] == "quarter":
                when = {"kind": DeadlineKind.QUARTER, "year": start + deadline[1], "quarter": deadline[2]}
                when["text"] = f"Q{deadline[2]} {when['year']}"
            else:
                when = {"kind": deadline[0], "year": start + deadline[1], "text": str(start + deadline[1])}
            responsible = names[k % len(names)]
            partner = names[(k + 1) % len(names)]
            k += 1
            rows.append(
                {
                    "number": number,
                    "title": activity,
                    "tasks": [
                        {
                            "number": f"{number}.1",
                            "title": activity,
                            "responsible": [responsible],
                            "partners": [partner],
                        },
                    ],
                    "indicators": indicators,
                    "deadlines": [when],
                    "resources": [
                        {
                            "tasks": [f"{number}.1"],
                            "text": f"{(j + i) * 500000} {currency} a year",
                            "amount": float((j + i) * 500000),
                            "currency": currency,
                            "year": year,
                            "funding_source": "budget",
                            "institution": responsible,
                        }
                        for year in range(start, when["year"] + 1)
                    ],
                    "risks": [],
                }
            )
        objectives.append(
            {"number": str(i), "title": title, "strategy_objective": str(i), "indicators": [], "activities": rows}
        )
    # Whoever the measures above left out still gets an activity of their own running to the end.
    for name in names[k:]:
        number = f"3.{len(objectives[-1]['activities']) + 1}"
        objectives[-1]["activities"].append(
            {
                "number": number,
                "title": "Take part in the national referral mechanism's coordination meetings",
                "tasks": [
                    {"number": f"{number}.1", "title": "Attend the meetings", "responsible": [name], "partners": []}
                ],
                "indicators": ["Number of meetings attended"],
                "deadlines": [{"kind": DeadlineKind.CONTINUOUS, "year": end, "text": str(end)}],
                "resources": [],
                "risks": [],
            }
        )
    return {
        "country": settings.NRM_COUNTRY,
        "synthetic": True,
        "source": "Synthetic: invented by nrm demo, not an official document",
        "institutions": [{"name": n, "aliases_in_seed": []} for n in names],
        "strategy": {
            "code": f"demo-strategy-{start}-{end}",
            "title": "Demo strategy (synthetic)",
            "period_start": start,
            "period_end": end,
            "vision": "Synthetic: a demonstration of monitoring, not a policy.",
            "general_objective": "Synthetic.",
            "special_objectives": [
                {"number": str(i), "title": title, "description": ""}
                for i, (title, _a) in enumerate(SYNTHETIC_OBJECTIVES, start=1)
            ],
        },
        "action_plan": {
            "code": f"demo-action-plan-{start}-{end}",
            "title": "Demo action plan (synthetic)",
            "period_start": start,
            "period_end": end,
            "objectives": objectives,
        },
        "budget": {"action_plan": {"currency": currency, "years": list(range(start, end + 1)), "rows": []}},
    }


def synthetic_plan_load(today: dt.date) -> ActionPlan:
    """Load the synthetic current plan around ``today`` (a second load changes nothing) and return it.

    The demo's other inventions (prevention events as evidence of its tasks) link to this plan,
    never to the seed's: the seed plan is an official document and receives no demo activity.
    """
    organisations = _reporting_organisations()
    doc = synthetic_plan_document(today, organisations, currency=_plan_currency())
    mapping = {"institutions": [{"name": o.name, "code": o.code} for o in organisations]}
    services.load_document(doc, mapping, name="synthetic demo plan")
    return ActionPlan.objects.get(code=doc["action_plan"]["code"])


def demo_current_plan(*, today: dt.date | None = None, seed: int = 2017) -> tuple[ActionPlan, dict[str, int]]:
    """Load the synthetic current plan around ``today`` and, once, invent its monitoring up to today."""
    today = today or timezone.localdate()
    plan = synthetic_plan_load(today)
    if plan.reports.exists():
        return plan, {}
    return plan, generate_reports(plan, seed=seed, today=today)


def demo_action_plan(*, password: str, seed: int = 2017, today: dt.date | None = None) -> str:
    """Load the seed's plan as real history, the demo focal point and the synthetic current plan; return a summary."""
    today = today or timezone.localdate()
    counts = services.load_plan()
    demo_reporter(password)
    seed_plan = ActionPlan.objects.get(code=SEED_PLAN)
    lines = [
        "action plan (seed, real data): " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()),
        f"  {seed_plan.code}: {seed_plan.phase(today).replace('_', ' ')} (monitoring closed on {seed_plan.closes_on}); "
        "kept as history, no report invented for it",
    ]
    plan, made = demo_current_plan(today=today, seed=seed)
    lines.append(f"action plan (synthetic, marked so in the data): {plan} around {today}")
    if made:
        lines.append("  invented monitoring up to today: " + ", ".join(f"{v} {k}" for k, v in made.items()))
    else:
        lines.append(f"  action-plan reports already present: {plan.reports.count()}")
    overdue = len(metrics.overdue(plan, today=today))
    waiting = plan.reports.filter(status=ReportStatus.SUBMITTED).count()
    lines.append(f"  the dashboards open on it: {overdue} reports overdue, {waiting} waiting for review")
    return "\n".join(lines)
