"""Reads of a case's protection measures: loaded with the case by ``cases.selectors.case_get``."""

from __future__ import annotations

from django.db.models import QuerySet

from nrm.accounts.models import User
from nrm.cases.models import Case
from nrm.cases.selectors import CaseView
from nrm.core.jsonrows import Relation
from nrm.protection.models import ProtectionMeasures
from nrm.protection.scope import trafficking_scope
from nrm.protection.services import FIELDS

LOADED = "protection_loaded"


def protection_relation(case: Case) -> Relation:
    """Return the relation ``case_get`` loads the record with, in its one statement of relations.

    The record follows the case's rule for reading (``access.protection_rule``): whoever passed
    the case's read may read it. A list (none or one row), as a one-to-one has no prefetch cache.
    """
    return Relation("protection", ProtectionMeasures.objects.filter(case=case), to_attr=LOADED)


def protection_of(view: CaseView) -> ProtectionMeasures | None:
    """Return the protection measures of a case read by ``case_get`` (no query), or None if none recorded."""
    rows = getattr(view.case, LOADED, None) or []
    return rows[0] if rows else None


def case_extras(user: User, view: CaseView) -> dict:
    """Return the protection measures for the case page (``cases.selectors.register_case_extras``)."""
    return {"protection": protection_of(view)}


def case_scope(case: Case) -> str:
    """Return whether ``case`` is internal or cross-border trafficking (``scope.trafficking_scope``)."""
    rows: QuerySet = Case.objects.filter(pk=case.pk).annotate(scope=trafficking_scope()).values_list("scope", flat=True)
    return rows.first() or "unknown"


def protection_json(case: Case, record: ProtectionMeasures | None) -> dict:
    """Return the record as the API shows it; a case without one shows the empty answers at version 0."""
    found = record or ProtectionMeasures(case=case, version=0)
    data = {name: getattr(found, name) for name in FIELDS}
    return {"case": case.pk, "version": found.version, **data, "updated_at": record.updated_at if record else None}


def case_relations(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """What a case read loads of GRETA's protection measures (registered with ``nrm.cases.selectors``):
    none or one row, whoever sees the case."""
    return [protection_relation(case)]
