"""Merging confirmed duplicates into one case, reversible by an administrator (issue J).

A probable duplicate (:class:`~nrm.exchange.models.PersonLink`) that an owner confirmed, and whose
two owners both agreed to contact, may be merged. A case worker of either owner asks for it,
naming the case that survives (:func:`merge_request`); the other owner accepts
(:func:`merge_accept`) or either declines (:func:`merge_decline`). When one organisation owns
both cases, its request is its agreement: the merge runs at once (there is nobody else to ask).
Before both owners agreed to contact a merge cannot even be asked: neither side may learn the
other's organisation through it.

The merge (:func:`_merge`, one transaction) moves every row that points at the absorbed case to
the survivor. The rows are found through Django's model meta (:func:`case_references`), so a
model added later that points at ``Case`` moves too without a change here; :data:`NOT_MOVED`
lists the references left where they are on purpose, with the reason, and a test fails for a
reference that is in neither. Which rows moved is recorded on the :class:`CaseMerge`
(``[model label, field, pk]``), and :func:`merge_undo` (an administrator, within
``NRM_MERGE_UNDO_DAYS``) moves exactly those back. A row that cannot move because the survivor
already fills a uniqueness (the same flag standing on both, the same proceeding) stays on the
absorbed case, listed in ``kept``.

The absorbed case is kept, marked ``merged_into`` the survivor: it exists for nobody
(``accounts.access.case_filter``), statistics leave it out (one person, one case), and its
person's identity stays encrypted on it for the undo. The survivor keeps its own person and
facts; its history shows the merge.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import OWNER_ROLES, Action, get_or_deny, owner_organisations, restrict
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record
from nrm.cases.models import Case
from nrm.core.errors import Conflict, invalid
from nrm.core.jsonrows import Relation
from nrm.exchange.access import MergeAction
from nrm.exchange.dedup import _locked
from nrm.exchange.models import CaseMerge, PersonLink
from nrm.tasks import services as tasks
from nrm.tasks.choices import NotificationKind

# References to a case that a merge leaves where they are ("<model label>.<field>"), and why.
NOT_MOVED: dict[str, str] = {
    "cases.Case.merged_into": "the mark of a merge itself: the absorbed case points at its survivor",
    "cases.Case_forms.case": (
        "a case's forms are the union of its episodes' forms: the episodes move, and both cases' forms are "
        "recomputed from them after the merge and after an undo"
    ),
    "exchange.PersonLink.case_a": (
        "a link names two records as they were found; the survivor has its own link with every case of the same "
        "key, and the merge's own link is the history of the merge"
    ),
    "exchange.PersonLink.case_b": "as case_a",
    "exchange.CaseMerge.survivor": "a merge's record of its own two cases",
    "exchange.CaseMerge.absorbed": "a merge's record of its own two cases",
}


def _tell_of_merge(merge: CaseMerge, *, actor: User, kind: str, withdrawn: bool = False) -> None:
    """Tell the case managers of the owner that did not act of a merge of duplicates.

    Asked for: the other owner, whose answer it waits for; done or declined: the asking owner;
    withdrawn by the asking owner: the other. Each organisation hears of its own case's
    reference only, as with the duplicate itself (``exchange.dedup``): never the other case,
    its owner or anyone's identity. One owner of both cases merges alone: nobody to tell.
    """
    link = merge.link
    asking, other = link.case_a, link.case_b
    if merge.requested_side != PersonLink.Side.A:
        asking, other = other, asking
    if asking.owner_id == other.owner_id:
        return
    told = other if kind == NotificationKind.MERGE_REQUESTED or withdrawn else asking
    tasks.notify(
        tasks.staff([told.owner_id], OWNER_ROLES[Action.MANAGE], exclude=actor),
        kind=kind,
        object_type="person_link",
        object_id=link.pk,
        reference=told.reference,
    )


def case_references() -> list[tuple[type[Model], str]]:
    """Return every (model, field) whose rows point at a case: foreign keys and many-to-many tables alike.

    Read from ``Case._meta`` (hidden relations included, such as ``related_name="+"``), so a
    model added by another app is found without being named here.
    """
    found: dict[tuple[str, str], tuple[type[Model], str]] = {}
    for rel in Case._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete):
            continue
        if rel.many_to_many:
            # A many-to-many on another model (a proceeding's cases): its table's rows point at the case.
            through = rel.through
            pairs = [(through, f.name) for f in through._meta.fields if f.is_relation and f.related_model is Case]
        else:
            pairs = [(rel.related_model, rel.field.name)]
        for model, name in pairs:
            found[(model._meta.label, name)] = (model, name)
    return [found[key] for key in sorted(found)]


def movable_references() -> list[tuple[type[Model], str]]:
    """Return the references a merge moves: every one of :func:`case_references` not in :data:`NOT_MOVED`."""
    return [(m, f) for m, f in case_references() if f"{m._meta.label}.{f}" not in NOT_MOVED]


def _bumps(model: type[Model], now: dt.datetime) -> dict:
    """Return the updates that tell readers a row changed: its version (stale ETags) and its update time."""
    names = {f.name for f in model._meta.concrete_fields}
    bumps: dict = {}
    if "version" in names:
        bumps["version"] = F("version") + 1
    if "updated_at" in names:
        bumps["updated_at"] = now
    return bumps


def _repoint(model: type[Model], field: str, pks: list, to_case: int, now: dt.datetime) -> tuple[list, list]:
    """Point the rows ``pks`` of ``model`` at ``to_case`` through ``field``; return (moved, kept) pks.

    All at once when possible; when a uniqueness refuses that, row by row, and a row the target
    already has an equivalent of stays where it is.
    """
    rows = model._base_manager.filter(pk__in=pks)
    try:
        with transaction.atomic():
            rows.update(**{field: to_case}, **_bumps(model, now))
        return list(pks), []
    except IntegrityError:
        moved, kept = [], []
        for pk in pks:
            try:
                with transaction.atomic():
                    model._base_manager.filter(pk=pk).update(**{field: to_case}, **_bumps(model, now))
                moved.append(pk)
            except IntegrityError:
                kept.append(pk)
        return moved, kept


def _plain(pk):
    """A primary key as JSON keeps it (an integer, or its text for other kinds of key)."""
    return pk if isinstance(pk, int) else str(pk)


# --- Asking, answering ---------------------------------------------------------------------------


def _open_merge(link: PersonLink) -> CaseMerge | None:
    return (
        CaseMerge.objects.select_for_update()
        .filter(link=link, status__in=[CaseMerge.Status.REQUESTED, CaseMerge.Status.MERGED])
        .first()
    )


def _check_mergeable(link: PersonLink) -> None:
    """Refuse a merge the link's state does not allow (a Conflict naming what is missing)."""
    if link.status != PersonLink.Status.CONFIRMED:
        raise Conflict(_("Only a confirmed duplicate can be merged: confirm it first."), field="status")
    same_owner = link.case_a.owner_id == link.case_b.owner_id
    if not same_owner and not link.contact_agreed:
        raise Conflict(_("Both organisations must agree to contact before the cases can be merged."), field="contact")
    if link.case_a.merged_into_id or link.case_b.merged_into_id:
        raise Conflict(_("One of the cases has already been merged."), field="status")
    from nrm.transfers.models import CaseTransfer, TransferStatus

    if CaseTransfer.objects.filter(case__in=[link.case_a_id, link.case_b_id], status=TransferStatus.PENDING).exists():
        raise Conflict(_("A transfer of one of the cases is waiting for an answer."), field="status")


def _survivor(actor: User, link: PersonLink, side: str, survivor: object) -> Case:
    """Return the case named to survive: ``ours``, ``theirs``, or the id of a case of the link the actor owns.

    Another id gets the same answer whether or not it is the other case: a request must not
    tell whether a guessed id is the other side.
    """
    ours, theirs = (link.case_a, link.case_b) if side == PersonLink.Side.A else (link.case_b, link.case_a)
    value = str(survivor if survivor is not None else "").strip().lower()
    if value == "ours":
        return ours
    if value == "theirs":
        return theirs
    if value.isdigit():
        mine = set(owner_organisations(actor, Action.MANAGE))
        for case in (link.case_a, link.case_b):
            if case.pk == int(value) and case.owner_id in mine:
                return case
    raise invalid(
        "survivor", _('Name the case that survives: "ours", "theirs" or the id of your organisation\'s case.')
    )


@atomic_audited
def merge_request(*, actor: User, link_id: int, survivor: object) -> CaseMerge:
    """Ask to merge a confirmed duplicate, naming the surviving case; if one organisation owns both, merge now."""
    link, side, org = _locked(actor, link_id, "merge.request")
    _check_mergeable(link)
    if _open_merge(link) is not None:
        raise Conflict(_("A merge of these cases has already been asked for."), field="status")
    keep = _survivor(actor, link, side, survivor)
    gone = link.case_b if keep.pk == link.case_a_id else link.case_a
    merge = CaseMerge.objects.create(link=link, survivor=keep, absorbed=gone, requested_by=actor, requested_side=side)
    same_owner = link.case_a.owner_id == link.case_b.owner_id
    audit_record(
        actor=actor,
        action="merge.request",
        object_type="person_link",
        object_id=link.pk,
        organisation_id=org,
        detail={"merge": merge.pk, "survivor": keep.pk, "absorbed": gone.pk, "same_owner": same_owner},
    )
    if same_owner:
        # Nobody else to ask: the owner's request is both owners' agreement.
        _merge(merge, actor)
    else:
        _tell_of_merge(merge, actor=actor, kind=NotificationKind.MERGE_REQUESTED)
    return merge


def _waiting(actor: User, link_id: int, action: str) -> tuple[PersonLink, CaseMerge, str, int]:
    link, side, org = _locked(actor, link_id, action)
    merge = _open_merge(link)
    if merge is None or merge.status != CaseMerge.Status.REQUESTED:
        raise Conflict(_("No merge of these cases is waiting for an answer."), field="status")
    return link, merge, side, org


@atomic_audited
def merge_accept(*, actor: User, link_id: int) -> CaseMerge:
    """Accept the other owner's request to merge: the cases merge now."""
    link, merge, _side, _org = _waiting(actor, link_id, "merge.accept")
    other_owner = link.case_b.owner_id if merge.requested_side == PersonLink.Side.A else link.case_a.owner_id
    if other_owner not in owner_organisations(actor, Action.MANAGE):
        raise Conflict(_("The other organisation answers the merge your organisation asked for."), field="status")
    _check_mergeable(link)
    audit_record(
        actor=actor,
        action="merge.accept",
        object_type="person_link",
        object_id=link.pk,
        organisation_id=other_owner,
        detail={"merge": merge.pk},
    )
    _merge(merge, actor)
    _tell_of_merge(merge, actor=actor, kind=NotificationKind.MERGE_DONE)
    return merge


@atomic_audited
def merge_decline(*, actor: User, link_id: int) -> CaseMerge:
    """Decline a merge waiting for an answer (the other owner), or withdraw it (the asking owner)."""
    link, merge, side, org = _waiting(actor, link_id, "merge.decline")
    merge.status, merge.answered_by, merge.answered_at = CaseMerge.Status.DECLINED, actor, timezone.now()
    merge.save(update_fields=["status", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action="merge.decline",
        object_type="person_link",
        object_id=link.pk,
        organisation_id=org,
        detail={"merge": merge.pk, "withdrawn": side == merge.requested_side},
    )
    _tell_of_merge(merge, actor=actor, kind=NotificationKind.MERGE_DECLINED, withdrawn=side == merge.requested_side)
    return merge


# --- Merging and undoing -------------------------------------------------------------------------


def _merge(merge: CaseMerge, actor: User) -> None:
    """Move every row of the absorbed case to the survivor, record which, and mark the absorbed case merged."""
    now = timezone.now()
    survivor, absorbed = merge.survivor_id, merge.absorbed_id
    list(Case.objects.select_for_update().filter(pk__in=[survivor, absorbed]).order_by("pk"))
    moved: list[list] = []
    kept: list[list] = []
    for model, field in movable_references():
        pks = list(model._base_manager.filter(**{field: absorbed}).order_by("pk").values_list("pk", flat=True))
        if not pks:
            continue
        done, left = _repoint(model, field, pks, survivor, now)
        moved += [[model._meta.label, field, _plain(pk)] for pk in done]
        kept += [[model._meta.label, field, _plain(pk)] for pk in left]
    _forms_follow(survivor, absorbed)
    Case.objects.filter(pk=absorbed).update(merged_into=survivor, merged_at=now, **_bumps(Case, now))
    Case.objects.filter(pk=survivor).update(**_bumps(Case, now))
    merge.status, merge.merged_at, merge.moved, merge.kept = CaseMerge.Status.MERGED, now, moved, kept
    if merge.answered_by_id is None:
        merge.answered_by, merge.answered_at = actor, now
    merge.save(update_fields=["status", "merged_at", "moved", "kept", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action="merge.run",
        object_type="case",
        object_id=survivor,
        detail={"merge": merge.pk, "absorbed": absorbed, "moved": _counts(moved), "kept": _counts(kept)},
    )


def _forms_follow(*case_ids: int) -> None:
    """Recompute what each case keeps from rows that moved: forms from episodes, identified_on from decisions.

    Both are the case services' own (``forms_follow_episodes``, ``identified_on_follow``).
    """
    from nrm.cases.services import forms_follow_episodes, identified_on_follow

    for case in Case.objects.filter(pk__in=case_ids):
        forms_follow_episodes(case)
    identified_on_follow(case_ids)


def _counts(rows: list[list]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for label, _field, _pk in rows:
        counts[label] += 1
    return dict(sorted(counts.items()))


def undo_deadline(merge: CaseMerge) -> dt.datetime | None:
    """Return until when ``merge`` may be undone (None if it is not a standing merge)."""
    if merge.status != CaseMerge.Status.MERGED or merge.merged_at is None:
        return None
    return merge.merged_at + dt.timedelta(days=settings.NRM_MERGE_UNDO_DAYS)


@atomic_audited
def merge_undo(*, actor: User, merge_id: int) -> CaseMerge:
    """Undo a merge (an administrator, within ``NRM_MERGE_UNDO_DAYS``): the moved rows go back, the case returns.

    Rows added to the survivor since the merge stay with it; a moved row deleted since is
    counted as missing in the audit row.
    """
    merge = get_or_deny(
        CaseMerge.objects.select_for_update(),
        actor,
        MergeAction.UNDO,
        object_type="case_merge",
        audit_action="merge.undo",
        pk=merge_id,
    )
    if merge.status != CaseMerge.Status.MERGED:
        raise Conflict(
            _("Only a standing merge can be undone; this one is %(status)s.")
            % {"status": merge.get_status_display().lower()},
            field="status",
        )
    now = timezone.now()
    deadline = undo_deadline(merge)
    if deadline is not None and now > deadline:
        raise Conflict(
            _("A merge can be undone within %(days)d days only; this one was made on %(date)s.")
            % {"days": settings.NRM_MERGE_UNDO_DAYS, "date": timezone.localdate(merge.merged_at).isoformat()},
            field="merged_at",
        )
    survivor, absorbed = merge.survivor_id, merge.absorbed_id
    list(Case.objects.select_for_update().filter(pk__in=[survivor, absorbed]).order_by("pk"))
    by_reference: dict[tuple[str, str], list] = defaultdict(list)
    for label, field, pk in merge.moved:
        by_reference[(label, field)].append(pk)
    back: list[list] = []
    missing = 0
    for (label, field), pks in sorted(by_reference.items()):
        model = apps.get_model(label)
        present = list(model._base_manager.filter(pk__in=pks, **{field: survivor}).values_list("pk", flat=True))
        missing += len(pks) - len(present)
        done, left = _repoint(model, field, present, absorbed, now) if present else ([], [])
        back += [[label, field, _plain(pk)] for pk in done]
        missing += len(left)
    _forms_follow(survivor, absorbed)
    Case.objects.filter(pk=absorbed).update(merged_into=None, merged_at=None, **_bumps(Case, now))
    Case.objects.filter(pk=survivor).update(**_bumps(Case, now))
    merge.status, merge.undone_by, merge.undone_at = CaseMerge.Status.UNDONE, actor, now
    merge.save(update_fields=["status", "undone_by", "undone_at"])
    audit_record(
        actor=actor,
        action="merge.undo",
        object_type="case",
        object_id=absorbed,
        detail={"merge": merge.pk, "survivor": survivor, "restored": _counts(back), "missing": missing},
    )
    return merge


# --- Reading -------------------------------------------------------------------------------------


def merge_list(user: User, *, status: str = "") -> QuerySet[CaseMerge]:
    """Return the merges ``user`` may see (the administrators: all), newest first; no identity is read."""
    qs = restrict(CaseMerge.objects.all(), user, MergeAction.VIEW).select_related(
        "survivor__owner", "absorbed__owner", "requested_by", "answered_by", "undone_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


def case_relations(user: User, case: Case, is_owner: bool) -> list[Relation]:
    """What a case read loads of the cases merged into it (registered with ``nrm.cases.selectors``): its
    history, through the merges' rule."""
    merges = CaseMerge.objects.filter(survivor=case, status=CaseMerge.Status.MERGED)
    return [
        Relation(
            "merges_in",
            restrict(merges, user, Action.VIEW)
            .select_related("absorbed__owner")
            .only("id", "survivor_id", "merged_at", "absorbed__reference", "absorbed__owner__name"),
        )
    ]
