"""Counting each person once across agencies, without sharing identities.

Every case's person carries a linkage key: an HMAC of the normalised name (Cyrillic and Latin
alike), date of birth and sex, computed where the record is entered (``case_open``). Two cases
whose people share a key are a probable duplicate. They are proposed as a :class:`PersonLink`
for the owning organisations to confirm or reject; neither side ever sees the other side's
identity, only the other case's reference and owner.

- :func:`propose_links` finds the pairs (called when a case is opened, and in bulk after imports);
- :func:`link_confirm` and :func:`link_reject` are the decisions (case workers of an owning
  organisation, audited);
- :func:`duplicate_list` is what a user may see, starting from the access rule;
- :func:`person_clusters` groups cases linked by confirmed links, so statistics count a person once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import OWNER_ROLES, Action, org_ids
from nrm.accounts.choices import CASE_ROLES
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.cases.models import Case
from nrm.core.errors import Conflict
from nrm.exchange.models import PersonLink

# Who may decide a link: the roles that manage an organisation's cases.
DECIDE_ROLES = OWNER_ROLES[Action.MANAGE]


def propose_links(keys: Iterable[str] | None = None) -> int:
    """Propose a link for every pair of cases whose people share a linkage key; return how many are new.

    With ``keys``, only those keys are examined (the cheap path when one case was opened).
    Existing links, whatever their status, are left as they are.
    """
    people = Case.objects.exclude(person__linkage_key="")
    if keys is not None:
        keys = [k for k in set(keys) if k]
        if not keys:
            return 0
        people = people.filter(person__linkage_key__in=keys)
    else:
        shared = (
            Case.objects.exclude(person__linkage_key="")
            .values("person__linkage_key")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values("person__linkage_key")
        )
        people = people.filter(person__linkage_key__in=shared)
    by_key: dict[str, list[int]] = {}
    for key, case_id in people.values_list("person__linkage_key", "pk").order_by("pk"):
        by_key.setdefault(key, []).append(case_id)
    pairs = [
        (key, ids[i], ids[j]) for key, ids in by_key.items() for i in range(len(ids)) for j in range(i + 1, len(ids))
    ]
    if not pairs:
        return 0
    existing = set(
        PersonLink.objects.filter(case_a__in={a for _k, a, _b in pairs}).values_list("case_a_id", "case_b_id")
    )
    new = [PersonLink(key=key, case_a_id=a, case_b_id=b) for key, a, b in pairs if (a, b) not in existing]
    try:
        with transaction.atomic():
            PersonLink.objects.bulk_create(new)
    except IntegrityError:
        # Another transaction proposed some of the same pairs meanwhile: add the rest one by one.
        created = 0
        for link in new:
            _obj, made = PersonLink.objects.get_or_create(
                case_a_id=link.case_a_id, case_b_id=link.case_b_id, defaults={"key": link.key}
            )
            created += made
        return created
    return len(new)


def on_case_saved(sender, instance: Case, created: bool, raw: bool = False, **kwargs) -> None:
    """Propose links for a newly opened case (connected to ``post_save`` of Case in apps.py)."""
    if created and not raw:
        key = Case.objects.filter(pk=instance.pk).values_list("person__linkage_key", flat=True).first()
        if key:
            propose_links([key])


# --- Reading ---------------------------------------------------------------------------------


def duplicate_list(user: User, *, status: str = "") -> QuerySet[PersonLink]:
    """Return the links ``user`` may see: those where one of the cases belongs to the user's organisation.

    Seeing a link is for the owner's case staff; the other case is shown by reference and owner only.
    """
    mine = org_ids(user, CASE_ROLES)
    qs = PersonLink.objects.filter(Q(case_a__owner__in=mine) | Q(case_b__owner__in=mine)).select_related(
        "case_a__owner", "case_b__owner", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


@dataclass
class LinkView:
    """A link as one user sees it: their own case, and the other case by reference and owner only."""

    link: PersonLink
    case: Case
    other: Case
    other_is_mine: bool


def link_view(user: User, link: PersonLink) -> LinkView:
    """Return ``link`` oriented from the user's side (their own case first)."""
    mine = set(org_ids(user, CASE_ROLES))
    a_mine = link.case_a.owner_id in mine
    case, other = (link.case_a, link.case_b) if a_mine else (link.case_b, link.case_a)
    return LinkView(link=link, case=case, other=other, other_is_mine=other.owner_id in mine)


# --- Deciding --------------------------------------------------------------------------------


def _decide(actor: User, link_id: int, status: str) -> PersonLink:
    link = (
        PersonLink.objects.select_for_update()
        .select_related("case_a__owner", "case_b__owner")
        .filter(pk=link_id)
        .first()
    )
    deciders = set(org_ids(actor, DECIDE_ROLES))
    if link is None or not ({link.case_a.owner_id, link.case_b.owner_id} & deciders):
        # Visible but not decidable (a frontline worker) and invisible alike: not found.
        raise denied(actor=actor, action=f"duplicate.{status}", object_type="person_link", object_id=link_id)
    if link.status == status:
        raise Conflict(
            _("This link is already %(status)s.") % {"status": link.get_status_display().lower()}, field="status"
        )
    before = link.status
    link.status, link.decided_by, link.decided_at = status, actor, timezone.now()
    link.save(update_fields=["status", "decided_by", "decided_at"])
    org = link.case_a.owner_id if link.case_a.owner_id in deciders else link.case_b.owner_id
    audit_record(
        actor=actor,
        action=f"duplicate.{'confirm' if status == PersonLink.Status.CONFIRMED else 'reject'}",
        object_type="person_link",
        object_id=link.pk,
        organisation_id=org,
        detail={"cases": [link.case_a_id, link.case_b_id], "from": before, "to": status},
    )
    return link


@atomic_audited
def link_confirm(*, actor: User, link_id: int) -> PersonLink:
    """Confirm that the two cases are the same person (a case worker of an owning organisation)."""
    return _decide(actor, link_id, PersonLink.Status.CONFIRMED)


@atomic_audited
def link_reject(*, actor: User, link_id: int) -> PersonLink:
    """Record that the two cases are different people despite the shared key."""
    return _decide(actor, link_id, PersonLink.Status.REJECTED)


# --- Counting once ---------------------------------------------------------------------------


def person_clusters(case_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Return, for each case linked by confirmed links, the smallest case id of its person's group.

    Cases absent from the result stand for themselves. Counting distinct values of
    ``clusters.get(case_id, case_id)`` counts each person once.
    """
    links = PersonLink.objects.filter(status=PersonLink.Status.CONFIRMED)
    if case_ids is not None:
        ids = list(case_ids)
        links = links.filter(Q(case_a__in=ids) | Q(case_b__in=ids))
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links.values_list("case_a_id", "case_b_id"):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}
