"""Data retention: once a closed case's retention period has passed, its identity is erased.

What stays is what statistics need and cannot identify anyone: sex, birth year, age band,
citizenship, migration status, forms, dates, decisions and services (and of each episode of
exploitation its form, country, dates and recruiter relationship). Names, date of birth,
documents, contacts, address, guardian, notes, flags' notes, the episodes' places and notes,
the free texts of history received from another deployment (grounds, outcomes, assessors) and
the linkage key are blanked, and the files
uploaded to the case (``nrm.documents``) deleted. The period is
``NRM_RETENTION_YEARS`` after closure (default 10) unless a case sets ``retain_until`` itself.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from nrm.accounts.access import unrestricted
from nrm.audit.services import audit_record
from nrm.cases.choices import CaseStatus
from nrm.cases.models import Case, CaseFlag, CaseNote, Episode, Person, Screening
from nrm.core.validation import today
from nrm.documents.services import case_documents_erase
from nrm.exchange.received import received_history_erase
from nrm.tasks.services import erase_task_titles


def retention_years() -> int:
    return settings.NRM_RETENTION_YEARS


def due_for_erasure(on: dt.date | None = None):
    """Return closed cases whose retention has ended and whose person still has identity."""
    on = on or today()
    years = retention_years()
    limit = (
        on.replace(year=on.year - years)
        if not (on.month == 2 and on.day == 29)
        else on.replace(year=on.year - years, day=28)
    )
    return (
        unrestricted(Case, "retention")
        .filter(status=CaseStatus.CLOSED)
        .filter(Q(retain_until__lt=on) | Q(retain_until__isnull=True, closed_on__lt=limit))
        .exclude(person__linkage_key="", person__given_name="", person__family_name="")
    )


def erase_child_identity(case: Case) -> None:
    """Blank the child's records that identify someone: the guardians' names and contacts, the
    options weighed and decisions (they describe the family); dates and authorities stay."""
    from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination, Guardian

    erased = "[erased at the end of retention]"
    # Each value is bound to its row, so they are sealed per row (update() cannot encrypt).
    for guardian in Guardian.objects.filter(case=case).only("pk", "binding"):
        guardian.name, guardian.contact = erased, ""
        guardian.save(update_fields=["name", "contact"])
    for assessment in BestInterestsAssessment.objects.filter(case=case).only("pk", "binding"):
        assessment.options_weighed = erased
        assessment.save(update_fields=["options_weighed"])
    for determination in BestInterestsDetermination.objects.filter(case=case).only("pk", "binding"):
        determination.decision = erased
        determination.save(update_fields=["decision"])


@transaction.atomic
def retention_apply(*, on: dt.date | None = None, dry_run: bool = False) -> list[str]:
    """Erase the identity of every case past retention; return their references."""
    cases = list(due_for_erasure(on).select_related("person"))
    if dry_run:
        return [c.reference for c in cases]
    blank = dict.fromkeys(Person.IDENTITY_FIELDS, "")
    for case in cases:
        Person.objects.filter(pk=case.person_id).update(linkage_key="", search_key_date="", search_key_year="", **blank)
        Case.objects.filter(pk=case.pk).update(best_interests_note="")
        erase_child_identity(case)
        received_history_erase(case)
        for note in CaseNote.objects.filter(case=case).only("pk", "binding"):
            # Each note's text is bound to its row, so it is sealed per note (update() cannot encrypt).
            note.text = "[erased at the end of retention]"
            note.save(update_fields=["text"])
        for flag in CaseFlag.objects.filter(case=case).exclude(note="").only("pk", "binding"):
            flag.note = ""  # may name someone; the flag itself (reason, dates) is kept
            flag.save(update_fields=["note"])
        Screening.objects.filter(case=case).update(notes="")
        # A place can name a house or an employer, notes anyone: blanked; the rest is statistics'.
        Episode.objects.filter(case=case).update(place="", notes="")
        documents = case_documents_erase(case=case)  # files carry identity: they go with it
        erase_task_titles(case)
        audit_record(
            actor=None,
            action="case.retention_erase",
            object_type="case",
            object_id=case.pk,
            organisation_id=case.owner_id,
            detail={"documents": documents},
        )
    return [c.reference for c in cases]
