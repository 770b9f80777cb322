"""Reads of the audit log itself."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry


def accesses_to(records: dict[str, Iterable[object]]) -> list[dict]:
    """Return who touched the given records, oldest first, for the person they are about.

    ``records`` maps an object type to ids (``{"case": [3, 5], "screening": [8]}``). Each item
    says when, who (user, role, organisation), what and whether it was allowed: the access
    history a subject access request is owed. The caller has already checked the requester
    may see those records.
    """
    match = Q(pk__in=[])
    for object_type, ids in records.items():
        match |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    entries = list(
        AuditEntry.objects.filter(match)
        .order_by("id")
        .values_list("at", "actor", "role", "organisation_id", "action", "object_type", "object_id", "outcome")
    )
    names = dict(Organisation.objects.filter(pk__in={e[3] for e in entries}).values_list("pk", "name"))
    return [
        {
            "at": at.isoformat(),
            "who": actor,
            "role": role,
            "organisation": names.get(org),
            "action": action,
            "record": f"{object_type}:{object_id}",
            "outcome": outcome,
        }
        for at, actor, role, org, action, object_type, object_id, outcome in entries
    ]
