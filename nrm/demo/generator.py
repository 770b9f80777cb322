"""A deterministic synthetic data set at Serbian magnitudes; every person is invented.

About 150-200 referrals to the identification Centre a year from 2017 on, 40-80 identified a
year, a third of them children, sexual and labour exploitation most common. Everything is
written through the same services a user's actions go through, so the demo data obeys every
rule and leaves a real audit trail.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.cases import services as case_services
from nrm.cases.choices import ClosureReason, ConsentPurpose, Decision, MigrationStatus, ServiceStatus
from nrm.cases.models import Case, IndicatorList
from nrm.referrals import services as referral_services
from nrm.referrals.choices import ReferralKind, ReferralStatus
from nrm.referrals.models import ServiceOffer

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
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def demo_users(password: str) -> list[User]:
    """Create (or reset) the demo users with ``password`` and their memberships."""
    users = []
    for username, org_code, role, _desc in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username.title()})
        user.set_password(password)
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


def generate(
    *,
    seed: int = 2017,
    start_year: int = 2017,
    end_date: dt.date | None = None,
    per_year: tuple[int, int] = (150, 200),
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Create the synthetic cases; return how many. Deterministic for a given seed and end date."""
    rng = random.Random(seed)
    end_date = end_date or timezone.localdate()
    centre = Organisation.objects.get(type__is_identification_authority=True, code="centre")
    centre_staff = _staff(centre)
    by_type: dict[str, list[Organisation]] = {}
    for org in Organisation.objects.select_related("type").filter(is_active=True):
        by_type.setdefault(org.type.code, []).append(org)
    offers = list(ServiceOffer.objects.select_related("organisation", "service_type").exclude(organisation=centre))
    indicator_list = IndicatorList.objects.filter(is_active=True).order_by("-version").first()
    years = list(range(start_year, end_date.year + 1))
    plan = [(y, rng.randint(*per_year)) for y in years]
    total = sum(n for _y, n in plan)
    done = 0
    for year, count in plan:
        last_day = dt.date(year, 12, 31) if year < end_date.year else end_date - dt.timedelta(days=1)
        if last_day < dt.date(year, 1, 1):
            continue
        if year == end_date.year:
            count = int(count * (last_day.timetuple().tm_yday / 365))
        with transaction.atomic():
            for _ in range(count):
                _one_case(rng, year, last_day, centre, centre_staff, by_type, offers, indicator_list, end_date)
                done += 1
                if progress and done % 25 == 0:
                    progress(done, total)
    if progress:
        progress(done, done)
    return Case.objects.count()


def _one_case(rng, year, last_day, centre, centre_staff, by_type, offers, indicator_list, end_date) -> None:
    source_type = _weighted(rng, SOURCES)
    owner = rng.choice(by_type.get(source_type) or by_type["police"])
    actor = _staff(owner)
    opened = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange((last_day - dt.date(year, 1, 1)).days + 1))
    is_child = rng.random() < 0.33
    sex = "F" if rng.random() < 0.72 else "M"
    age = (
        rng.randint(6, 17)
        if is_child
        else rng.choices([rng.randint(18, 24), rng.randint(25, 34), rng.randint(35, 60)], weights=[45, 35, 20])[0]
    )
    citizenship = _weighted(rng, CITIZENSHIP)
    migration = (
        MigrationStatus.NATIONAL
        if citizenship == "RS"
        else rng.choice(
            [MigrationStatus.ASYLUM_SEEKER, MigrationStatus.IRREGULAR_MIGRANT, MigrationStatus.REGULAR_MIGRANT]
        )
    )
    born = dt.date(opened.year - age, rng.randint(1, 12), rng.randint(1, 28))
    forms = [_weighted(rng, FORMS)]
    if rng.random() < 0.12:
        forms.append(_weighted(rng, FORMS))
    screening = None
    if indicator_list is not None:
        answers = _presumed_answers(rng, indicator_list.definition, is_child)
        screening = case_services.screening_record(
            actor=actor,
            organisation=owner,
            answers=answers,
            is_child=is_child,
            screened_on=opened,
            sex=sex,
            citizenship=citizenship,
            region=owner.region,
            channel=rng.choice(["outreach", "office", "border", "inspection", "helpline"]),
        )
        if screening.result != "presumed_victim":
            screening = None
    case = case_services.case_open(
        actor=actor,
        organisation=owner,
        screening=screening,
        opened_on=opened,
        sex=sex,
        is_child=is_child,
        identity={
            "given_name": rng.choice(GIVEN_F if sex == "F" else GIVEN_M),
            "family_name": rng.choice(FAMILY),
            "date_of_birth": born.isoformat(),
        },
        birth_year=born.year,
        citizenship=citizenship,
        migration_status=migration,
        forms=sorted(set(forms)),
        country_of_exploitation="RS" if rng.random() < 0.75 else rng.choice(["DE", "AT", "HU", "HR", "TR", "RS"]),
        region=owner.region,
        guardian="Appointed guardian, Centre for Social Work" if is_child else "",
    )
    consented = rng.random() < 0.9
    if consented:
        case_services.consent_record(
            actor=actor, case=case, purpose=ConsentPurpose.SHARE, organisation=centre, given_on=opened
        )
        case_services.consent_record(actor=actor, case=case, purpose=ConsentPurpose.SERVICES, given_on=opened)
        if rng.random() < 0.85:
            case_services.consent_record(actor=actor, case=case, purpose=ConsentPurpose.STATISTICS, given_on=opened)
    referral = referral_services.referral_send(
        actor=actor,
        case=case,
        to_org=centre,
        kind=ReferralKind.IDENTIFICATION,
        sent_on=opened,
        legal_ground="" if consented else ("child" if is_child else "emergency"),
        legal_ground_note="" if consented else "Immediate protection needed; consent to be sought after.",
    )
    accepted_on = opened + dt.timedelta(days=rng.randint(0, 3))
    if accepted_on >= end_date:
        return
    referral_services.referral_transition(
        actor=centre_staff,
        referral=referral,
        to_status=ReferralStatus.ACCEPTED,
        expected_version=referral.version,
        on=accepted_on,
    )
    decided_on = accepted_on + dt.timedelta(days=rng.randint(5, 90))
    if decided_on >= end_date:
        return  # still pending at the Centre
    # Tuned so that 40-80 a year are identified out of 150-200 referred.
    decision = rng.choices([Decision.IDENTIFIED, Decision.NOT_IDENTIFIED, Decision.DISCONTINUED], weights=[36, 52, 12])[
        0
    ]
    case_services.identification_decide(
        actor=centre_staff,
        case=case,
        decision=decision,
        decided_on=decided_on,
        grounds="Interview and documents assessed against the indicators.",
    )
    if decision == Decision.IDENTIFIED and offers and consented:
        for offer in rng.sample(offers, k=min(len(offers), rng.randint(1, 3))):
            if offer.service_type.code == "accommodation" and not is_child and offer.for_children:
                continue
            case_services.consent_record(
                actor=actor,
                case=case,
                purpose=ConsentPurpose.SHARE,
                organisation=offer.organisation,
                given_on=decided_on,
            )
            ref = referral_services.referral_send(
                actor=centre_staff,
                case=case,
                to_org=offer.organisation,
                kind=ReferralKind.SERVICE,
                service_type=offer.service_type,
                from_org=centre,
                sent_on=decided_on,
            )
            answer_on = decided_on + dt.timedelta(days=rng.randint(0, 4))
            if answer_on >= end_date:
                continue
            worker = _staff(offer.organisation)
            if rng.random() < 0.1:
                referral_services.referral_transition(
                    actor=worker,
                    referral=ref,
                    to_status=ReferralStatus.DECLINED,
                    expected_version=ref.version,
                    reason="No capacity.",
                    on=answer_on,
                )
                continue
            referral_services.referral_transition(
                actor=worker,
                referral=ref,
                to_status=ReferralStatus.ACCEPTED,
                expected_version=ref.version,
                on=answer_on,
            )
            ended = answer_on + dt.timedelta(days=rng.randint(7, 180))
            delivered = ended < end_date
            case_services.service_record(
                actor=worker,
                case=case,
                service_type=offer.service_type,
                organisation=offer.organisation,
                referral=ref,
                status=ServiceStatus.DELIVERED if delivered else ServiceStatus.IN_PROGRESS,
                started_on=answer_on,
                ended_on=ended if delivered else None,
                outcome="Completed as planned." if delivered else "",
            )  # a delivered service, the only one on the referral, completes it
    close_on = decided_on + dt.timedelta(days=rng.randint(30, 400))
    if close_on < end_date and rng.random() < 0.8:
        case.refresh_from_db()
        reason = (
            ClosureReason.NOT_VICTIM
            if decision == Decision.NOT_IDENTIFIED
            else rng.choice(
                [ClosureReason.REINTEGRATED, ClosureReason.RETURNED, ClosureReason.LOST_CONTACT, ClosureReason.DECLINED]
            )
        )
        owner_worker = actor if case.owner_id != centre.pk else centre_staff
        case_services.case_close(
            actor=owner_worker, case=case, reason=reason, expected_version=case.version, closed_on=close_on
        )


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
