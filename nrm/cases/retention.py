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
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from nrm.accounts.access import unrestricted
from nrm.audit.services import audit_record
from nrm.cases.choices import CaseStatus
from nrm.cases.models import Case, CaseFlag, CaseNote, Episode, Person, Screening
from nrm.core.validation import today

# What an erased free text reads afterwards (an empty one could be taken for one never written).
ERASED = "[erased at the end of retention]"

# What other apps keep of a case that can name someone (its documents, a child's guardians, the
# history received from another deployment, its tasks' titles). Each app registers, when it
# starts, how to erase its part: cases, a layer below those apps, imports none of them. An
# eraser runs in the retention's transaction and returns what the case's audit row tells of it
# (``{"documents": 2}``), or None.
CaseErasure = Callable[[Case], dict | None]
_ERASURES: list[CaseErasure] = []


def register_erasure(erase: CaseErasure) -> None:
    """Have :func:`retention_apply` call ``erase(case)`` for every case whose identity it erases."""
    if erase not in _ERASURES:
        _ERASURES.append(erase)


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
        for note in CaseNote.objects.filter(case=case).only("pk", "binding"):
            # Each note's text is bound to its row, so it is sealed per note (update() cannot encrypt).
            note.text = ERASED
            note.save(update_fields=["text"])
        for flag in CaseFlag.objects.filter(case=case).exclude(note="").only("pk", "binding"):
            flag.note = ""  # may name someone; the flag itself (reason, dates) is kept
            flag.save(update_fields=["note"])
        Screening.objects.filter(case=case).update(notes="")
        # A place can name a house or an employer, notes anyone: blanked; the rest is statistics'.
        Episode.objects.filter(case=case).update(place="", notes="")
        detail = {}
        for erase in _ERASURES:  # the documents (files carry identity), a child's records, ...
            detail |= erase(case) or {}
        audit_record(
            actor=None,
            action="case.retention_erase",
            object_type="case",
            object_id=case.pk,
            organisation_id=case.owner_id,
            detail=detail,
        )
    return [c.reference for c in cases]
