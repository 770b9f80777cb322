"""Reads of a child's records, loaded with the case by ``cases.selectors.case_get`` (one statement)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from nrm.accounts.models import User
from nrm.cases.models import Case
from nrm.cases.selectors import CaseView
from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination, Guardian
from nrm.core.jsonrows import Relation

# A child's records hang on the case and follow its rule (``case_record_rule``): whoever passed
# the case's read may read them; what is identity in them is shown by :class:`ChildRecords`. They
# are loaded with a child's case by ``case_get`` (registered with ``nrm.cases.selectors``); an
# adult's case has none.


def case_guardians(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """A child's guardians, with every read of the case: the API's case shows the current one."""
    return [Relation("guardians", Guardian.objects.filter(case=case))] if case.is_child else []


def case_best_interests(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """A child's best-interests assessments and determinations: the case page's, not the API's case."""
    if not case.is_child:
        return []
    return [
        Relation("best_interests_assessments", BestInterestsAssessment.objects.filter(case=case)),
        Relation("best_interests_determinations", BestInterestsDetermination.objects.filter(case=case)),
    ]


@dataclass
class ChildRecords:
    """A child's records as one reader may see them: the guardian's name and contact only with identity."""

    show_identity: bool
    guardians: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    overdue_reviews: int = 0

    @property
    def current_guardian(self) -> Guardian | None:
        return next((g for g in self.guardians if g.ended_on is None), None)


def child_records(user: User, view: CaseView) -> ChildRecords:
    """Return the child's records of a case read by ``case_get`` (no query: they were loaded with it)."""
    case = view.case
    if not case.is_child:
        return ChildRecords(show_identity=view.show_identity)
    determinations: dict[int, list] = {}
    for d in case.best_interests_determinations.all():
        determinations.setdefault(d.assessment_id, []).append(d)
    assessments = list(case.best_interests_assessments.all())
    for a in assessments:
        a.shown_determinations = determinations.get(a.pk, [])
    today = timezone.localdate()
    latest = [a.shown_determinations[0] for a in assessments if a.shown_determinations]
    return ChildRecords(
        show_identity=view.show_identity,
        guardians=list(case.guardians.all()),
        assessments=assessments,
        overdue_reviews=sum(1 for d in latest if d.review_on < today),
    )


def case_extras(user: User, view: CaseView) -> dict:
    """Return the child's records for the case page and summary (``cases.selectors.register_case_extras``)."""
    return {"child": child_records(user, view)} if view.case.is_child else {}


def guardian_json(g: Guardian, show_identity: bool) -> dict:
    """Return a guardian as the API shows it: name and contact only to who may see identity."""
    return {
        "id": g.pk,
        "appointing_authority": g.appointing_authority,
        "appointed_on": g.appointed_on,
        "ended_on": g.ended_on,
        "current": g.ended_on is None,
        "name": g.name if show_identity else None,
        "contact": g.contact if show_identity else None,
    }


def assessment_json(a: BestInterestsAssessment) -> dict:
    """Return an assessment with its determinations (seen by whoever may see the case)."""
    return {
        "id": a.pk,
        "assessed_by": a.assessed_by,
        "assessed_on": a.assessed_on,
        "options_weighed": a.options_weighed,
        "determinations": [
            {
                "id": d.pk,
                "determined_by": d.determined_by,
                "determined_on": d.determined_on,
                "decision": d.decision,
                "review_on": d.review_on,
            }
            for d in getattr(a, "shown_determinations", [])
        ],
    }
