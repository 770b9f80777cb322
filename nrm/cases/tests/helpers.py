"""Builders shared by the case, referral and API tests: people, one case, consents, referrals.

Every record is made through the services, as a user's actions would make it, so the tests
see the same rows (and audit trail) that real use leaves.
"""

from __future__ import annotations

import datetime as dt

from rest_framework.test import APIClient

from conftest import api_token, fresh
from nrm.accounts.models import Membership, Organisation, User
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose
from nrm.cases.models import Case, CaseNote, Consent, Identification, Person, Screening, ServiceDelivery
from nrm.referrals import services as referral_services
from nrm.referrals.choices import ReferralKind
from nrm.referrals.models import Referral, ServiceType

# Invented, and unlike anything else in a response, so that a leak is a plain substring.
IDENTITY = {
    "given_name": "Zorkana",
    "family_name": "Qvistovic",
    "date_of_birth": "1991-03-17",
    "document_number": "P7731905",
    "contact": "+381 64 555 0199",
    "address": "Testna ulica 17",
}
GUARDIAN = "Guardian Vuksanovic"
SECRETS = [*IDENTITY.values(), GUARDIAN]


def org(code: str) -> Organisation:
    return Organisation.objects.select_related("type").get(code=code)


def member(username: str, org_code: str, role: str) -> User:
    """Return the user ``username`` with the membership ``role`` in ``org_code``, creating either if missing.

    Idempotent, so that several matrices' scenes can be built in one database (the accessibility test).
    """
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password("not-used-in-tests")
        user.save()
    Membership.objects.get_or_create(user=user, organisation=org(org_code), role=role)
    return user


def open_case(actor: User, org_code: str = "pu-bg", **kwargs) -> Case:
    """Open an adult's case with the known identity, owned by ``org_code``."""
    values = {
        "identity": dict(IDENTITY),
        "sex": "F",
        "birth_year": 1991,
        "citizenship": "RS",
        "forms": ["sexual"],
        "opened_on": dt.date(2024, 4, 2),
    }
    values.update(kwargs)
    return case_services.case_open(actor=fresh(actor), organisation=org(org_code), **values)


def open_child_case(actor: User, org_code: str = "pu-bg", **kwargs) -> Case:
    identity = dict(IDENTITY, date_of_birth="2010-06-01")
    values = {"identity": identity, "birth_year": 2010, "is_child": True, "guardian": GUARDIAN}
    values.update(kwargs)
    return open_case(actor, org_code, **values)


def share(actor: User, case: Case, org_code: str, given_on: dt.date | None = None) -> Consent:
    """Record the person's consent to share the case with ``org_code``."""
    return case_services.consent_record(
        actor=fresh(actor),
        case=case,
        purpose=ConsentPurpose.SHARE,
        organisation=org(org_code),
        given_on=given_on or case.opened_on,
    )


def statistics_consent_of(actor: User, case: Case) -> Consent:
    """Record the person's consent to "use in statistics" of ``case``: without it no count has the case."""
    return case_services.consent_record(
        actor=fresh(actor), case=case, purpose=ConsentPurpose.STATISTICS, given_on=case.opened_on
    )


def refer(actor: User, case: Case, to_code: str, **kwargs) -> Referral:
    """Send a referral of ``case`` to ``to_code``: identification to the Centre, else a service."""
    to_org = org(to_code)
    if to_org.type.is_identification_authority:
        kwargs.setdefault("kind", ReferralKind.IDENTIFICATION)
    else:
        kwargs.setdefault("kind", ReferralKind.SERVICE)
        kwargs.setdefault("service_type", ServiceType.objects.get(code="accommodation"))
    kwargs.setdefault("sent_on", case.opened_on)
    return referral_services.referral_send(actor=fresh(actor), case=case, to_org=to_org, **kwargs)


def move(actor: User, referral: Referral, to_status: str, reason: str = "") -> Referral:
    """Move ``referral`` to ``to_status`` as ``actor``, at its current version."""
    referral.refresh_from_db()
    return referral_services.referral_transition(
        actor=fresh(actor), referral=referral, to_status=to_status, expected_version=referral.version, reason=reason
    )


def api(user: User | None = None) -> APIClient:
    """Return an API client signed in with ``user``'s token (anonymous without a user)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


COUNTED = (Person, Case, Screening, Consent, CaseNote, Identification, ServiceDelivery, Referral)


def state(case: Case | None = None) -> dict:
    """Return what a refused request must leave as it was: row counts and the case's versions."""
    snapshot: dict = {model.__name__: model.objects.count() for model in COUNTED}
    if case is not None:
        snapshot["case"] = Case.objects.filter(pk=case.pk).values("version", "status", "identification_status").get()
        snapshot["referrals"] = sorted(Referral.objects.filter(case=case).values_list("pk", "status", "version"))
        snapshot["services"] = sorted(ServiceDelivery.objects.filter(case=case).values_list("pk", "status", "version"))
        snapshot["consents"] = sorted(Consent.objects.filter(case=case).values_list("pk", "withdrawn_on"))
    return snapshot


def denials(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(outcome=AuditEntry.Outcome.DENIED, **filters))


def rich_case(world: dict, *, times: int = 1) -> Case:
    """Return a case owned by ``csr-bg`` (``socialwork``) with ``times`` of each kind of record.

    A screening, consents, an identification referral accepted by the Centre and its decision,
    service referrals accepted by two NGOs with services given on them, services of the owner,
    notes and forms: what the statement-count tests read, so that a count per record would show.
    """
    from conftest import PRESUMED_ADULT
    from nrm.cases.choices import Decision
    from nrm.referrals.choices import ReferralStatus

    owner = world["socialwork"]
    screening = case_services.screening_record(
        actor=fresh(owner), organisation=org("csr-bg"), answers=PRESUMED_ADULT, is_child=False
    )
    case = open_case(owner, "csr-bg", screening=screening, forms=["sexual", "labour"], guardian=GUARDIAN)
    accommodation = ServiceType.objects.get(code="accommodation")
    for i in range(times):
        if i == 0:
            share(owner, case, "centre")
            move(world["centre"], refer(owner, case, "centre"), ReferralStatus.ACCEPTED)
        for code, who in (("ngo-sigurna", "ngo"), ("ngo-most", "ngo2")):
            share(owner, case, code)
            referral = move(world[who], refer(owner, case, code), ReferralStatus.ACCEPTED)
            case_services.service_record(
                actor=fresh(world[who]),
                case=case,
                service_type=accommodation,
                organisation=org(code),
                referral=referral,
                status="in_progress",
                started_on=case.opened_on,
            )
        case_services.service_record(
            actor=fresh(owner), case=case, service_type=accommodation, organisation=org("csr-bg")
        )
        case_services.note_add(actor=fresh(owner), case=case, text=f"Note {i}.")
        statistics_consent_of(owner, case)
        case.refresh_from_db()
        case_services.identification_decide(
            actor=fresh(world["centre"]), case=case, decision=Decision.IDENTIFIED, grounds="Indicators confirmed."
        )
    case.refresh_from_db()
    return case


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(captured) -> list[str]:
    """Return the SQL statements of ``captured`` (a ``CaptureQueriesContext``) but transaction control.

    A test runs inside a transaction, so the outermost ``atomic`` of a request (the read's, the
    session save's) is a SAVEPOINT and its RELEASE here; in production the same block is the
    transaction's BEGIN and COMMIT. Those bound the work and are counted apart: what is counted
    is the statements that read and write.
    """
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def audit_statements(sqls: list[str]) -> list[str]:
    """Return the statements of ``sqls`` that append to the audit chain (its head and entries)."""
    return [s for s in sqls if '"audit_' in s]
