"""Synthetic prevention records for the demo: trainings, round tables, awareness actions and KAP
surveys from 2017, every one invented, made through the services by the demo users so that the
rules hold and the audit trail is there. Some are linked to a synthetic programme, "Prevention and
training (demo)", whose indicators are fed from them, and, as evidence for the monthly reports,
to the tasks of the demo's synthetic current action plan (``nrm.actionplan.demo``).

Seed data is reference data and receives no demo activity. The seeds' programmes (the IRC's
among them) keep their published figures (668 professionals trained, 9 round tables...): no
invented event counts toward them, nor reaches the IATI file that republishes them. The seed's
Action Plan (2017-2018) is an official document: no invented event is evidence of its tasks.

Deterministic for a given seed and end date; a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from nrm.accounts.models import Organisation, User
from nrm.prevention import services
from nrm.prevention.models import AwarenessAction, Event, IndicatorFeed, KapSurvey
from nrm.prevention.reference import load_prevention_reference

DEMO_PROGRAMME = "demo-prevention-training"
# The indicators the demo programme's feeds fill, with the seed IRC programme's names as a model.
DEMO_INDICATORS = [
    ("professionals-trained", "Professionals trained in identification and referral", "professionals"),
    ("roundtables", "Roundtables held", "roundtables"),
    ("roundtable-participants", "Participants in the roundtables", "participants"),
    ("kap-surveys", "Knowledge, Attitudes, and Practices surveys conducted", "surveys"),
    ("kap-participants", "Participants in the Knowledge, Attitudes, and Practices surveys", "participants"),
    ("leaflets", "Leaflets on victims' rights delivered", "leaflets"),
    ("info-cards", "Info cards disseminated to key institutions", "cards"),
]
# The synthetic current plan's tasks (nrm.actionplan.demo.SYNTHETIC_OBJECTIVES) events are evidence of.
SCHOOL_AWARENESS_TASK = "1.1.1"  # awareness sessions in secondary schools
LABOUR_INSPECTORS_TASK = "1.2.1"  # training of labour inspectors on indicators of forced labour
POLICE_PROSECUTORS_TASK = "3.1.1"  # joint trainings of police and prosecutors
# Demo user -> (the professions their events train, weights), and the kinds of event they hold.
ORGANISERS = {
    "police": (["police", "border_police", "prosecutor", "labour_inspector", "asylum_officer"], ["training"]),
    "socialwork": (
        ["social_worker", "health_worker", "teacher", "local_government", "police"],
        ["training", "seminar"],
    ),
    "ngo": (
        ["social_worker", "ngo_staff", "asylum_officer", "health_worker", "teacher", "media"],
        ["training", "round_table"],
    ),
    "ngo2": (
        ["ngo_staff", "social_worker", "teacher", "media", "local_government"],
        ["training", "round_table", "seminar"],
    ),
    "coordinator": (
        ["police", "prosecutor", "judge", "social_worker", "labour_inspector", "asylum_officer", "ngo_staff"],
        ["training", "round_table", "conference"],
    ),
}
TOPICS = [
    ("Identifying victims of trafficking", "Indicators and the first contact"),
    ("Referral to the Centre for identification", "The National Referral Mechanism step by step"),
    ("Preventing secondary victimisation", "Victim-centred interviews"),
    ("Labour exploitation", "Inspections and indicators of forced labour"),
    ("Children at risk", "Child trafficking, begging and forced marriage"),
    ("Migrants and asylum seekers", "The asylum and trafficking nexus"),
    ("Online recruitment", "Social media, fake job offers and grooming"),
    ("Financial investigations", "Following the money in trafficking cases"),
]
ROUND_TABLES = [
    ("Round table: cooperation in the referral mechanism", "Local anti-trafficking teams"),
    ("Round table: protection of migrant victims", "Asylum and anti-trafficking organisations"),
]
CONFERENCES = [("National conference against human trafficking", "The Strategy and its Action Plan")]
LOCATIONS = ["Training centre", "City hall", "Police academy", "Hotel conference room", "Judicial academy", "Online"]
AWARENESS = [
    ("campaign", "Safe work abroad", "Young job seekers"),
    ("school", "Know the risks: school sessions", "Secondary school pupils"),
    ("social_media", "Think before you go", "Young people online"),
    ("public_event", "18 October, EU Anti-Trafficking Day", "General public"),
    ("media", "TV reportage on labour exploitation", "General public"),
    ("campaign", "Rights of victims: where to get help", "Migrants and asylum seekers"),
]
MATERIAL_TITLES = {
    "leaflet": "Leaflet: your rights and where to get help",
    "info_card": "Info card: helpline and contacts",
    "poster": "Poster: trafficking is a crime",
    "brochure": "Brochure for professionals",
    "web_post": "Social media post series",
}
WHERE = [
    "Asylum centres",
    "Bus and railway stations",
    "Schools",
    "Centres for social work",
    "Police stations",
    "Border crossings",
]


def _users() -> dict[str, User] | None:
    users = {u.username: u for u in User.objects.filter(username__in=ORGANISERS)}
    return users if len(users) == len(ORGANISERS) else None


def _organisation(user: User) -> Organisation:
    from nrm.accounts.access import PreventionAction, prevention_organisations

    return Organisation.objects.get(pk=prevention_organisations(user, PreventionAction.EDIT)[0])


def _tasks(end_date: dt.date) -> dict[str, object]:
    """Return the synthetic current plan's training and awareness tasks by number, loading that plan if needed.

    Never a seed plan's: evidence invented for an official plan would show on its monitoring pages.
    """
    from nrm.actionplan.demo import synthetic_plan_load
    from nrm.actionplan.models import Task

    plan = synthetic_plan_load(end_date)
    numbers = [SCHOOL_AWARENESS_TASK, LABOUR_INSPECTORS_TASK, POLICE_PROSECUTORS_TASK]
    tasks = Task.objects.filter(activity__plan=plan, activity__plan__is_synthetic=True, number__in=numbers)
    return {t.number: t for t in tasks.select_related("activity")}


def _task_on(tasks: dict, number: str, day: dt.date):
    """Return the task ``number`` if its activity runs on ``day`` (a monthly report then asks about it), else None."""
    task = tasks.get(number)
    if task is None or not task.activity.active_from <= day <= task.activity.active_until:
        return None
    return task


def _day(rng: random.Random, year: int, last: dt.date) -> dt.date | None:
    first = dt.date(year, 1, 15)
    end = min(dt.date(year, 12, 15), last)
    if end < first:
        return None
    return first + dt.timedelta(days=rng.randrange((end - first).days + 1))


def _attendance(rng: random.Random, professions: list[str], kind: str) -> list[dict]:
    rows = []
    for profession in rng.sample(professions, k=min(len(professions), rng.randint(1, 3))):
        for sex in ("F", "M"):
            if rng.random() < 0.85:
                rows.append(
                    {"profession": profession, "sex": sex, "count": rng.randint(1, 14 if kind != "conference" else 30)}
                )
    return rows or [{"profession": professions[0], "sex": "U", "count": rng.randint(5, 20)}]


def demo_prevention(seed: int = 2017, *, start_year: int = 2017, end_date: dt.date | None = None) -> str:
    """Create the demo's prevention records once; return a one-line summary."""
    load_prevention_reference()
    if Event.objects.exists() or AwarenessAction.objects.exists() or KapSurvey.objects.exists():
        return f"prevention records already present: {Event.objects.count()} events"
    users = _users()
    if users is None:
        return "prevention records: none (create the demo users first)"
    rng = random.Random(seed * 13 + 7)
    end_date = end_date or timezone.localdate()
    last = end_date - dt.timedelta(days=1)
    orgs = {name: _organisation(user) for name, user in users.items()}
    demo_programme = _demo_programme(users["coordinator"])
    tasks = _tasks(end_date)
    regions = sorted(set(Organisation.objects.exclude(region="").values_list("region", flat=True)))
    events = 0
    for year in range(start_year, end_date.year + 1):
        for _ in range(12):
            who = rng.choice(["police", "police", "socialwork", "ngo", "ngo", "ngo2", "coordinator"])
            professions, kinds = ORGANISERS[who]
            kind = rng.choice(kinds)
            day = _day(rng, year, last)
            if day is None:
                continue
            title, topic = rng.choice(
                ROUND_TABLES if kind == "round_table" else CONFERENCES if kind == "conference" else TOPICS
            )
            task = None
            if kind == "training" and "prosecutor" in professions:
                task = _task_on(tasks, POLICE_PROSECUTORS_TASK, day)
            if task is None and kind == "training" and "labour_inspector" in professions:
                task = _task_on(tasks, LABOUR_INSPECTORS_TASK, day)
            programme = (
                demo_programme
                if demo_programme and year >= 2018 and who in ("ngo", "ngo2", "coordinator") and rng.random() < 0.6
                else None
            )
            rows = _attendance(rng, professions, kind)
            total = sum(r["count"] for r in rows)
            evaluated = rng.random() < 0.7
            forms = rng.randint(max(1, total // 2), total) if evaluated else None
            services.event_record(
                actor=users[who],
                organiser=orgs[who],
                kind=kind,
                title=f"{title} ({year})",
                topic=topic,
                starts_on=day,
                ends_on=min(day + dt.timedelta(days=rng.choice([0, 0, 1, 2])), last) if day < last else day,
                region=rng.choice(regions) if who == "coordinator" and regions else "",
                location=rng.choice(LOCATIONS),
                programme=programme,
                task=task,
                attendance=rows,
                forms_returned=forms,
                average_score=f"{rng.uniform(3.4, 4.9):.2f}" if evaluated else None,
                share_useful=f"{rng.uniform(70, 99):.1f}" if evaluated else None,
                evaluation_summary=rng.choice(
                    [
                        "More case studies requested.",
                        "Practical exercises rated highest.",
                        "Follow-up session asked for.",
                    ]
                )
                if evaluated
                else "",
            )
            events += 1
    actions = _awareness(rng, users, orgs, demo_programme, tasks, start_year, end_date.year, last)
    surveys = _surveys(users, orgs, demo_programme, last)
    feeds = _feeds(users["coordinator"], demo_programme, last)
    return (
        f"prevention records: {events} events, {actions} awareness actions, {surveys} KAP surveys, "
        f"{feeds} indicator feeds"
    )


def _awareness(rng, users, orgs, demo_programme, tasks, start_year: int, end_year: int, last: dt.date) -> int:
    done = 0
    for year in range(start_year, end_year + 1):
        for _ in range(3):
            who = rng.choice(["ngo", "ngo", "ngo2", "police", "coordinator"])
            day = _day(rng, year, last)
            if day is None:
                continue
            kind, title, audience = rng.choice(AWARENESS)
            materials = []
            for material in rng.sample(["leaflet", "info_card", "poster", "brochure", "web_post"], k=rng.randint(1, 3)):
                for language in rng.sample(["sr", "en", "ar", "fa"], k=rng.randint(1, 3)):
                    produced = rng.choice([500, 1000, 2000, 5000]) if material != "web_post" else None
                    distributed = rng.randint(produced // 2, produced) if produced else rng.randint(1000, 20000)
                    materials.append(
                        {
                            "kind": material,
                            "language": language,
                            "title": MATERIAL_TITLES[material],
                            "copies_produced": produced,
                            "copies_distributed": distributed,
                            "distributed_where": rng.choice(WHERE) if material != "web_post" else "Online",
                        }
                    )
            services.awareness_record(
                actor=users[who],
                organiser=orgs[who],
                kind=kind,
                title=f"{title} ({year})",
                starts_on=day,
                ends_on=min(day + dt.timedelta(days=rng.choice([0, 14, 30])), last) if day < last else day,
                audience=audience,
                location=rng.choice(WHERE),
                programme=demo_programme
                if demo_programme and year >= 2018 and who in ("ngo", "ngo2") and rng.random() < 0.5
                else None,
                task=_task_on(tasks, SCHOOL_AWARENESS_TASK, day) if kind == "school" else None,
                materials=materials,
            )
            done += 1
    return done


def _surveys(users, orgs, demo_programme, last: dt.date) -> int:
    plans = [
        (
            "ngo",
            "KAP survey of refugees and migrants on trafficking risks",
            dt.date(2021, 3, 1),
            dt.date(2021, 4, 15),
            "Refugees and migrants in asylum and reception centres",
            90,
            demo_programme,
            [
                ("knowledge", "Can name at least three signs of trafficking", "percent", "31", "58.5", 90),
                ("knowledge", "Knows the national helpline number", "percent", "12", "47", 90),
                ("attitude", "Would report a suspicious job offer", "percent", "40", "66.7", 88),
                ("practice", "Checked a job offer before travelling", "percent", None, "35.2", 71),
            ],
        ),
        (
            "coordinator",
            "KAP survey of front-line professionals",
            dt.date(2023, 9, 1),
            dt.date(2023, 10, 31),
            "Police officers, social workers and labour inspectors",
            240,
            None,
            [
                ("knowledge", "Knows the referral steps to the Centre", "mean_score", "2.9", "3.8", 240),
                (
                    "attitude",
                    "Sees victims of labour exploitation as victims, not offenders",
                    "mean_score",
                    "3.1",
                    "3.9",
                    236,
                ),
                ("practice", "Referred a presumed victim in the last year", "percent", "18", "29.5", 240),
            ],
        ),
    ]
    done = 0
    for who, title, start, end, population, sample, programme, results in plans:
        if end > last:
            continue
        services.survey_record(
            actor=users[who],
            organiser=orgs[who],
            title=title,
            conducted_from=start,
            conducted_to=end,
            population=population,
            sample_size=sample,
            region="",
            method="Structured questionnaire, face to face and online",
            programme=programme,
            results=[
                {"domain": d, "statement": s, "measure": m, "baseline": b, "result": r, "respondents": n}
                for d, s, m, b, r, n in results
            ],
        )
        done += 1
    return done


FEEDS = [
    ("professionals-trained", "participants_trained", "", ""),
    ("roundtables", "events", "round_table", ""),
    ("roundtable-participants", "round_table_participants", "", ""),
    ("kap-surveys", "kap_surveys", "", ""),
    ("kap-participants", "kap_respondents", "", ""),
    ("leaflets", "materials_distributed", "", "leaflet"),
    ("info-cards", "materials_distributed", "", "info_card"),
]


def _demo_programme(coordinator: User):
    """Return the synthetic programme the demo's prevention records count toward, creating it once."""
    from nrm.programmes import services as programmes
    from nrm.programmes.models import Programme

    programme = Programme.objects.filter(code=DEMO_PROGRAMME).first()
    if programme is not None:
        return programme
    programme = programmes.programme_create(
        actor=coordinator,
        code=DEMO_PROGRAMME,
        title="Prevention and training (demo)",
        period_start=dt.date(2018, 1, 1),
        period_end=dt.date(2027, 12, 31),
        description="A synthetic programme for the demonstration; every event and figure is invented.",
        budget_amount=None,
        budget_currency="",
        source="Synthetic demo data",
    )
    for code, name, unit in DEMO_INDICATORS:
        programmes.indicator_add(actor=coordinator, programme=programme, code=code, name=name, unit=unit)
    return programme


def _feeds(coordinator: User, demo_programme, last: dt.date) -> int:
    """Feed the demo programme's prevention indicators, and record their values for the last full year."""
    if IndicatorFeed.objects.exists():
        return 0
    from nrm.programmes.models import Indicator

    done = 0
    year = last.year - 1
    for code, measure, event_kind, material_kind in FEEDS:
        indicator = Indicator.objects.filter(programme=demo_programme, code=code).first()
        if indicator is None:
            continue
        feed = services.indicator_feed_define(
            actor=coordinator, indicator=indicator, measure=measure, event_kind=event_kind, material_kind=material_kind
        )
        services.indicator_feed_apply(
            actor=coordinator, feed=feed, period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31)
        )
        done += 1
    return done
