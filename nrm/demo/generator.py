"""A deterministic synthetic data set at Serbian magnitudes; every person is invented.

About 150-200 referrals to the identification Centre a year from 2017 on, 40-80 identified a
year, a third of them children, sexual and labour exploitation most common. Everything is
written through the same services a user's actions go through, so the demo data obeys every
rule and leaves a real audit trail.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.cases.models import Case

DEMO_USERS = [
    # username, organisation code, role, description
    ("coordinator", "coordinator", Role.COORDINATOR, "National Coordinator's office: action plan, aggregates"),
    ("centre", "centre", Role.IDENTIFIER, "Centre for Human Trafficking Victims Protection: identification"),
    ("police", "pu-bg", Role.FRONTLINE, "Police Directorate Belgrade: screening and referral"),
    ("ngo", "ngo-sigurna", Role.CASEWORKER, "NGO shelter (Belgrade): services"),
    ("ngo2", "ngo-most", Role.CASEWORKER, "Second NGO (Novi Sad): services"),
    ("socialwork", "csr-bg", Role.CASEWORKER, "Centre for Social Work Belgrade: case management"),
    ("analyst", "coordinator", Role.ANALYST, "Statistics with disclosure control; no identities"),
    ("admin", "coordinator", Role.ADMIN, "Organisations, users, reference data; no case content"),
    ("helpline", "helpline", Role.FRONTLINE, "National Anti-Trafficking Helpline: anonymous calls, screenings"),
]

GIVEN_F = [
    "Ana",
    "Jelena",
    "Milica",
    "Marija",
    "Ivana",
    "Jovana",
    "Dragana",
    "Snežana",
    "Teodora",
    "Sara",
    "Nina",
    "Katarina",
    "Aleksandra",
    "Mina",
    "Elena",
    "Ioana",
    "Fatima",
    "Amina",
    "Zahra",
    "Olena",
]
GIVEN_M = [
    "Marko",
    "Nikola",
    "Stefan",
    "Luka",
    "Miloš",
    "Dejan",
    "Nenad",
    "Aleksandar",
    "Uroš",
    "Petar",
    "Ahmad",
    "Omar",
    "Ali",
    "Reza",
    "Bilal",
    "Andrei",
    "Ionut",
    "Dmytro",
    "Arben",
    "Emir",
]
FAMILY = [
    "Jovanović",
    "Petrović",
    "Nikolić",
    "Marković",
    "Đorđević",
    "Stojanović",
    "Ilić",
    "Stanković",
    "Pavlović",
    "Milošević",
    "Popescu",
    "Hosseini",
    "Rahimi",
    "Kovalenko",
    "Krasniqi",
    "Hodžić",
    "Ristić",
]

FORMS = [
    ("sexual", 40),
    ("labour", 28),
    ("forced_labour", 6),
    ("begging", 8),
    ("criminality", 6),
    ("forced_marriage", 6),
    ("pornography", 3),
    ("slavery", 2),
    ("adoption", 1),
]
CITIZENSHIP = [
    ("RS", 72),
    ("AF", 5),
    ("SY", 3),
    ("PK", 3),
    ("RO", 3),
    ("BG", 2),
    ("UA", 3),
    ("BA", 3),
    ("MK", 2),
    ("XK", 2),
    ("CN", 1),
    ("BD", 1),
]
SOURCES = [
    ("police", 45),
    ("social_work", 24),
    ("ngo", 12),
    ("asylum", 6),
    ("labour_inspectorate", 4),
    ("helpline", 5),
    ("international", 2),
    ("health", 2),
]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    # The cumulative weights ``choices`` would compute from the weights, prepared once per list:
    # the same draw from the same random number.
    prepared = _CUMULATIVE.get(id(pairs))
    if prepared is None:
        # The list is kept with its preparation, so that its id is never another list's.
        prepared = _CUMULATIVE[id(pairs)] = (
            pairs,
            [p[0] for p in pairs],
            list(itertools.accumulate(p[1] for p in pairs)),
        )
    return rng.choices(prepared[1], cum_weights=prepared[2])[0]


_CUMULATIVE: dict[int, tuple[list, list[str], list[int]]] = {}


def demo_users(password: str) -> list[User]:
    """Create (or reset) the demo users with ``password`` and their memberships."""
    # They share one password, so one hash serves them all: the hasher is deliberately slow
    # (about 0.3 s each), and nine of them were a tenth of the demo's set-up.
    encoded = make_password(password)
    users = []
    for username, org_code, role, _desc in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username.title()})
        user.password = encoded
        user.is_staff = role == Role.ADMIN
        user.save()
        Membership.objects.update_or_create(
            user=user, organisation=Organisation.objects.get(code=org_code), defaults={"role": role, "is_active": True}
        )
        users.append(user)
    return users


def _staff(org: Organisation) -> User:
    """Return a synthetic worker of ``org`` (one per organisation), creating it once."""
    role = Role.IDENTIFIER if org.type.is_identification_authority else Role.CASEWORKER
    username = f"staff-{org.code}"
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, organisation=org, role=role)
    return user


# Cases opened in the last days before the end date are written through the services, one by
# one, as users would have (the live cases the demo personas find in their queues); the years
# before are written in bulk (nrm.demo.journeys), the same records as the services leave.
LIVE_DAYS = 30
BATCH = 500


def generate(
    *,
    seed: int = 2017,
    start_year: int = 2017,
    end_date: dt.date | None = None,
    per_year: tuple[int, int] = (150, 200),
    progress: Callable[[int, int], None] | None = None,
    live_days: int = LIVE_DAYS,
) -> int:
    """Create the synthetic cases; return how many. Deterministic for a given seed and end date."""
    from nrm.demo import journeys  # built on this module's lists of names and weights

    rng = random.Random(seed)
    end_date = end_date or timezone.localdate()
    setting = journeys.Setting(end_date)
    live_from = end_date - dt.timedelta(days=live_days)
    years = list(range(start_year, end_date.year + 1))
    plan = [(y, rng.randint(*per_year)) for y in years]
    total = sum(n for _y, n in plan)
    planned: list = []
    for year, count in plan:
        last_day = dt.date(year, 12, 31) if year < end_date.year else end_date - dt.timedelta(days=1)
        if last_day < dt.date(year, 1, 1):
            continue
        if year == end_date.year:
            count = int(count * (last_day.timetuple().tm_yday / 365))
        planned += [journeys.plan(rng, setting, dt.date(year, 1, 1), last_day) for _ in range(count)]
    bulk = [j for j in planned if j.opened_on < live_from]
    live = sorted((j for j in planned if j.opened_on >= live_from), key=lambda j: j.opened_on)
    done = 0
    for start in range(0, len(bulk), BATCH):
        with transaction.atomic():
            journeys.write_journeys(bulk[start : start + BATCH], setting)
        done += len(bulk[start : start + BATCH])
        if progress:
            progress(done, total)
    with transaction.atomic():
        for j in live:
            journeys.replay(j, setting)
            done += 1
            if progress and done % 25 == 0:
                progress(done, total)
    if progress:
        progress(done, done)
    return Case.objects.count()


def _presumed_answers(rng: random.Random, definition: dict, is_child: bool) -> list[str]:
    """Pick indicators that make the screening positive, as screenings that led to a case were.

    For each group the rule needs, take one dimension and enough indicators to meet the ILO
    rule: one strong and one medium where the dimension has a strong indicator, else three medium.
    """
    audience = "child" if is_child else "adult"
    by_dim: dict[str, dict[str, list[str]]] = {}
    for ind in definition["indicators"]:
        if audience in ind.get("applies_to", [audience]):
            by_dim.setdefault(ind["dimension"], {}).setdefault(ind["strength"], []).append(ind["code"])
    answers: list[str] = []
    for group in definition["victim_rule"][audience]["all_of_groups"]:
        dims = [d["code"] for d in definition["dimensions"] if d["group"] == group and d["code"] in by_dim]
        if not dims:
            continue
        grades = by_dim[rng.choice(dims)]
        strong, medium = grades.get("strong", []), grades.get("medium", [])
        if strong and medium:
            answers += [rng.choice(strong), rng.choice(medium)]
        elif len(medium) >= 3:
            answers += rng.sample(medium, 3)
        else:
            answers += strong[:2] + medium[:2] + grades.get("weak", [])[:1]
    return answers
