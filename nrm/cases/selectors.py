"""Reads of the victim's record; each starts from the access rule and audits what it shows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db.models import Case as CaseWhen
from django.db.models import DateField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as _

from nrm.accounts.access import (
    Action,
    acting_organisations,
    case_staff_organisations,
    get_or_deny,
    identity_organisations,
    is_case_staff,
    owner_organisations,
    reader_key,
    restrict,
    unrestricted,
)
from nrm.accounts.models import Organisation, User
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_record, audited_read, carried_append
from nrm.cases.access import can_on_loaded, can_see_identity_on_loaded, case_links_expression, loaded_links
from nrm.cases.choices import ConsentPurpose, Decision, ServiceStatus
from nrm.cases.models import (
    Case,
    CaseFlag,
    CaseNote,
    Consent,
    Episode,
    ExploitationForm,
    Identification,
    Screening,
    ServiceDelivery,
)
from nrm.core import crypto
from nrm.core.errors import invalid
from nrm.core.jsonrows import Relation, load_relations_prepared, loaded
from nrm.core.params import year_param
from nrm.referrals.selectors import case_referrals

# --- Statistics ------------------------------------------------------------------------------
# The one place that decides which cases statistics may use: every population of victims'
# cases (reporting, justice) and every record-level export (HTCDS) starts from here.


def statistics_by_consent() -> bool:
    """Return True if a case needs the consent "use in statistics" to be counted (the default).

    ``NRM_STATISTICS_BASIS = "legal_basis"`` is for countries whose law makes official
    statistics consent-free: every case is counted then.
    """
    return settings.NRM_STATISTICS_BASIS == "consent"


def cases_usable_for_statistics() -> QuerySet[Case]:
    """Return the cases statistics and record-level exports may use; no access rule (no person is read).

    Under the consent basis, those whose person gave the consent "use in statistics" and has not
    withdrawn it; a case without it is in no count, no table and no HTCDS file.
    """
    # A case merged into another is the same person's survivor's: counted through the survivor only.
    cases = unrestricted(Case, "statistics consent").filter(merged_into=None)
    if not statistics_by_consent():
        return cases
    consented = Consent.objects.filter(case=OuterRef("pk"), purpose=ConsentPurpose.STATISTICS, withdrawn_on=None)
    return cases.filter(Exists(consented))


def cases_left_out_of_statistics() -> int:
    """Return how many cases statistics leave out for want of consent (0 under the legal basis).

    A raw count: publish it only through disclosure control
    (:func:`nrm.reporting.selectors.statistics_left_out`).
    """
    if not statistics_by_consent():
        return 0
    return (
        unrestricted(Case, "statistics consent")
        .filter(merged_into=None)
        .exclude(pk__in=cases_usable_for_statistics().values("pk"))
        .count()
    )


@dataclass(frozen=True)
class NameSearch:
    """A search by name: the keyed token to compare and what it was computed with (``birth_date``/``birth_year``).

    Only the token leaves :func:`name_search`: the name itself is in no query and no audit row.
    """

    token: str
    by: str


def name_search(name: str = "", birth_date: str = "", birth_year: str = "") -> NameSearch | None:
    """Return the search asked for by ``name`` with ``birth_date`` (YYYY-MM-DD) or ``birth_year``; None for none.

    Refuses, naming the field: a name without a date or year (a name alone would match too many
    people to be exact), a date or year without a name, a malformed date or year, and a date and
    a year that disagree.
    """
    name, birth_date, birth_year = (str(v or "").strip() for v in (name, birth_date, birth_year))
    if not (name or birth_date or birth_year):
        return None
    year = year_param(birth_year, field="birth_year")
    born = None
    if birth_date:
        try:
            born = dt.date.fromisoformat(birth_date)
        except ValueError:
            raise invalid("birth_date", _("Enter the date of birth as YYYY-MM-DD.")) from None
        if len(birth_date) != 10 or not 1900 <= born.year <= 2100:
            raise invalid("birth_date", _("Enter the date of birth as YYYY-MM-DD."))
        if year is not None and year != born.year:
            raise invalid("birth_year", _("The birth year does not match the date of birth."))
    if not crypto.normalise_name(name):
        raise invalid("name", _("Enter the given and family name to search for."))
    if born is None and year is None:
        raise invalid("birth_date", _("Give the date of birth or the birth year with the name."))
    by_date, by_year = crypto.search_tokens(
        given_name=name, family_name="", date_of_birth=born.isoformat() if born else "", birth_year=year
    )
    return NameSearch(by_date, "birth_date") if born else NameSearch(by_year, "birth_year")


def active_flags_prefetch(user: User) -> Prefetch:
    """Return the prefetch of the standing flags of listed cases, through the access rule."""
    from nrm.accounts.access import restricted_prefetch

    flags = CaseFlag.objects.filter(lifted_at=None).only("id", "case_id", "reason")
    return restricted_prefetch("flags", flags, user, Action.VIEW)


def case_list(
    user: User,
    *,
    status: str = "",
    form: str = "",
    decision: str = "",
    is_child: str = "",
    year: str = "",
    q: str = "",
    mine: str = "",
    search: NameSearch | None = None,
    identity: dict | None = None,
) -> QuerySet[Case]:
    """Return the cases ``user`` may see, filtered; never reads identity fields.

    ``search`` (from :func:`name_search`) finds a person by the keyed search token, and
    ``identity`` (given_name, family_name, date_of_birth, sex) by the linkage key: neither
    decrypts anything, and both find only the cases of the organisations where the user holds a
    role that sees identity. Not a receiver's: a hit there would confirm that a person is in a
    case whatever the referral shared.
    ``mine`` ("1") keeps the cases the user is responsible for.
    """
    qs = restrict(Case.objects.all(), user, Action.VIEW)
    if status:
        qs = qs.filter(status=status)
    if form:
        qs = qs.filter(forms__code=form)
    if decision:
        qs = qs.filter(identification_status=decision)
    if is_child in ("1", "0"):
        qs = qs.filter(is_child=is_child == "1")
    if (opened := year_param(year)) is not None:
        qs = qs.filter(opened_on__year=opened)
    if q:
        qs = qs.filter(reference__icontains=q.strip())
    if mine == "1":
        qs = qs.filter(responsible=user)
    if search is not None:
        field_ = "person__search_key_date" if search.by == "birth_date" else "person__search_key_year"
        qs = qs.filter(owner__in=identity_organisations(user), **{field_: search.token})
    if identity and (identity.get("given_name") or identity.get("family_name")):
        key = crypto.linkage_key(
            given_name=identity.get("given_name", ""),
            family_name=identity.get("family_name", ""),
            date_of_birth=identity.get("date_of_birth", ""),
            sex=identity.get("sex", ""),
        )
        qs = qs.filter(person__linkage_key=key, owner__in=identity_organisations(user))
    # The rule and the filters choose the cases in a subquery, and the list reads each chosen case
    # once: a filter across a to-many relation (a case's forms) could repeat a case in its own
    # rows, and de-duplicating (DISTINCT over every column of every case the reader may see, to
    # show one page) was most of a list's time, 55 of 86 ms at 200,000 cases on SQLite.
    return (
        Case.objects.filter(pk__in=qs.values("pk"))
        .select_related("owner", "person", "responsible")
        .prefetch_related("forms", active_flags_prefetch(user))
        .defer(
            "person__given_name",
            "person__family_name",
            "person__date_of_birth",
            "person__document_number",
            "person__contact",
            "person__address",
            "best_interests_note",
            *(f"responsible__{f}" for f in ("password", "last_login", "date_joined", "email")),
        )
    )


def audit_case_list(
    user: User, cases: list[Case], *, filters: dict, reason: str, search: NameSearch | None = None
) -> None:
    """Write the audit row of a list read: who was shown which cases, under which filters.

    ``case.search`` when a text, name or identity filter narrowed the list, else ``case.list``.
    The name searched for is never written: a search by name leaves its keyed token (which an
    auditor holding the key can compare with a person's) and whether it was by date or year.
    """
    shown = {k: v for k, v in filters.items() if v and k not in ("identity", "name", "birth_date", "birth_year")}
    identity = filters.get("identity") or {}
    searched = bool(filters.get("q")) or any(identity.values()) or search is not None
    if any(identity.values()):
        shown["identity"] = True
    if search is not None:
        shown["name"] = {"token": search.token, "by": search.by}
    audit_record(
        actor=user,
        action="case.search" if searched else "case.list",
        object_type="case",
        reason=reason,
        detail={"cases": [c.pk for c in cases], "filters": shown},
    )


def case_services(user: User, case: Case, *, staff: bool | None = None) -> QuerySet[ServiceDelivery]:
    """Return the services of ``case``'s assistance plan that ``user`` may see.

    The owner's staff see the whole plan. Anyone else sees the services of the owner and of
    their own organisations, and those delivered on a referral they may see: a service of
    another receiver would name it, which its referral does not show either. ``staff``: whether
    ``user`` is the owner's staff, when the caller knew it already (see ``case_get``).
    """
    qs = restrict(ServiceDelivery.objects.filter(case=case), user, Action.VIEW).select_related(
        "service_type", "organisation"
    )
    if is_case_staff(user, case) if staff is None else staff:
        return qs
    visible = case_referrals(user, case, staff=False).values("pk")
    return qs.filter(Q(organisation__in=[case.owner_id, *case_staff_organisations(user)]) | Q(referral__in=visible))


def active_consents(case: Case) -> list[Consent]:
    """The case's consents in force, with their organisations."""
    return [c for c in case.consents.select_related("organisation") if c.is_active]


@dataclass
class CaseView:
    """A case as one user may see it: identity only when allowed, notes only for the owner."""

    case: Case
    show_identity: bool
    is_owner: bool
    # The case's referrals to the reader's organisations (``access.case_links``): what ``may`` answers from.
    links: list = field(default_factory=list, repr=False)

    def may(self, user: User, action: Action) -> bool:
        """Return ``access.can(user, action, case)``, answered from the rows already loaded (no query)."""
        return can_on_loaded(user, action, self.case, self.links)


def _case_episodes(case: Case, is_owner: bool) -> QuerySet[Episode]:
    episodes = Episode.objects.filter(case=case).select_related("form")
    return episodes if is_owner else episodes.defer("notes")


# Relations other apps hang on a case (their rows point at it), loaded with the case in its one
# statement of relations (nrm.core.jsonrows). Each app registers, when it starts, a function
# giving them for a reader, a case and whether the reader is the owner's staff: cases, a layer
# below those apps, imports none of them. A function may depend on nothing else of the reader or
# the case than what its access rules read and the case's kind (child or adult): ``case_get``
# prepares the statement once under those.
CaseRelations = Callable[[User, Case, bool], list[Relation]]
_CASE_RELATIONS: list[tuple[CaseRelations, bool]] = []  # (relations, whether the API's case shows them)

# What a case is read for: the case page (and the printed summary, and the endpoints that show one
# part of a case) shows everything loaded with it; the API's case (``GET /api/v1/cases/<id>/``) its
# fields, timeline, services, flags, episodes, consents and a child's guardian, and no more is read.
CaseShown = Literal["page", "api"]

# Of these relations the API's case shows only what its timeline and its services say, so it
# reads only those columns (``only``): a screening's answers alone were half of what the relations
# statement sent back. A column the timeline or the serializers read that is missing here would
# cost a query per row, which the suite's count of the read's statements catches.
_API_COLUMNS: dict[str, tuple[str, ...]] = {
    "screenings": ("case_id", "screened_on", "result"),
    "referrals": (
        "case_id",
        "kind",
        "status",
        "sent_on",
        "suspended_on",
        "service_type__name",
        "from_org__name",
        "to_org__name",
    ),
    "identifications": ("case_id", "decision", "decided_on"),
    "services": (
        "case_id",
        "version",
        "status",
        "started_on",
        "ended_on",
        "outcome",
        "created_at",
        "referral_id",
        "service_type__code",
        "service_type__name",
        "organisation__name",
    ),
}


def register_case_relations(relations: CaseRelations, *, api: bool = True) -> None:
    """Have ``case_get`` load ``relations(user, case, is_owner)`` with every case it reads.

    ``api=False``: the API's case does not show them; ``case_get(..., shown="api")`` leaves them.
    """
    if all(registered is not relations for registered, _api in _CASE_RELATIONS):
        _CASE_RELATIONS.append((relations, api))


# What other apps show beside a case (a child's records, its transfers, its protection measures),
# worked out from the rows ``case_get`` loaded: each app registers, when it starts, a function
# giving its part of the context of the case page and of the printed summary.
CaseExtras = Callable[[User, CaseView], dict]
_CASE_EXTRAS: list[CaseExtras] = []


def register_case_extras(extras: CaseExtras) -> None:
    """Have :func:`case_extras` add ``extras(user, view)`` to what is shown beside every case."""
    if extras not in _CASE_EXTRAS:
        _CASE_EXTRAS.append(extras)


def case_extras(user: User, view: CaseView) -> dict:
    """Return what the registered apps show beside a case read by ``case_get`` (no query)."""
    found: dict = {}
    for extras in _CASE_EXTRAS:
        found |= extras(user, view)
    return found


# The case row and what it shows beside it. Made once: it is only ever refined (by the access rule),
# never evaluated itself; making it per read was 2% of a served case read.
_CASE_READ = Case.objects.select_related("owner", "person", "owner__type", "responsible").defer("responsible__password")


@audited_read
def case_get(user: User, pk: int, *, reason: str = "view", shown: CaseShown = "page") -> CaseView:
    """Return a case ``user`` may see, with its audit row written; anything else is NotFound.

    ``shown``: what the case is read for (:data:`CaseShown`): the relations nothing there shows
    are not read.

    A denied attempt is audited too. If the audit row cannot be written the read fails. The
    read holds no write lock (:func:`~nrm.audit.services.audited_read`): on SQLite, readers no
    longer queue behind each other for the one write lock.
    """
    case = get_or_deny(
        _CASE_READ,
        user,
        Action.VIEW,
        object_type="case",
        audit_action="case.view",
        audit_reason=reason[:200],
        prepared_as="case_get",
        # The case's referrals to the reader: what it may see of the case, decided before the rest is read.
        annotate=lambda cases: cases.annotate(_nrm_links=case_links_expression(user)),
        pk=pk,
    )
    links = loaded_links(case.__dict__.pop("_nrm_links"))
    show_identity = can_see_identity_on_loaded(user, case, links)
    # Owner's staff only: a reporter or analyst membership in the owner does not show notes.
    is_owner = case.owner_id in case_staff_organisations(user)

    def shown_of(name: str, rows: QuerySet) -> Relation:
        if shown == "api":  # those columns, joined to the rows they name and no others
            columns = _API_COLUMNS[name]
            rows = rows.select_related(None).only(*columns)
            if joins := list(dict.fromkeys(c.split("__")[0] for c in columns if "__" in c)):
                rows = rows.select_related(*joins)  # (none given would follow every foreign key)
        return Relation(name, rows)

    # Everything the case page, the API and the timeline show, in one statement (one JSON array
    # per relation, see nrm.core.jsonrows); notes and consents only for the owner, so nobody
    # else's request even decrypts them. Referrals and services are loaded through the access
    # rule: they name the organisations involved.
    def relations(case: Case) -> list[Relation]:
        loaded = [
            Relation("forms", ExploitationForm.objects.filter(cases=case)),
            # Episodes of exploitation, to whoever sees the case; their notes, like the case's, to the owner only.
            Relation("episodes", _case_episodes(case, is_owner)),
            shown_of("screenings", Screening.objects.filter(case=case)),
            shown_of("referrals", case_referrals(user, case, staff=is_owner)),
            shown_of("identifications", Identification.objects.filter(case=case).select_related("organisation")),
            shown_of("services", case_services(user, case, staff=is_owner)),  # through the access rule already
            # Flags, standing and lifted, with who raised and lifted them: whoever sees the case.
            Relation(
                "flags",
                CaseFlag.objects.filter(case=case)
                .select_related("organisation", "raised_by", "lifted_by")
                .defer("raised_by__password", "lifted_by__password"),
            ),
        ]
        # What other apps hang on a case (documents, transfers, merges, protection, a child's
        # records), as each registered it (register_case_relations).
        for more, in_api in _CASE_RELATIONS:
            if in_api or shown == "page":
                loaded += more(user, case, is_owner)
        if is_owner:
            loaded += [
                Relation(
                    "notes", CaseNote.objects.filter(case=case).select_related("author").defer("author__password")
                ),
                Relation("consents", Consent.objects.filter(case=case).select_related("organisation")),
            ]
        return loaded

    audit_record(
        actor=user,
        action="case.view",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id if is_owner else None,
        reason=reason[:200],
        detail={"identity": show_identity},
    )
    # Compiled once per reader, whether they are the owner's staff and kind of case (what the rule
    # and the relations read besides the ids): the owner is a parameter, as the case's id is. On
    # PostgreSQL the statement appends the audit row too: nothing is shown unless it is written.
    load_relations_prepared(
        case,
        relations,
        key=("case_get", reader_key(user), is_owner, case.is_child, shown),
        vary=("owner_id",),
        carried=carried_append(),
    )
    return CaseView(case=case, show_identity=show_identity, is_owner=is_owner, links=links)


@dataclass
class TimelineEntry:
    on: dt.date
    kind: str
    text: str
    by: str = ""


# The timeline's sentences, marked for translation here and translated once per language: a
# gettext reaches the active language through asgiref's Local, and a timeline asked nine.
_TIMELINE = {
    "opened": gettext_noop("Case opened by %(org)s"),
    "screening": gettext_noop("Screening: %(result)s"),
    "consent": gettext_noop("Consent given: %(p)s%(o)s"),
    "withdrawn": gettext_noop("Consent withdrawn: %(p)s"),
    "referral": gettext_noop("Referred by %(f)s to %(t)s for %(w)s: %(s)s"),
    "suspended": gettext_noop("Referral to %(t)s suspended: consent withdrawn"),
    "identification": gettext_noop("Identification: %(d)s"),
    "service": gettext_noop("%(s)s by %(o)s: %(st)s"),
    "merge": gettext_noop("Case %(ref)s of %(org)s merged into this case: the same person"),
    "closed": gettext_noop("Case closed: %(r)s"),
}
_TIMELINE_IN: dict[str | None, dict[str, str]] = {}


def _timeline_texts(language: str | None) -> dict[str, str]:
    texts = _TIMELINE_IN.get(language)
    if texts is None:
        with override(language):  # that language's, whichever is active
            texts = _TIMELINE_IN[language] = {key: _(text) for key, text in _TIMELINE.items()}
    return texts


def case_timeline(view: CaseView) -> list[TimelineEntry]:
    """Return the case's events, oldest first, built from the records themselves."""
    case = view.case
    language = get_language()
    t = _timeline_texts(language)
    entries = [TimelineEntry(case.opened_on, "opened", t["opened"] % {"org": case.owner.name})]
    for s in loaded(case, "screenings"):
        result = s.get_result_display(language=language)
        entries.append(TimelineEntry(s.screened_on, "screening", t["screening"] % {"result": result}))
    if view.is_owner:
        for c in loaded(case, "consents"):
            purpose = c.get_purpose_display(language=language)
            given = {"p": purpose, "o": f" ({c.organisation.name})" if c.organisation else ""}
            entries.append(TimelineEntry(c.given_on, "consent", t["consent"] % given))
            if c.withdrawn_on:
                entries.append(TimelineEntry(c.withdrawn_on, "consent", t["withdrawn"] % {"p": purpose}))
        for n in loaded(case, "notes"):
            entries.append(TimelineEntry(n.created_at.date(), "note", n.text))
    for r in loaded(case, "referrals"):
        what = r.service_type.name if r.service_type else r.get_kind_display(language=language)
        sent = {"f": r.from_org.name, "t": r.to_org.name, "w": what, "s": r.get_status_display(language=language)}
        entries.append(TimelineEntry(r.sent_on, "referral", t["referral"] % sent))
        if r.suspended_on:
            entries.append(TimelineEntry(r.suspended_on, "referral", t["suspended"] % {"t": r.to_org.name}))
    for i in loaded(case, "identifications"):
        decision = i.get_decision_display(language=language)
        entries.append(TimelineEntry(i.decided_on, "identification", t["identification"] % {"d": decision}))
    for sv in loaded(case, "services"):
        service = {"s": sv.service_type.name, "o": sv.organisation.name, "st": sv.get_status_display(language=language)}
        entries.append(TimelineEntry(sv.started_on or sv.created_at.date(), "service", t["service"] % service))
    for m in loaded(case, "merges_in"):
        merged = {"ref": m.absorbed.reference, "org": m.absorbed.owner.name}
        entries.append(TimelineEntry(timezone.localdate(m.merged_at), "merge", t["merge"] % merged))
    if case.closed_on:
        reason = case.get_closure_reason_display(language=language)
        entries.append(TimelineEntry(case.closed_on, "closed", t["closed"] % {"r": reason}))
    return sorted(entries, key=lambda e: e.on)


def screening_list(user: User) -> QuerySet[Screening]:
    """Return the screenings of the user's organisations."""
    return restrict(Screening.objects.all(), user, Action.SCREEN).select_related("organisation")


@audited_read
def screening_get(user: User, pk: int) -> Screening:
    """Return a screening of the user's organisations, audited; anything else is NotFound."""
    screening = get_or_deny(
        Screening.objects.select_related("organisation"),
        user,
        Action.SCREEN,
        object_type="screening",
        audit_action="screening.view",
        pk=pk,
    )
    audit_record(
        actor=user,
        action="screening.view",
        object_type="screening",
        object_id=screening.pk,
        organisation_id=screening.organisation_id,
    )
    return screening


def cases_to_identify(user: User) -> QuerySet[Case]:
    """Return open cases awaiting the user's identification decision.

    A case waits when an identification referral to one of the user's organisations is active
    (accepted or in progress) and no final decision has been recorded.
    """
    from nrm.referrals.choices import ACTIVE_STATES, ReferralKind
    from nrm.referrals.models import Referral

    waiting = Referral.objects.filter(
        kind=ReferralKind.IDENTIFICATION,
        status__in=ACTIVE_STATES,
        to_org__in=owner_organisations(user, Action.IDENTIFY),
    ).values("case_id")
    first_sent = (
        Referral.objects.filter(
            case=OuterRef("pk"),
            kind=ReferralKind.IDENTIFICATION,
            to_org__in=owner_organisations(user, Action.IDENTIFY),
        )
        .order_by("sent_on")
        .values("sent_on")[:1]
    )
    return (
        restrict(Case.objects.all(), user, Action.IDENTIFY)
        .filter(pk__in=waiting, status="open", identification_status="pending")
        .select_related("owner", "person")
        .only("id", "reference", "opened_on", "is_child", "owner__name", "person__sex", "person__age_band")
        .annotate(waiting_since=Subquery(first_sent))
    )


def services_due(user: User, *, today: dt.date | None = None) -> QuerySet[ServiceDelivery]:
    """Return the services ``user``'s organisations deliver that are past their date, oldest first.

    A planned service whose start date has passed and a service in progress whose end date has
    passed, on an open case the user may record services on.
    """
    today = today or timezone.localdate()
    late = Q(status=ServiceStatus.PLANNED, started_on__lt=today) | Q(
        status=ServiceStatus.IN_PROGRESS, ended_on__lt=today
    )
    return (
        restrict(ServiceDelivery.objects.all(), user, Action.RECORD_SERVICE)
        .filter(late, organisation__in=acting_organisations(user, Action.RECORD_SERVICE), case__status="open")
        .select_related("case", "service_type")
        .only(
            "id",
            "status",
            "started_on",
            "ended_on",
            "case__id",
            "case__reference",
            "service_type__name",
        )
        .order_by("started_on", "id")
    )


@audited_read
def subject_access_export(user: User, pk: int) -> dict:
    """Return everything the system holds on a case's person, for a subject access request.

    Only the owning organisation's case managers may produce it; it is audited like a read. It
    includes who accessed the person's records (``accesses``: each audited read and change).
    Another organisation's case, or a missing one, is NotFound.
    """

    # The owner's case managers only: a receiver that may manage the case (the identification
    # authority protecting the victim) does not answer the person's request.
    case = get_or_deny(
        Case.objects.filter(owner__in=owner_organisations(user, Action.MANAGE)).select_related("person", "owner"),
        user,
        Action.MANAGE,
        object_type="case",
        audit_action="case.subject_export",
        pk=pk,
    )
    person = case.person
    cases = list(
        person.cases.select_related("owner").prefetch_related(
            "forms", Prefetch("episodes", Episode.objects.select_related("form"))
        )
    )
    data = {
        "person": {
            **{f: getattr(person, f) for f in person.IDENTITY_FIELDS},
            "sex": person.sex,
            "birth_year": person.birth_year,
            "age_band": person.age_band,
            "citizenship": person.citizenship,
            "migration_status": person.migration_status,
        },
        "cases": [],
    }
    for c in cases:
        data["cases"].append(
            {
                "reference": c.reference,
                "owner": c.owner.name,
                "opened_on": c.opened_on.isoformat(),
                "status": c.status,
                "closed_on": c.closed_on.isoformat() if c.closed_on else None,
                "closure_reason": c.closure_reason,
                "is_child": c.is_child,
                "child_status": c.child_status,
                "asylum_status": c.asylum_status,
                "asylum_status_on": c.asylum_status_on.isoformat() if c.asylum_status_on else None,
                "guardians": [
                    {
                        "name": g.name,
                        "contact": g.contact,
                        "appointing_authority": g.appointing_authority,
                        "appointed_on": g.appointed_on.isoformat() if g.appointed_on else None,
                        "ended_on": g.ended_on.isoformat() if g.ended_on else None,
                    }
                    for g in c.guardians.all()
                ],
                "best_interests": [
                    {
                        "assessed_by": a.assessed_by,
                        "assessed_on": a.assessed_on.isoformat(),
                        "options_weighed": a.options_weighed,
                        "determinations": [
                            {
                                "determined_by": d.determined_by,
                                "determined_on": d.determined_on.isoformat(),
                                "decision": d.decision,
                                "review_on": d.review_on.isoformat(),
                            }
                            for d in a.determinations.all()
                        ],
                    }
                    for a in c.best_interests_assessments.all()
                ],
                "best_interests_note": c.best_interests_note,
                "forms": [f.code for f in c.forms.all()],
                "episodes": [
                    {
                        "form": e.form.code,
                        "country": e.country,
                        "place": e.place,
                        "started_on": e.started_on.isoformat() if e.started_on else None,
                        "ended_on": e.ended_on.isoformat() if e.ended_on else None,
                        "recruiter_relationship": e.recruiter_relationship,
                        "notes": e.notes,
                    }
                    for e in c.episodes.all()
                ],
                "identification": [
                    {"decision": i.decision, "decided_on": i.decided_on.isoformat(), "grounds": i.grounds}
                    for i in c.identifications.all()
                ],
                "consents": [
                    {
                        "purpose": k.purpose,
                        "organisation": k.organisation.name if k.organisation else None,
                        "given_on": k.given_on.isoformat(),
                        "withdrawn_on": k.withdrawn_on.isoformat() if k.withdrawn_on else None,
                    }
                    for k in c.consents.select_related("organisation")
                ],
                "referrals": [
                    {
                        "from": r.from_org.name,
                        "to": r.to_org.name,
                        "kind": r.kind,
                        "status": r.status,
                        "sent_on": r.sent_on.isoformat(),
                        "without_consent": r.without_consent,
                        "legal_ground": r.legal_ground,
                    }
                    for r in c.referrals.select_related("from_org", "to_org")
                ],
                "services": [
                    {
                        "service": s.service_type.code,
                        "organisation": s.organisation.name,
                        "status": s.status,
                        "started_on": s.started_on.isoformat() if s.started_on else None,
                        "ended_on": s.ended_on.isoformat() if s.ended_on else None,
                        "outcome": s.outcome,
                    }
                    for s in c.services.select_related("service_type", "organisation")
                ],
                "notes": [{"at": n.created_at.isoformat(), "text": n.text} for n in c.notes.all()],
                # History another deployment's HTCDS file gave (nrm.exchange.models.ReceivedRecord).
                "received_history": [
                    {"kind": r.kind, "source": r.source, "received_at": r.created_at.isoformat(), **json.loads(r.data)}
                    for r in c.received_records.all()
                ],
                "screenings": [
                    {"on": s.screened_on.isoformat(), "result": s.result, "indicators": s.answers}
                    for s in c.screenings.all()
                ],
            }
        )
    # Who read or changed the person's records, up to this request (which the row below adds).
    data["accesses"] = _accesses_to(
        {
            "case": [c.pk for c in cases],
            "screening": Screening.objects.filter(case__in=cases).values_list("pk", flat=True),
        }
    )
    audit_record(
        actor=user,
        action="case.subject_export",
        object_type="case",
        object_id=case.pk,
        organisation_id=case.owner_id,
        detail={"cases": [c.pk for c in cases]},
    )
    return data


def _accesses_to(records: dict[str, Iterable[object]]) -> list[dict]:
    """Return who touched the given records, oldest first, for the person they are about (the audit log's read).

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


def identified_on_expected() -> CaseWhen:
    """Return the value ``Case.identified_on`` must hold, per case row: the one definition.

    While the case is identified (``identification_status``: its latest recorded decision), the
    date of its latest-dated decision 'identified' (the one in force when a case was identified
    twice); otherwise null, as for an identified case with no decision recorded, which the
    statistics count by its opening date. This is what ``reporting.engine`` looked up per table
    before the column existed (the latest decision 'identified' by date, then id).
    """
    decided = (
        Identification.objects.filter(case_id=OuterRef("pk"), decision=Decision.IDENTIFIED)
        .order_by("-decided_on")
        .values("decided_on")[:1]
    )
    return CaseWhen(
        When(identification_status=Decision.IDENTIFIED, then=Subquery(decided, output_field=DateField())),
        default=Value(None, output_field=DateField()),
        output_field=DateField(),
    )


def identified_on_disagreements() -> QuerySet[Case]:
    """Return the cases whose ``identified_on`` is not what their decisions give, with ``expected``.

    No writer leaves one (each keeps the column: ``cases.services.identified_on_follow``); a row
    here was written around the services (raw SQL, a partial restore), and ``nrm stats
    --rebuild`` sets it. Every case, whoever owns it: the column is what statistics count by.
    """
    never = Value(dt.date(1, 1, 1), output_field=DateField())
    return (
        unrestricted(Case, "national statistics")
        .annotate(expected=identified_on_expected())
        .annotate(
            stored_or_never=Coalesce("identified_on", never, output_field=DateField()),
            expected_or_never=Coalesce("expected", never, output_field=DateField()),
        )
        .exclude(stored_or_never=F("expected_or_never"))
        .order_by("pk")
    )
