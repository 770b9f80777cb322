"""Counting each person once across agencies, without sharing identities.

Every case's person carries a linkage key: an HMAC of the normalised name (Cyrillic and Latin
alike), date of birth and sex, computed where the record is entered (``case_open``). Two cases
whose people share a key are a probable duplicate. They are proposed as a :class:`PersonLink`
for the owning organisations to confirm or reject, and both owners' case workers are notified.

A side learns only about its own case: that a probable duplicate exists in another organisation
and that the other organisation has been notified. It never learns the other case's identity,
id or reference, nor who owns it: otherwise a probe case opened with a victim's name and date of
birth would tell anyone with a case-worker account which shelter holds the victim. Each side may
agree to contact; once both have, each sees the other's organisation, and they talk outside the
system. Until then an offer tells the other side only that contact is offered.

- :func:`propose_links` finds the pairs and notifies the owners (called when a case is opened,
  and in bulk after imports);
- :func:`link_confirm`, :func:`link_reject` and :func:`link_contact` are the decisions (case
  workers of an owning organisation, audited);
- :func:`duplicate_list` is what a user may see, starting from the access rule, and
  :func:`duplicate_views` what they are shown of it (each read audited);
- :func:`person_clusters` groups cases linked by confirmed links, so statistics count a person once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    OWNER_ROLES,
    Action,
    case_staff_organisations,
    get_or_deny,
    owner_organisations,
    restrict,
    unrestricted,
)
from nrm.accounts.models import Membership, User
from nrm.audit.services import atomic_audited, audit_record
from nrm.cases.models import Case
from nrm.core.errors import Conflict
from nrm.exchange.models import CaseMerge, PersonLink

# Who may decide a link: the roles that manage an organisation's cases.
DECIDE_ROLES = OWNER_ROLES[Action.MANAGE]


def propose_links(keys: Iterable[str] | None = None) -> int:
    """Propose a link for every pair of cases whose people share a linkage key; return how many are new.

    With ``keys``, only those keys are examined (the cheap path when one case was opened).
    Existing links, whatever their status, are left as they are.
    """
    # A case merged into another is not proposed again: its survivor carries the person.
    people = unrestricted(Case, "duplicate matching").exclude(person__linkage_key="").filter(merged_into=None)
    if keys is not None:
        keys = [k for k in set(keys) if k]
        if not keys:
            return 0
        people = people.filter(person__linkage_key__in=keys)
    else:
        shared = (
            unrestricted(Case, "duplicate matching")
            .exclude(person__linkage_key="")
            .filter(merged_into=None)
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
        unrestricted(PersonLink, "duplicate matching")
        .filter(case_a__in={a for _k, a, _b in pairs})
        .values_list("case_a_id", "case_b_id")
    )
    now = timezone.now()
    new = [
        PersonLink(key=key, case_a_id=a, case_b_id=b, notified_at=now) for key, a, b in pairs if (a, b) not in existing
    ]
    if not new:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                made = PersonLink.objects.bulk_create(new)
        except IntegrityError:
            # Another transaction proposed some of the same pairs meanwhile: add the rest one by one.
            made = []
            for link in new:
                obj, created = PersonLink.objects.get_or_create(
                    case_a_id=link.case_a_id,
                    case_b_id=link.case_b_id,
                    defaults={"key": link.key, "notified_at": now},
                )
                if created:
                    made.append(obj)
        _notify(made)
    return len(made)


def _notify(links: list[PersonLink]) -> None:
    """Tell both owners of each new link that a probable duplicate of their case exists elsewhere.

    One audit row for the proposal and one e-mail per organisation, to its case workers, sent once
    the transaction has committed. Each organisation hears only of its own cases' references:
    never the other case, its organisation or anyone's identity.
    """
    if not links:
        return
    ids = [link.pk for link in links]
    case_ids = {link.case_a_id for link in links} | {link.case_b_id for link in links}
    owners = sorted(set(Case.objects.filter(pk__in=case_ids).values_list("owner_id", flat=True)))
    audit_record(
        actor="system",
        action="duplicate.propose",
        object_type="person_link",
        object_id=ids[0] if len(ids) == 1 else "",
        detail={"links": ids, "notified": owners},
    )
    addresses: dict[int, set[str]] = {}
    for org, email in (
        Membership.objects.filter(
            organisation__in=owners,
            organisation__is_active=True,
            role__in=DECIDE_ROLES,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("organisation_id", "user__email")
    ):
        addresses.setdefault(org, set()).add(email)
    if not addresses:
        return

    def send() -> None:
        # References are read after the commit: a case being opened gets its reference after its first save.
        own: dict[int, set[str]] = {}
        for owner, reference in Case.objects.filter(pk__in=case_ids).values_list("owner_id", "reference"):
            own.setdefault(owner, set()).add(reference)
        connection = get_connection()
        for org, emails in sorted(addresses.items()):
            body = _(
                "Another case with the same linkage key (name, date of birth and sex) as your case "
                "%(references)s has been found: a probable duplicate. Its organisation has been notified "
                "too. Neither of you sees the other's case or organisation unless both agree to contact."
                "\n\nSee it in NRM: /api/v1/duplicates/\n"
            ) % {"references": ", ".join(sorted(own.get(org, ())))}
            subject = _("NRM: a probable duplicate of your case")
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, bcc=sorted(emails), connection=connection).send()

    transaction.on_commit(send)


def on_case_saved(sender, instance: Case, created: bool, raw: bool = False, **kwargs) -> None:
    """Propose links for a newly opened case (connected to ``post_save`` of Case in apps.py)."""
    if created and not raw:
        key = Case.objects.filter(pk=instance.pk).values_list("person__linkage_key", flat=True).first()
        if key:
            propose_links([key])


def on_cases_opened_in_bulk(*, linkage_keys: list[str], **_signal) -> None:
    """Propose links for cases opened in bulk (connected to ``cases.signals.cases_opened_in_bulk``)."""
    propose_links(linkage_keys)


# --- Reading ---------------------------------------------------------------------------------


def duplicate_list(user: User, *, status: str = "") -> QuerySet[PersonLink]:
    """Return the links ``user`` may see: those where one of the cases belongs to the user's organisation.

    Seeing a link is for the owner's case staff; what they are shown of it is :func:`duplicate_views`.
    """
    # A link's merges are part of the link (who asked, which side survives): seen with it.
    merges = CaseMerge.objects.only("id", "link_id", "status", "survivor_id", "requested_side", "merged_at")
    qs = (
        restrict(PersonLink.objects.all(), user, Action.VIEW)
        .select_related("case_a__owner", "case_b__owner", "decided_by")
        .prefetch_related(Prefetch("merges", merges.order_by("-requested_at", "-id")))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


@dataclass
class MergeView:
    """A link's latest merge as one side sees it: which side survives, who asked, what the reader may do."""

    merge: CaseMerge
    survivor_ours: bool
    asked_by_us: bool
    may_accept: bool
    may_decline: bool


@dataclass
class LinkView:
    """A link as one user sees it: their own case, and of the other side only what it agreed to show.

    ``other`` is the other case itself only when it is the user's own organisation's too;
    ``other_owner`` is the other organisation once both sides agreed to contact (or when it is the
    user's own). ``decided_by`` names the decider only when the decision was the user's side's.
    """

    link: PersonLink
    case: Case
    other: Case | None
    other_owner: str | None
    contact_ours: bool
    contact_theirs: bool
    decided_by: str | None
    decided_by_other: bool
    merge: MergeView | None = None
    may_merge: bool = False


def link_view(user: User, link: PersonLink) -> LinkView:
    """Return ``link`` oriented from the user's side (their own case first), hiding the other side."""
    mine = set(case_staff_organisations(user))
    a_mine = link.case_a.owner_id in mine
    side = PersonLink.Side.A if a_mine else PersonLink.Side.B
    case, other = (link.case_a, link.case_b) if a_mine else (link.case_b, link.case_a)
    ours, theirs = (link.contact_a_at, link.contact_b_at) if a_mine else (link.contact_b_at, link.contact_a_at)
    other_is_mine = other.owner_id in mine
    by_us = bool(link.decided_side) and (link.decided_side == side or other_is_mine)
    deciders = set(owner_organisations(user, Action.MANAGE))
    latest = next(iter(link.merges.all()), None)
    merge = None
    if latest is not None:
        asked = link.case_a if latest.requested_side == PersonLink.Side.A else link.case_b
        answers = link.case_b if latest.requested_side == PersonLink.Side.A else link.case_a
        waiting = latest.status == CaseMerge.Status.REQUESTED
        merge = MergeView(
            merge=latest,
            survivor_ours=latest.survivor_id == case.pk,
            asked_by_us=asked.owner_id in mine,
            may_accept=waiting and answers.owner_id in deciders,
            may_decline=waiting and (answers.owner_id in deciders or asked.owner_id in deciders),
        )
    open_merge = latest is not None and latest.status in (CaseMerge.Status.REQUESTED, CaseMerge.Status.MERGED)
    may_merge = (
        link.status == PersonLink.Status.CONFIRMED
        and (link.contact_agreed or link.case_a.owner_id == link.case_b.owner_id)
        and not open_merge
        and case.owner_id in deciders
    )
    return LinkView(
        link=link,
        case=case,
        other=other if other_is_mine else None,
        other_owner=other.owner.name if other_is_mine or link.contact_agreed else None,
        contact_ours=ours is not None,
        contact_theirs=theirs is not None,
        decided_by=link.decided_by.username if by_us and link.decided_by else None,
        decided_by_other=bool(link.decided_side) and not by_us,
        merge=merge,
        may_merge=may_merge,
    )


def duplicate_views(user: User, links: Iterable[PersonLink], *, reason: str = "list") -> list[LinkView]:
    """Return ``links`` (from :func:`duplicate_list`) as ``user`` may see them, auditing the read.

    One audit row names who read which links, whatever their number (none included): knowing
    that a person is known elsewhere is itself sensitive.
    """
    links = list(links)
    audit_record(
        actor=user,
        action=f"duplicate.{reason}",
        object_type="person_link",
        object_id=links[0].pk if len(links) == 1 else "",
        detail={"links": [link.pk for link in links]},
    )
    return [link_view(user, link) for link in links]


# --- Deciding --------------------------------------------------------------------------------


def _locked(actor: User, link_id: int, action: str) -> tuple[PersonLink, str, int]:
    """Return the link locked for update, the actor's side and organisation; anything else is an audited 404."""
    # Visible but not decidable (a frontline worker) and invisible alike: not found.
    link = get_or_deny(
        PersonLink.objects.select_for_update().select_related("case_a__owner", "case_b__owner"),
        actor,
        Action.MANAGE,
        object_type="person_link",
        audit_action=action,
        pk=link_id,
    )
    deciders = set(owner_organisations(actor, Action.MANAGE))
    if link.case_a.owner_id in deciders:
        return link, PersonLink.Side.A, link.case_a.owner_id
    return link, PersonLink.Side.B, link.case_b.owner_id


def _decide(actor: User, link_id: int, status: str) -> PersonLink:
    link, side, org = _locked(actor, link_id, f"duplicate.{status}")
    if link.status == status:
        raise Conflict(
            _("This link is already %(status)s.") % {"status": link.get_status_display().lower()}, field="status"
        )
    if link.merges.filter(status__in=["requested", "merged"]).exists():
        # A merge rests on the confirmation: it is declined or undone before the link changes.
        raise Conflict(_("These cases are merged or a merge is asked for: that comes first."), field="status")
    before = link.status
    link.status, link.decided_by, link.decided_at, link.decided_side = status, actor, timezone.now(), side
    link.save(update_fields=["status", "decided_by", "decided_at", "decided_side"])
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


@atomic_audited
def link_contact(*, actor: User, link_id: int) -> PersonLink:
    """Agree, for the actor's organisation, that the other owner may learn who it is and get in touch.

    The other side is told only that contact is offered. Once both owners have agreed, each sees
    the other's organisation (never the other's case or identity): it is the owner of the case
    found earlier, perhaps a shelter, who decides whether to be found.
    """
    link, side, org = _locked(actor, link_id, "duplicate.contact")
    field = "contact_a_at" if side == PersonLink.Side.A else "contact_b_at"
    if getattr(link, field) is not None:
        raise Conflict(_("Your organisation has already agreed to contact."), field="contact")
    setattr(link, field, timezone.now())
    link.save(update_fields=[field])
    audit_record(
        actor=actor,
        action="duplicate.contact",
        object_type="person_link",
        object_id=link.pk,
        organisation_id=org,
        detail={"cases": [link.case_a_id, link.case_b_id], "side": side, "agreed": link.contact_agreed},
    )
    return link


# --- Counting once ---------------------------------------------------------------------------


def person_clusters(case_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Return, for each case linked by confirmed links, the smallest case id of its person's group.

    Cases absent from the result stand for themselves. Counting distinct values of
    ``clusters.get(case_id, case_id)`` counts each person once.
    """
    links = unrestricted(PersonLink, "duplicate matching").filter(status=PersonLink.Status.CONFIRMED)
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
