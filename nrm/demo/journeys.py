"""Synthetic victims' journeys: planned once, then written through the services or in bulk.

A :class:`Journey` is everything that happens to one synthetic case, decided in advance from a
seeded random generator: the screening, the case, consents, the referral to the identification
Centre and its answer, the decision, referrals for services and the services given, closure.
:func:`replay` writes a journey through the same services a user's actions go through (a
statement or two hundred per case); :func:`write_journeys` writes many at once as those
services would have left them (the same rows, versions and statuses, one audit row per
audited step), rows of values a statement per table per batch through
:func:`nrm.core.bulk.insert_rows`: identity still encrypted, linkage keys computed, duplicates
proposed, every column through ``check_record``'s checks. A test replays the same journeys both
ways and compares what they wrote.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from types import SimpleNamespace

from nrm.accounts.models import Organisation, User
from nrm.audit.services import audit_record_many
from nrm.cases import services as case_services
from nrm.cases.choices import (
    AgeBand,
    AsylumStatus,
    CaseStatus,
    ChildStatus,
    ClosureReason,
    ConsentPurpose,
    Decision,
    MigrationStatus,
    RecruiterRelationship,
    ScreeningResult,
    ServiceStatus,
)
from nrm.cases.models import (
    Case,
    Consent,
    Episode,
    ExploitationForm,
    Identification,
    IndicatorList,
    Person,
    Screening,
    ServiceDelivery,
)
from nrm.cases.screening import evaluate
from nrm.children import services as child_services
from nrm.children.models import Guardian
from nrm.core.bulk import insert_rows
from nrm.demo.generator import (
    CITIZENSHIP,
    FAMILY,
    FORMS,
    GIVEN_F,
    GIVEN_M,
    SOURCES,
    _presumed_answers,
    _staff,
    _weighted,
)
from nrm.referrals import services as referral_services
from nrm.referrals.choices import LegalGround, ReferralKind, ReferralStatus, Urgency
from nrm.referrals.models import Referral, ServiceOffer

GROUNDS = "Interview and documents assessed against the indicators."
GROUND_NOTE = "Immediate protection needed; consent to be sought after."
POOL_SEED, POOL_SIZE = 2017, 48


@dataclass
class ServiceStep:
    """A referral from the Centre for one service: consent to share, the answer, the service given."""

    offer: ServiceOffer
    answer_on: dt.date | None  # None: not answered yet
    declined: bool = False
    ended_on: dt.date | None = None  # None: still in progress


@dataclass
class Journey:
    owner: Organisation
    opened_on: dt.date
    is_child: bool
    sex: str
    age: int
    born: dt.date
    citizenship: str
    migration_status: str
    given_name: str
    family_name: str
    forms: list[str]
    country_of_exploitation: str
    channel: str
    answers: list[str] | None  # None: no screening (no indicator list loaded)
    consented: bool
    statistics: bool
    accepted_on: dt.date | None = None
    decision: str | None = None
    decided_on: dt.date | None = None
    services: list[ServiceStep] = field(default_factory=list)
    close: tuple[str, dt.date] | None = None
    # Episodes of exploitation besides the one per form the case opens with (episode_add's values).
    episodes: list[dict] = field(default_factory=list)
    # Recorded by the owner's case worker after opening (issue K's migration tables): the asylum
    # procedure (status, date of its latest step), a child's unaccompanied or separated status, and
    # the guardian appointed for such a child (name, appointing authority, date).
    asylum: tuple[str, dt.date | None] | None = None
    child_status: str | None = None
    guardian: tuple[str, str, dt.date] | None = None
    # A referral to the asylum authority of someone who applied (sent on, accepted on or None),
    # with the person's consent to share with it, given at opening.
    asylum_referral: tuple[dt.date, dt.date | None] | None = None


class Setting:
    """What planning and writing need, loaded once: organisations, their workers, offers, the list."""

    def __init__(self, end_date: dt.date) -> None:
        self.end_date = end_date
        self.centre = Organisation.objects.select_related("type").get(
            type__is_identification_authority=True, code="centre"
        )
        self.by_type: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.select_related("type").filter(is_active=True).order_by("pk"):
            self.by_type.setdefault(org.type.code, []).append(org)
        self.offers = list(
            ServiceOffer.objects.select_related("organisation", "organisation__type", "service_type")
            .exclude(organisation=self.centre)
            .order_by("pk")
        )
        self.indicator_list = IndicatorList.objects.filter(is_active=True).order_by("-version").first()
        self.forms = {f.code: f for f in ExploitationForm.objects.all()}
        self.asylum_office = next(
            (o for orgs in self.by_type.values() for o in orgs if o.type.is_asylum_authority), None
        )
        self._workers: dict[int, User] = {}
        # Positive answer sets per audience, drawn once: evaluating every screening's own set costs
        # more than writing its case, and a pool gives the results as varied as the rule allows.
        pool_rng = random.Random(POOL_SEED)
        self.answer_pool = {
            child: [
                tuple(sorted(set(_presumed_answers(pool_rng, self.indicator_list.definition, child))))
                for _ in range(POOL_SIZE)
            ]
            if self.indicator_list is not None
            else []
            for child in (False, True)
        }

    def worker(self, org: Organisation) -> User:
        if org.pk not in self._workers:
            self._workers[org.pk] = _staff(org)
        return self._workers[org.pk]

    @functools.cached_property
    def centre_staff(self) -> User:
        return self.worker(self.centre)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Setting per run; the answers repeat
    def outcome(self, answers: tuple[str, ...], is_child: bool):
        return evaluate(self.indicator_list.definition, list(answers), is_child=is_child, forms=[])

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - as outcome
    def reasons(self, answers: tuple[str, ...], is_child: bool) -> dict:
        """Return the outcome's reasons as stored: one dict shared by every row written in bulk with them."""
        return self.outcome(answers, is_child).as_reasons()

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - dates repeat; each needs the holiday calendar
    def due(self, sent_on: dt.date, kind: str) -> dt.date:
        return referral_services.due_date(sent_on, kind, Urgency.ROUTINE)


def plan(rng: random.Random, s: Setting, first: dt.date, last: dt.date) -> Journey:
    """Plan one journey of a case opened between ``first`` and ``last``, nothing after ``s.end_date``.

    Tuned so that 40-80 a year are identified out of 150-200 referred, a third children, sexual
    and labour exploitation most common.
    """
    end_date = s.end_date
    owner = rng.choice(s.by_type.get(_weighted(rng, SOURCES)) or s.by_type["police"])
    opened = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
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
    answers = list(rng.choice(s.answer_pool[is_child])) if s.indicator_list is not None else None
    j = Journey(
        owner=owner,
        opened_on=opened,
        is_child=is_child,
        sex=sex,
        age=age,
        born=born,
        citizenship=citizenship,
        migration_status=migration,
        given_name=rng.choice(GIVEN_F if sex == "F" else GIVEN_M),
        family_name=rng.choice(FAMILY),
        forms=sorted(set(forms)),
        country_of_exploitation="RS" if rng.random() < 0.75 else rng.choice(["DE", "AT", "HU", "HR", "TR", "RS"]),
        channel=rng.choice(["outreach", "office", "border", "inspection", "helpline"]),
        answers=answers,
        consented=rng.random() < 0.9,
        statistics=False,
    )
    j.statistics = j.consented and rng.random() < 0.85
    j.episodes = _more_episodes(j)
    _migration(j, end_date, s.asylum_office)
    accepted_on = opened + dt.timedelta(days=rng.randint(0, 3))
    if accepted_on >= end_date:
        return j
    j.accepted_on = accepted_on
    decided_on = accepted_on + dt.timedelta(days=rng.randint(5, 90))
    if decided_on >= end_date:
        return j  # still pending at the Centre
    j.decided_on = decided_on
    j.decision = rng.choices(
        [Decision.IDENTIFIED, Decision.NOT_IDENTIFIED, Decision.DISCONTINUED], weights=[36, 52, 12]
    )[0]
    if j.decision == Decision.IDENTIFIED and s.offers and j.consented:
        for offer in rng.sample(s.offers, k=min(len(s.offers), rng.randint(1, 3))):
            if offer.service_type.code == "accommodation" and not is_child and offer.for_children:
                continue
            answer_on = decided_on + dt.timedelta(days=rng.randint(0, 4))
            if answer_on >= end_date:
                j.services.append(ServiceStep(offer, None))
                continue
            if rng.random() < 0.1:
                j.services.append(ServiceStep(offer, answer_on, declined=True))
                continue
            ended = answer_on + dt.timedelta(days=rng.randint(7, 180))
            j.services.append(ServiceStep(offer, answer_on, ended_on=ended if ended < end_date else None))
    close_on = decided_on + dt.timedelta(days=rng.randint(30, 400))
    if close_on < end_date and rng.random() < 0.8:
        reason = (
            ClosureReason.NOT_VICTIM
            if j.decision == Decision.NOT_IDENTIFIED
            else rng.choice(
                [ClosureReason.REINTEGRATED, ClosureReason.RETURNED, ClosureReason.LOST_CONTACT, ClosureReason.DECLINED]
            )
        )
        j.close = (reason, close_on)
    return j


def _more_episodes(j: Journey) -> list[dict]:
    """Return an earlier episode for about one case in seven: another country, the same or another form.

    Drawn from a generator seeded by the journey itself, so that the plan's own draws (and every
    journey after this one) stay what they were before episodes existed.
    """
    rng = random.Random(f"episodes {j.opened_on} {j.given_name} {j.family_name} {j.born}")
    if rng.random() >= 0.15:
        return []
    started = j.opened_on - dt.timedelta(days=rng.randint(60, 900))
    return [
        {
            "form": j.forms[0] if rng.random() < 0.5 else _weighted(rng, FORMS),
            "country": rng.choice(["DE", "AT", "HU", "HR", "TR", "IT", "RS"]),
            "started_on": started,
            "ended_on": started + dt.timedelta(days=rng.randint(7, 50)),
            "recruiter_relationship": rng.choice(["acquaintance", "friend", "partner", "family", "employer"]),
        }
    ]


# Where a foreign victim stands in the asylum procedure, by migration status (weights); nationals
# are left unknown. Asylum seekers have applied; a few irregular migrants apply once identified.
ASYLUM = {
    MigrationStatus.ASYLUM_SEEKER: [
        (AsylumStatus.ONGOING, 50),
        (AsylumStatus.REFUSED, 15),
        (AsylumStatus.SUBSIDIARY, 10),
        (AsylumStatus.REFUGEE, 5),
        (AsylumStatus.WITHDRAWN, 20),
    ],
    MigrationStatus.IRREGULAR_MIGRANT: [
        (AsylumStatus.NOT_APPLIED, 60),
        (AsylumStatus.ONGOING, 20),
        (AsylumStatus.WITHDRAWN, 10),
        (AsylumStatus.REFUSED, 10),
    ],
    MigrationStatus.REGULAR_MIGRANT: [(AsylumStatus.NOT_APPLIED, 90), (AsylumStatus.UNKNOWN, 10)],
}
# A child's status (weights): most foreign children came without their parents.
CHILD_STATUS = {
    True: [(ChildStatus.UNACCOMPANIED, 50), (ChildStatus.SEPARATED, 20), (ChildStatus.NO, 30)],
    False: [(ChildStatus.NO, 85), (ChildStatus.SEPARATED, 10), (ChildStatus.UNACCOMPANIED, 5)],
}
GUARDIAN_AUTHORITY = "Centre for Social Work (guardianship authority)"


def _migration(j: Journey, end_date: dt.date, asylum_office: Organisation | None) -> None:
    """Plan the asylum procedure of a foreign victim and the status and guardian of a child.

    Someone who applied, consented to sharing and was not found by the asylum office itself is
    referred to it in the first week (the asylum referrals table), accepted within days.

    Drawn from a generator seeded by the journey itself, as :func:`_more_episodes`: the plan's own
    draws, and every journey after this one, stay what they were before. Dates fall between the
    opening and the day before ``end_date``.
    """
    rng = random.Random(f"migration {j.opened_on} {j.given_name} {j.family_name} {j.born}")
    days = (end_date - j.opened_on).days - 1
    if days < 0:
        return
    if j.migration_status in ASYLUM:
        status = _weighted(rng, ASYLUM[j.migration_status])
        dated = status not in (AsylumStatus.NOT_APPLIED, AsylumStatus.UNKNOWN)
        j.asylum = (status, j.opened_on + dt.timedelta(days=rng.randint(0, min(days, 240))) if dated else None)
        if dated and j.consented and asylum_office is not None and j.owner.pk != asylum_office.pk:
            sent = j.opened_on + dt.timedelta(days=rng.randint(0, min(7, (j.asylum[1] - j.opened_on).days)))
            accepted = sent + dt.timedelta(days=rng.randint(1, 5))
            j.asylum_referral = (sent, accepted if accepted < end_date else None)
    if j.is_child:
        j.child_status = _weighted(rng, CHILD_STATUS[j.citizenship != "RS"])
        if j.child_status in (ChildStatus.UNACCOMPANIED, ChildStatus.SEPARATED) and rng.random() < 0.8:
            name = f"{rng.choice(GIVEN_F + GIVEN_M)} {rng.choice(FAMILY)}"
            on = j.opened_on + dt.timedelta(days=rng.randint(0, min(days, 14)))
            j.guardian = (name, GUARDIAN_AUTHORITY, on)


def _open_values(j: Journey) -> dict:
    """The values :func:`~nrm.cases.services.case_open` is called with, less actor, organisation and screening."""
    return {
        "opened_on": j.opened_on,
        "sex": j.sex,
        "is_child": j.is_child,
        "identity": {"given_name": j.given_name, "family_name": j.family_name, "date_of_birth": j.born.isoformat()},
        "birth_year": j.born.year,
        "citizenship": j.citizenship,
        "migration_status": j.migration_status,
        "forms": j.forms,
        "country_of_exploitation": j.country_of_exploitation,
        "region": j.owner.region,
    }


def _screening_values(j: Journey) -> dict:
    return {
        "organisation": j.owner,
        "answers": j.answers,
        "is_child": j.is_child,
        "screened_on": j.opened_on,
        "sex": j.sex,
        "citizenship": j.citizenship,
        "region": j.owner.region,
        "channel": j.channel,
    }


# --- Through the services ----------------------------------------------------------------------


def replay(j: Journey, s: Setting) -> Case:
    """Write one journey through the services, as users would have: every check, every audit row."""
    actor, centre, centre_staff = s.worker(j.owner), s.centre, s.centre_staff
    screening = None
    if j.answers is not None:
        screening = case_services.screening_record(actor=actor, indicator_list=s.indicator_list, **_screening_values(j))
        if screening.result != ScreeningResult.PRESUMED_VICTIM:
            screening = None
    case = case_services.case_open(actor=actor, organisation=j.owner, screening=screening, **_open_values(j))
    for episode in j.episodes:
        case_services.episode_add(actor=actor, case=case, **episode)
    if j.asylum is not None:
        case.refresh_from_db()
        status, on = j.asylum
        case_services.case_update(
            actor=actor, case=case, expected_version=case.version, asylum_status=status, asylum_status_on=on
        )
    if j.child_status is not None:
        child_services.child_status_set(actor=actor, case=case, child_status=j.child_status)
    if j.guardian is not None:
        name, authority, on = j.guardian
        child_services.guardian_appoint(
            actor=actor, case=case, name=name, appointing_authority=authority, appointed_on=on
        )
    if j.consented:
        case_services.consent_record(
            actor=actor, case=case, purpose=ConsentPurpose.SHARE, organisation=centre, given_on=j.opened_on
        )
        case_services.consent_record(actor=actor, case=case, purpose=ConsentPurpose.SERVICES, given_on=j.opened_on)
        if j.statistics:
            case_services.consent_record(
                actor=actor, case=case, purpose=ConsentPurpose.STATISTICS, given_on=j.opened_on
            )
    referral = referral_services.referral_send(
        actor=actor,
        case=case,
        to_org=centre,
        kind=ReferralKind.IDENTIFICATION,
        sent_on=j.opened_on,
        legal_ground="" if j.consented else (LegalGround.CHILD if j.is_child else LegalGround.EMERGENCY),
        legal_ground_note="" if j.consented else GROUND_NOTE,
    )
    if j.asylum_referral is not None:
        sent_on, accepted_on = j.asylum_referral
        office = s.asylum_office
        case_services.consent_record(
            actor=actor, case=case, purpose=ConsentPurpose.SHARE, organisation=office, given_on=j.opened_on
        )
        asylum = referral_services.referral_send(
            actor=actor, case=case, to_org=office, kind=ReferralKind.ASYLUM, sent_on=sent_on
        )
        if accepted_on is not None:
            referral_services.referral_transition(
                actor=s.worker(office),
                referral=asylum,
                to_status=ReferralStatus.ACCEPTED,
                expected_version=asylum.version,
                on=accepted_on,
            )
    if j.accepted_on is None:
        return case
    referral_services.referral_transition(
        actor=centre_staff,
        referral=referral,
        to_status=ReferralStatus.ACCEPTED,
        expected_version=referral.version,
        on=j.accepted_on,
    )
    if j.decision is None:
        return case
    case_services.identification_decide(
        actor=centre_staff, case=case, decision=j.decision, decided_on=j.decided_on, grounds=GROUNDS
    )
    for step in j.services:
        org, worker = step.offer.organisation, s.worker(step.offer.organisation)
        case_services.consent_record(
            actor=actor, case=case, purpose=ConsentPurpose.SHARE, organisation=org, given_on=j.decided_on
        )
        ref = referral_services.referral_send(
            actor=centre_staff,
            case=case,
            to_org=org,
            kind=ReferralKind.SERVICE,
            service_type=step.offer.service_type,
            from_org=centre,
            sent_on=j.decided_on,
        )
        if step.answer_on is None:
            continue
        if step.declined:
            referral_services.referral_transition(
                actor=worker,
                referral=ref,
                to_status=ReferralStatus.DECLINED,
                expected_version=ref.version,
                reason="No capacity.",
                on=step.answer_on,
            )
            continue
        referral_services.referral_transition(
            actor=worker,
            referral=ref,
            to_status=ReferralStatus.ACCEPTED,
            expected_version=ref.version,
            on=step.answer_on,
        )
        delivered = step.ended_on is not None
        case_services.service_record(
            actor=worker,
            case=case,
            service_type=step.offer.service_type,
            organisation=org,
            referral=ref,
            status=ServiceStatus.DELIVERED if delivered else ServiceStatus.IN_PROGRESS,
            started_on=step.answer_on,
            ended_on=step.ended_on,
            outcome="Completed as planned." if delivered else "",
        )  # a delivered service, the only one on the referral, completes it
    if j.close is not None:
        case.refresh_from_db()
        reason, closed_on = j.close
        case_services.case_close(
            actor=actor, case=case, reason=reason, expected_version=case.version, closed_on=closed_on
        )
    return case


# --- In bulk -------------------------------------------------------------------------------------

Row = SimpleNamespace  # a row to insert: its values as attributes, ``pk`` once inserted

# The columns each table is written with, as attnames; the model's defaults fill the rest (and
# each row's ``binding``), as they would for a new instance (:func:`nrm.core.bulk.insert_rows`).
EPISODE_COLUMNS = (
    "case_id",
    "form_id",
    "country",
    "place",
    "started_on",
    "ended_on",
    "recruiter_relationship",
    "notes",
)


def _episode_row(case: Row, form: ExploitationForm, **values) -> Row:
    """An episode to insert, with the defaults an unsaved Episode has (unknown recruiter, no notes)."""
    values = {
        "country": "",
        "place": "",
        "started_on": None,
        "ended_on": None,
        "recruiter_relationship": RecruiterRelationship.UNKNOWN,
        "notes": "",
        **values,
    }
    return Row(pk=None, case=case, case_id=None, form=form, form_id=form.pk, **values)


SCREENING_COLUMNS = (
    "organisation_id",
    "screened_by_id",
    "screened_on",
    "indicator_list_id",
    "is_child",
    "answers",
    "result",
    "reasons",
    "anonymous",
    "sex",
    "age_band",
    "citizenship",
    "region",
    "channel",
    "case_id",
)
CASE_COLUMNS = (
    "reference",
    "owner_id",
    "person_id",
    "opened_by_id",
    "responsible_id",
    "version",
    "status",
    "closure_reason",
    "closed_on",
    "opened_on",
    "is_child",
    "best_interests_note",
    "country_of_exploitation",
    "place_of_exploitation",
    "region",
    "identification_status",
    "identified_on",
    "asylum_status",
    "asylum_status_on",
    "child_status",
)
CONSENT_COLUMNS = ("case_id", "purpose", "organisation_id", "given_on", "recorded_by_id")
REFERRAL_COLUMNS = (
    "case_id",
    "kind",
    "from_org_id",
    "to_org_id",
    "service_type_id",
    "sent_by_id",
    "sent_on",
    "urgency",
    "due_on",
    "consent_snapshot",
    "without_consent",
    "legal_ground",
    "legal_ground_note",
    "shares_identity",
    "status",
    "version",
    "responded_on",
    "decline_reason",
)
IDENTIFICATION_COLUMNS = (
    "case_id",
    "organisation_id",
    "decided_by_id",
    "decision",
    "decided_on",
    "grounds",
    "referral_id",
)
GUARDIAN_COLUMNS = (
    "case_id",
    "organisation_id",
    "recorded_by_id",
    "appointing_authority",
    "appointed_on",
    "name",
    "contact",
    "ended_on",
)
DELIVERY_COLUMNS = (
    "case_id",
    "service_type_id",
    "organisation_id",
    "referral_id",
    "status",
    "started_on",
    "ended_on",
    "outcome",
    "recorded_by_id",
)


def anonymous_screening(**values) -> Row:
    """Return an anonymous screening (no case) to pass to :func:`write_journeys` as an extra screening.

    ``values`` are those of :data:`SCREENING_COLUMNS` by field name (``organisation``, not
    ``organisation_id``), less ``anonymous`` and ``case``.
    """
    return Row(pk=None, anonymous=True, case=None, **values)


def write_journeys(journeys: list[Journey], s: Setting, *, extra_screenings: list[Row] = ()) -> list[int]:
    """Write many journeys at once, leaving what :func:`replay` would leave; call inside a transaction.

    Return the new cases' primary keys, in the order of ``journeys``. The case's values go
    through the case services' own checks (``_prepare_case``, as ``cases_open_bulk``), every
    column through the checks ``check_record`` makes (:func:`nrm.core.bulk.insert_rows`, a
    column at a time: the values are the plan's own, so one check per column and batch keeps
    the guarantee that nothing stored breaks them); what the plan guarantees (dates in order,
    consent before sharing, who may do what) is not checked again. Rows are tuples written a
    statement per table and batch, identity encrypted for its row, linkage keys computed,
    duplicates proposed. ``extra_screenings`` (:func:`anonymous_screening`) are inserted with
    the journeys' screenings, each with its audit row.
    """
    from nrm.exchange.dedup import propose_links  # what Case's post_save does when a case is opened

    rows = _Rows(s)
    for sc in extra_screenings:
        rows.screening(sc)
    for j in journeys:
        rows.journey(j)
    if rows.people:
        person_columns = tuple(rows.people[0])
        person_ids = insert_rows(Person, person_columns, [tuple(p.values()) for p in rows.people], returning=True)
        for case, person_id in zip(rows.cases, person_ids, strict=True):
            case.person_id = person_id
        _insert(Case, CASE_COLUMNS, rows.cases, returning=True)
        case_services.cases_number(rows.cases)
        insert_rows(Case.forms.through, ("case_id", "exploitationform_id"), [(c.pk, f.pk) for c, f in rows.links])
    _insert(Episode, EPISODE_COLUMNS, rows.episodes, returning=True)
    _insert(Screening, SCREENING_COLUMNS, rows.screenings, returning=True)
    _insert(Consent, CONSENT_COLUMNS, rows.consents)
    _insert(Referral, REFERRAL_COLUMNS, rows.referrals, returning=True)
    _insert(Identification, IDENTIFICATION_COLUMNS, rows.identifications)
    _insert(ServiceDelivery, DELIVERY_COLUMNS, rows.deliveries)
    _insert(Guardian, GUARDIAN_COLUMNS, rows.guardians, returning=True)
    audit_record_many(event() for event in rows.events)
    propose_links([p["linkage_key"] for p in rows.people])
    return [c.pk for c in rows.cases]


def _insert(model, columns: tuple[str, ...], objs: list[Row], *, returning: bool = False) -> None:
    """Insert ``objs`` with their values of ``columns``: a related row's own key for a foreign key."""
    if not objs:
        return
    getters = []
    for name in columns:
        field = model._meta.get_field(name.removesuffix("_id"))
        if field.is_relation and name.endswith("_id"):
            getters.append(_key_getter(field.name, name))
        else:
            getters.append(attrgetter(name))
    rows = [tuple(get(o) for get in getters) for o in objs]
    ids = insert_rows(model, columns, rows, returning=returning)
    for obj, pk in zip(objs, ids, strict=returning):
        obj.pk = pk


def _key_getter(name: str, attname: str) -> Callable:
    """Return a getter of a row's foreign key: its ``attname`` if set, else the related row's pk."""

    def get(obj):
        value = getattr(obj, attname, None)
        if value is not None:
            return value
        related = getattr(obj, name, None)
        return None if related is None else related.pk

    return get


class _Rows:
    """The rows of many journeys, and their audit rows as thunks (they name primary keys known
    only after the inserts), in the order the services would have written them."""

    def __init__(self, s: Setting) -> None:
        self.s = s
        self.screenings: list[Row] = []
        self.people: list[dict] = []
        self.cases: list[Row] = []
        self.links: list[tuple[Row, ExploitationForm]] = []
        self.episodes: list[Row] = []
        self.consents: list[Row] = []
        self.referrals: list[Row] = []
        self.identifications: list[Row] = []
        self.deliveries: list[Row] = []
        self.guardians: list[Row] = []
        self.events: list[Callable[[], dict]] = []

    def screening(self, sc: Row) -> None:
        self.screenings.append(sc)
        self.events.append(
            lambda: {
                "actor": sc.screened_by,
                "action": "screening.create",
                "object_type": "screening",
                "object_id": sc.pk,
                "organisation_id": sc.organisation.pk,
                "detail": {"result": sc.result},
            }
        )

    def event(self, actor, action: str, case: Row, org_id: int, detail: Callable[[], dict], reason: str = ""):
        self.events.append(
            lambda: {
                "actor": actor,
                "action": action,
                "object_type": "case",
                "object_id": case.pk,
                "organisation_id": org_id,
                "reason": reason,
                "detail": detail(),
            }
        )

    def journey_episodes(self, j: Journey, actor: User, case: Row, form_objs: list[ExploitationForm]) -> None:
        """The episodes case_open and episode_add write: one per form, then the plan's others."""
        for form in form_objs:  # as case_services.opening_episodes makes them
            self.episodes.append(
                _episode_row(
                    case,
                    form,
                    # A case row holds only the values the plan gave it; the rest are the model's defaults.
                    country=getattr(case, "country_of_exploitation", ""),
                    place=getattr(case, "place_of_exploitation", ""),
                    started_on=getattr(case, "exploitation_start", None),
                    ended_on=getattr(case, "exploitation_end", None),
                )
            )
        codes = {f.code for f in form_objs}
        for values in j.episodes:
            details = {k: v for k, v in values.items() if k != "form"}
            episode = _episode_row(case, self.s.forms[values["form"]], **details)
            self.episodes.append(episode)
            if values["form"] not in codes:
                codes.add(values["form"])
                self.links.append((case, episode.form))
            forms = sorted(codes)
            self.event(
                actor,
                "case.episode_add",
                case,
                j.owner.pk,
                lambda e=episode, forms=forms: {"episode": e.pk, "form": e.form.code, "forms": forms},
            )

    def journey(self, j: Journey) -> None:
        s = self.s
        actor = s.worker(j.owner)
        person_fields, case_fields, form_objs = case_services._prepare_case(**_open_values(j), known_forms=s.forms)
        # A placeholder reference, unique until cases_number numbers the case.
        case = Row(
            pk=None,
            person_id=None,
            reference=f"t{secrets.token_hex(9)}",
            owner=j.owner,
            opened_by=actor,
            responsible=actor,
            version=1,
            status=CaseStatus.OPEN,
            closure_reason="",
            closed_on=None,
            asylum_status=AsylumStatus.UNKNOWN,
            asylum_status_on=None,
            child_status=ChildStatus.UNKNOWN,
            **case_fields,
        )
        self.people.append(person_fields)
        self.cases.append(case)
        self.links += [(case, form) for form in form_objs]
        screening = None
        if j.answers is not None:
            outcome = s.outcome(tuple(j.answers), j.is_child)
            sc = Row(
                pk=None,
                screened_by=actor,
                indicator_list=s.indicator_list,
                result=ScreeningResult(outcome.outcome),
                reasons=s.reasons(tuple(j.answers), j.is_child),
                anonymous=False,
                age_band=AgeBand.UNKNOWN,
                case=None,
                **_screening_values(j),
            )
            self.screening(sc)
            if sc.result == ScreeningResult.PRESUMED_VICTIM:
                sc.case, screening = case, sc
        self.event(actor, "case.open", case, j.owner.pk, lambda: {"screening": getattr(screening, "pk", None)})
        self.journey_episodes(j, actor, case, form_objs)
        self.migration(j, actor, case)
        given: list[Row] = []
        if j.consented:
            self.consent(j, case, given, ConsentPurpose.SHARE, s.centre, j.opened_on)
            self.consent(j, case, given, ConsentPurpose.SERVICES, None, j.opened_on)
            if j.statistics:
                self.consent(j, case, given, ConsentPurpose.STATISTICS, None, j.opened_on)
        sent = [self.send(j, case, given, ReferralKind.IDENTIFICATION, s.centre, j.owner, actor, j.opened_on)]
        if j.asylum_referral is not None:
            sent_on, accepted_on = j.asylum_referral
            office = s.asylum_office
            self.consent(j, case, given, ConsentPurpose.SHARE, office, j.opened_on)
            asylum = self.send(j, case, given, ReferralKind.ASYLUM, office, j.owner, actor, sent_on)
            sent.append(asylum)
            if accepted_on is not None:
                self.move(case, asylum, ReferralStatus.ACCEPTED, s.worker(office), accepted_on)
        if j.accepted_on is not None:
            self.move(case, sent[0], ReferralStatus.ACCEPTED, s.centre_staff, j.accepted_on)
        if j.decision is not None:
            self.identifications.append(
                Row(
                    case=case,
                    organisation=s.centre,
                    decided_by=s.centre_staff,
                    decision=j.decision,
                    decided_on=j.decided_on,
                    grounds=GROUNDS,
                    referral=sent[0],
                )
            )
            case.identification_status = decision = j.decision
            # The journey's only decision: what identification_decide leaves (identified_on_follow).
            case.identified_on = j.decided_on if decision == Decision.IDENTIFIED else None
            self.event(s.centre_staff, "case.identify", case, s.centre.pk, lambda: {"decision": decision})
        for step in j.services:
            self.service(j, case, given, sent, step)
        if j.close is not None:
            self.close(actor, case, sent, *j.close)

    def migration(self, j: Journey, actor: User, case: Row) -> None:
        """What case_update, child_status_set and guardian_appoint write for the journey's plan."""
        if j.asylum is not None:
            case.asylum_status, case.asylum_status_on = j.asylum
            case.version += 1
            fields = {"fields": ["asylum_status", "asylum_status_on"]}
            self.event(actor, "case.update", case, j.owner.pk, lambda: fields)
        if j.child_status is not None:
            status = case.child_status = j.child_status
            case.version += 1
            detail = {"fields": ["child_status"], "child_status": status}
            self.event(actor, "case.update", case, j.owner.pk, lambda: detail)
        if j.guardian is not None:
            name, authority, on = j.guardian
            g = Row(
                pk=None,
                case=case,
                organisation=j.owner,
                recorded_by=actor,
                appointing_authority=authority,
                appointed_on=on,
                name=name,
                contact="",
                ended_on=None,
            )
            self.guardians.append(g)
            self.event(actor, "child.guardian", case, j.owner.pk, lambda: {"guardian": g.pk, "ended": []})

    def consent(self, j: Journey, case: Row, given: list, purpose: str, org, on: dt.date) -> None:
        c = Row(case=case, purpose=purpose, organisation=org, given_on=on, recorded_by=self.s.worker(j.owner))
        self.consents.append(c)
        given.append(c)
        self.event(c.recorded_by, "consent.give", case, j.owner.pk, lambda: {"purpose": purpose, "to": _pk(org)})

    def send(self, j: Journey, case: Row, given: list, kind, to_org, from_org, by, on, service_type=None) -> Row:
        snapshot = [
            {"purpose": c.purpose, "organisation": _pk(c.organisation), "given_on": c.given_on.isoformat()}
            for c in given
        ]
        consented = any(c["purpose"] == ConsentPurpose.SHARE and c["organisation"] == to_org.pk for c in snapshot)
        ground = "" if consented else (LegalGround.CHILD if j.is_child else LegalGround.EMERGENCY)
        r = Row(
            pk=None,
            case=case,
            kind=kind,
            from_org=from_org,
            to_org=to_org,
            service_type=service_type,
            sent_by=by,
            sent_on=on,
            urgency=Urgency.ROUTINE,
            due_on=self.s.due(on, kind),
            consent_snapshot=snapshot,
            without_consent=not consented,
            legal_ground=ground,
            legal_ground_note="" if consented else GROUND_NOTE,
            shares_identity=True,
            status=ReferralStatus.SENT,
            version=1,
            responded_on=None,
            decline_reason="",
        )
        self.referrals.append(r)
        detail = {"to": to_org.pk, "kind": kind, "without_consent": not consented, "identity": True, "documents": False}
        reason = "" if consented else f"without consent: {ground}"
        self.event(by, "referral.send", case, from_org.pk, lambda: {"referral": r.pk, **detail}, reason=reason)
        return r

    def move(self, case: Row, r: Row, to_status: str, by, on=None, reason: str = "", extra=None) -> None:
        before = r.status
        r.status, r.version = to_status, r.version + 1
        if before == ReferralStatus.SENT and to_status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
            r.responded_on = on
        if to_status == ReferralStatus.DECLINED:
            r.decline_reason = reason
        detail = {"from": before, "to": to_status, **(extra or {})}
        self.event(by, "referral.transition", case, r.to_org.pk, lambda: {"referral": r.pk, **detail})

    def service(self, j: Journey, case: Row, given: list, sent: list, step: ServiceStep) -> None:
        s = self.s
        org, worker = step.offer.organisation, s.worker(step.offer.organisation)
        self.consent(j, case, given, ConsentPurpose.SHARE, org, j.decided_on)
        r = self.send(
            j, case, given, ReferralKind.SERVICE, org, s.centre, s.centre_staff, j.decided_on, step.offer.service_type
        )
        sent.append(r)
        if step.answer_on is None:
            return
        if step.declined:
            self.move(case, r, ReferralStatus.DECLINED, worker, step.answer_on, reason="No capacity.")
            return
        self.move(case, r, ReferralStatus.ACCEPTED, worker, step.answer_on)
        delivered = step.ended_on is not None
        status = ServiceStatus.DELIVERED if delivered else ServiceStatus.IN_PROGRESS
        self.deliveries.append(
            Row(
                case=case,
                service_type=step.offer.service_type,
                organisation=org,
                referral=r,
                status=status,
                started_on=step.answer_on,
                ended_on=step.ended_on,
                outcome="Completed as planned." if delivered else "",
                recorded_by=worker,
            )
        )
        detail = {"service": step.offer.service_type.code, "status": status}
        self.event(worker, "service.create", case, org.pk, lambda: detail)
        if delivered:  # the only service on its referral: the referral is completed
            self.move(case, r, ReferralStatus.COMPLETED, worker, extra={"by": "last service"})

    def close(self, actor, case: Row, sent: list[Row], reason: str, closed_on: dt.date) -> None:
        case_services._check_choice("reason", reason, ClosureReason)
        case.status, case.closure_reason, case.closed_on = CaseStatus.CLOSED, reason, closed_on
        case.version += 1
        pending = [r for r in sent if r.status in (ReferralStatus.SENT, ReferralStatus.SUSPENDED)]
        working = [r for r in sent if r.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)]
        for r in pending:
            r.status, r.version = ReferralStatus.CLOSED, r.version + 1
        for r in working:
            r.status, r.version = ReferralStatus.COMPLETED, r.version + 1
        self.event(
            actor,
            "case.close",
            case,
            case.owner.pk,
            lambda: {
                "reason": reason,
                "referrals_closed": sorted(r.pk for r in pending),
                "referrals_completed": sorted(r.pk for r in working),
            },
        )


def _pk(obj) -> int | None:
    return getattr(obj, "pk", None)
