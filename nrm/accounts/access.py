"""The access rule, built once.

A registry of rules, one per model holding records: ``rule(user, action) -> Q``. Each app
registers its models' rules from its ``AppConfig.ready()`` (``nrm/<app>/access.py``). A rule
that reads another app's records is written in its app (the case rule in ``nrm/cases/access.py``,
and the rules built on it: documents, transfers, proceedings' victims, tasks, merges); the
others here, on the named helpers below. :func:`restrict` applies them, :func:`get_or_deny`
reads one record (a record outside the rule is a 404 and an audited denial, as for a missing
one), :func:`restricted_prefetch` loads relations through them and :func:`unrestricted` is the
one named way round them, for a listed reason. Every page, endpoint, export and choice list starts from here.

A user sees the records of their own organisations and the cases shared with those
organisations by a referral they accepted, narrowed by their role there. :func:`org_ids` is
called only in this module: elsewhere a named helper answers which organisations a user acts for.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from enum import StrEnum
from functools import reduce
from typing import Any

from django.db.models import BooleanField, Exists, Expression, ExpressionWrapper, Model, Prefetch, Q, QuerySet, Value

from nrm.accounts.choices import CASE_ROLES, IDENTITY_ROLES, SECOND_FACTOR_ROLES, Role
from nrm.accounts.models import Membership, Organisation, User
from nrm.core.bypass import UNRESTRICTED_REASONS, unrestricted  # noqa: F401 - the access rule's interface


class Action(StrEnum):
    VIEW = "view"  # read a case and its non-identifying content
    SCREEN = "screen"  # record a screening, open a case from it
    MANAGE = "manage"  # edit the case, consent, assistance plan, closure
    CORRECT = "correct"  # correct the case's non-identifying facts (forms, region, dates, child flag)
    REFER = "refer"  # send a referral for the case
    RESPOND = "respond"  # accept, decline, progress a received referral
    RECORD_SERVICE = "record_service"  # record a service delivered on a referral
    IDENTIFY = "identify"  # decide identification
    ASSIGN = "assign"  # name the case's responsible case worker (issue J)
    FLAG = "flag"  # raise and lift the case's flags (security risk, trafficker contact, urgent medical need)


# Which roles may do what in the organisation that owns a case...
OWNER_ROLES: dict[Action, set[str]] = {
    Action.VIEW: set(CASE_ROLES),
    Action.SCREEN: {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER},
    Action.MANAGE: {Role.CASEWORKER, Role.IDENTIFIER},
    # The frontline worker who opened the case often knows the facts best (issue I).
    Action.CORRECT: {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER},
    Action.REFER: {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER},
    Action.RESPOND: set(),
    Action.RECORD_SERVICE: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.IDENTIFY: {Role.IDENTIFIER},
    # The owner's case workers answer for the case: they hand it to one another.
    Action.ASSIGN: {Role.CASEWORKER, Role.IDENTIFIER},
    # Whoever meets the person may be the first to see a danger.
    Action.FLAG: set(CASE_ROLES),
}
# ...and in an organisation the case was referred to, while the referral is active. A referral
# suspended because the person withdrew the consent it relied on is not active: from its next
# request the receiver is an outsider to the case (docs/security.md).
RECEIVER_ROLES: dict[Action, set[str]] = {
    Action.VIEW: set(CASE_ROLES),
    Action.SCREEN: set(),
    # The identification authority manages the protection of the victims referred to it.
    Action.MANAGE: {Role.IDENTIFIER},
    Action.CORRECT: {Role.IDENTIFIER},
    Action.REFER: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.RESPOND: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.RECORD_SERVICE: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.IDENTIFY: {Role.IDENTIFIER},
    # The responsible worker is the owner's; a receiver does not choose it.
    Action.ASSIGN: set(),
    # A shelter that sees the trafficker call the person warns everyone on the case.
    Action.FLAG: {Role.CASEWORKER, Role.IDENTIFIER},
}


def org_ids(user: User, roles: set[str] | None = None) -> list[int]:
    """Return the ids of organisations where ``user`` has an active membership in ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return []
    cache = getattr(user, "_nrm_memberships", None)
    if cache is None:
        # One query a request answers every question about the user's organisations: the rule,
        # the navigation (their types) and the header (their names, ``member_organisations_shown``).
        extras = {name: make(user.pk) for name, make in _MEMBERSHIP_EXTRAS.items()}
        rows = _active_memberships(user).annotate(**extras).values_list(*_MEMBERSHIP_COLUMNS, *extras)
        cache = _remember_memberships(user, rows, extras=list(extras))
    return sorted({org for org, role in cache if roles is None or role in roles})


_MEMBERSHIP_COLUMNS = (
    "organisation_id",
    "role",
    "organisation__name",
    "organisation__type__code",
    "organisation__type__is_identification_authority",
)


def _active_memberships(user) -> QuerySet:
    return Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)


# Values about the user loaded with their memberships, in the same statement, for the page
# header (the unread notifications): name -> expression of the user's id. Registered by the app
# that owns them (``nrm/tasks/apps.py``); read with :func:`membership_extra`.
_MEMBERSHIP_EXTRAS: dict[str, Callable[[int], Expression]] = {}


def register_membership_extra(name: str, make: Callable[[int], Expression]) -> None:
    _MEMBERSHIP_EXTRAS[name] = make


def membership_extra(user: User, name: str) -> Any:
    """Return a value registered with :func:`register_membership_extra`, if loaded (None otherwise)."""
    org_ids(user)
    return getattr(user, "_nrm_extras", {}).get(name)


def _remember_memberships(user: User, rows, extras: list[str] = ()) -> list[tuple[int, str]]:
    rows = list(rows)
    cache = [(row[0], row[1]) for row in rows]
    user._nrm_memberships = cache
    user._nrm_member_orgs = {row[0]: (row[2], row[3], bool(row[4])) for row in rows}
    if extras and rows:
        user._nrm_extras = dict(zip(extras, rows[0][len(_MEMBERSHIP_COLUMNS) :], strict=True))
    return cache


# The channel PostgreSQL notifies on any write that may change a user's access as an API token
# call reads it (the token, the user, memberships, organisations, authenticators): the triggers of
# migration accounts 0004, for the rows nrm.core.listened keeps.
ACCOUNTS_CHANNEL = "nrm_accounts"


def memberships_expression(user_ref) -> Expression:
    """Return an expression of a user's active memberships (``user_ref``: the user's id, an ``OuterRef``).

    Annotated on the query that loads the user (the API token's), it saves :func:`org_ids` its
    query; :func:`remember_memberships` takes its value.
    """
    from nrm.core.jsonrows import values_expression

    return values_expression(_active_memberships(user_ref).order_by(), _MEMBERSHIP_COLUMNS)


def remember_memberships(user: User, value) -> None:
    """Keep the memberships read by :func:`memberships_expression` as the user's for this request."""
    from nrm.core.jsonrows import values_rows

    _remember_memberships(user, values_rows(value))


def roles(user: User) -> set[str]:
    """Return every role ``user`` holds in any organisation."""
    org_ids(user)
    return {role for _org, role in getattr(user, "_nrm_memberships", [])}


def roles_in(user: User, organisation_id: int | None = None) -> list[str]:
    """Return the roles ``user`` holds in the organisation (in any, when it is None), sorted."""
    org_ids(user)
    memberships = getattr(user, "_nrm_memberships", [])
    return sorted({role for org, role in memberships if organisation_id is None or org == organisation_id})


def has_role(user: User, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def needs_second_factor(user: User) -> bool:
    """Whether ``user`` must sign in with an authenticator code (``NRM_REQUIRE_2FA`` and a role in
    ``SECOND_FACTOR_ROLES``); statistics-only roles never do."""
    from django.conf import settings

    return bool(settings.NRM_REQUIRE_2FA) and has_role(user, *SECOND_FACTOR_ROLES)


def has_device_expression(user_ref) -> Expression:
    """Return whether a user (``user_ref``: their id, an ``OuterRef``) has a confirmed authenticator.

    What ``django_otp.user_has_device`` answers, as an expression: annotated on the statement that
    loads an API token's user, a call by a role that needs a second factor costs no statement more.
    """
    from django_otp import device_classes

    found = [Q(Exists(model.objects.filter(user_id=user_ref, confirmed=True))) for model in device_classes()]
    return ExpressionWrapper(reduce(operator.or_, found), BooleanField()) if found else Value(False)


# --- Named helpers: which organisations a user acts for --------------------------------------
# Outside this module nobody calls :func:`org_ids`: a choice list, a service's check of the
# organisation it records for, or a page's "may this user..." asks one of these by name.


def memberships_shown(user: User) -> list[Membership]:
    """Return the user's active memberships, by organisation name, for the page header (no query of its own).

    Built from the rows :func:`org_ids` loaded: each with its organisation's id and name only.
    """
    org_ids(user)
    known = getattr(user, "_nrm_member_orgs", {})
    shown = []
    for org, role in getattr(user, "_nrm_memberships", []):
        membership = Membership(user=user, organisation_id=org, role=role, is_active=True)
        membership.organisation = Organisation(pk=org, name=known[org][0])
        shown.append(membership)
    return sorted(shown, key=lambda m: (m.organisation.name, m.role))


def member_organisations(user: User) -> list[int]:
    """Return the organisations ``user`` is an active member of, whatever the role."""
    return org_ids(user)


def case_staff_organisations(user: User) -> list[int]:
    """Return the organisations where ``user`` holds a case role (``CASE_ROLES``)."""
    return org_ids(user, CASE_ROLES)


def identity_organisations(user: User) -> list[int]:
    """Return the organisations where ``user`` holds a role that sees identity (``IDENTITY_ROLES``)."""
    return org_ids(user, IDENTITY_ROLES)


def owner_organisations(user: User, action: Action) -> list[int]:
    """Return the organisations in which ``user`` may ``action`` the cases they own (``OWNER_ROLES``)."""
    return org_ids(user, OWNER_ROLES[action])


def receiver_organisations(user: User, action: Action) -> list[int]:
    """Return the organisations in which ``user`` may ``action`` the cases referred to them (``RECEIVER_ROLES``)."""
    return org_ids(user, RECEIVER_ROLES[action])


def acting_organisations(user: User, action: Action) -> list[int]:
    """Return the organisations ``user`` may ``action`` for, as an owner or as a receiver."""
    return org_ids(user, OWNER_ROLES[action] | RECEIVER_ROLES[action])


def is_case_staff(user: User, case) -> bool:
    """Return True if ``user`` holds a case role in the organisation that owns ``case``."""
    return case.owner_id in org_ids(user, CASE_ROLES)


def identification_authorities(user: User, orgs: list[int]) -> list[int]:
    """Return those of ``orgs`` (the user's) that are identification authorities (loaded with the memberships)."""
    known = getattr(user, "_nrm_member_orgs", {})
    return [org for org in orgs if known[org][2]]


# --- The registry ----------------------------------------------------------------------------
# Each app registers, from its ``AppConfig.ready()`` (its ``access.py``), the rule of each of its
# models that holds records: ``rule(user, action) -> Q``, a filter on that model (written in its
# ``access.py`` or below in this module); :func:`restrict` is the one way to apply them. A rule receives
# the action enum its model uses (Action, PlanAction, JusticeAction, PreventionAction,
# WarningAction).

Rule = Callable[[User, Any], Q]
_RULES: dict[type[Model], Rule] = {}
# The same rules written for a query that pins its rows (one record by its id): the same rows,
# planned for few (``nrm/accounts/tests/test_one_row_rules.py`` holds them to the same answers).
_ONE_ROW_RULES: dict[type[Model], Rule] = {}


def register_rule(model: type[Model], rule: Rule, *, one: Rule | None = None) -> None:
    """Make ``rule`` the access rule of ``model`` (its concrete model, for a proxy).

    ``one``: the rule written for reading one row (:func:`get_or_deny`), if it differs.
    """
    model = model._meta.concrete_model
    known = _RULES.get(model)
    if known is not None and known is not rule:
        raise ValueError(f"{model.__name__} already has an access rule")
    _RULES[model] = rule
    if one is not None:
        _ONE_ROW_RULES[model] = one


def rule_for(model: type[Model]) -> Rule:
    """Return the access rule of ``model``; TypeError if it has none."""
    rule = _RULES.get(model) or _RULES.get(model._meta.concrete_model)
    if rule is None:
        raise TypeError(f"no access rule for {model.__name__}")
    return rule


def registered_models() -> list[type[Model]]:
    """Return the models that have an access rule."""
    return sorted(_RULES, key=lambda m: m._meta.label)


def one_row_rule_for(model: type[Model]) -> Rule:
    """Return the rule of ``model`` written for reading one row (its rule, if it has no other form)."""
    return _ONE_ROW_RULES.get(model._meta.concrete_model) or rule_for(model)


def restrict(queryset: QuerySet, user: User, action: Any = Action.VIEW, *, one: bool = False) -> QuerySet:
    """Return ``queryset`` narrowed to the rows ``user`` may ``action``, by its model's registered rule.

    A model with no rule raises TypeError: every read of records starts here, or names its
    reason to read everything through :func:`unrestricted`. ``one``: the query pins its rows
    (by id): the rule's form for one row is used, which selects the same rows.
    """
    rule = one_row_rule_for(queryset.model) if one else rule_for(queryset.model)
    return queryset.filter(rule(user, action))


def restricted_prefetch(lookup: str, queryset: QuerySet, user: User, action: Any = Action.VIEW) -> Prefetch:
    """Return a ``Prefetch`` of ``lookup`` whose queryset passed :func:`restrict`.

    Relations loaded with a record pass the same rule as the record: a page or an answer that
    shows a case shows only the referrals and services its reader may see.
    """
    return Prefetch(lookup, restrict(queryset, user, action))


def reader_key(user: User) -> tuple:
    """Return everything of ``user`` the VIEW rules of cases and their records read.

    Their memberships (organisation, role), whether the account is active, and who they are: a
    statement built from those rules may be prepared once under this key (:mod:`nrm.core.prepared`).
    """
    org_ids(user)
    memberships = tuple(sorted(getattr(user, "_nrm_memberships", ())))
    return (user.pk, bool(user.is_authenticated and user.is_active), memberships)


def get_or_deny(
    queryset: QuerySet,
    user: User,
    action: Any,
    *,
    object_type: str,
    audit_action: str,
    audit_reason: str = "not permitted",
    prepared_as: str = "",
    annotate: Callable[[QuerySet], QuerySet] | None = None,
    **lookup: Any,
):
    """Return the one row of ``queryset`` matching ``lookup`` that ``user`` may ``action``.

    A missing row and a refused one are the same answer: :class:`NotFound` (a 404), carrying the
    audited denial (``audit_action`` on ``object_type``, the looked-up id) of
    :func:`nrm.audit.services.denied`. Inside an ``atomic_audited`` call the denial is written
    after the rollback; outside one (a page, an endpoint) it is written here, before raising.

    ``prepared_as`` (a read by ``pk`` on a hot path) names the statement, which is then compiled
    once per reader (:func:`reader_key`) and action, not once per call: ``queryset`` must depend
    on nothing else. ``annotate`` adds to the restricted queryset what comes with the row (made
    only when the statement is compiled; the same under one ``prepared_as``).
    """
    from nrm.audit.services import audit_denial

    if prepared_as and set(lookup) == {"pk"} and not 0 < int(lookup["pk"]) < 2**63:
        found = None  # beyond any row id (and any database integer): missing, not a server error
    elif prepared_as and set(lookup) == {"pk"}:
        from nrm.core import prepared
        from nrm.core.jsonrows import PROBE_PK

        # The rule applied inside: built only when the statement is compiled.
        found = prepared.first(
            (prepared_as, str(action), reader_key(user), queryset.db),
            lambda pk: _annotated(restrict(queryset, user, action, one=True), annotate).filter(pk=pk).order_by("pk"),
            int(lookup["pk"]),
            PROBE_PK,
        )
    else:
        found = _annotated(restrict(queryset, user, action, one=True), annotate).filter(**lookup).first()
    if found is None:
        object_id = lookup.get("pk", lookup.get("id", next(iter(lookup.values()), "")))
        raise audit_denial(
            actor=user, action=audit_action, object_type=object_type, object_id=object_id, reason=audit_reason
        )
    return found


def _annotated(queryset: QuerySet, annotate: Callable[[QuerySet], QuerySet] | None) -> QuerySet:
    return queryset if annotate is None else annotate(queryset)


# --- Deliberate bypasses --------------------------------------------------------------------
# ``unrestricted`` and its listed reasons live in ``nrm.core.bypass`` (core's key rotation, below
# this app, names one too); they are part of this module's interface.


def case_workers(organisation_id: int) -> QuerySet:
    """Return the active users holding a case role in the organisation: who may be a case's responsible worker."""
    return User.objects.filter(
        is_active=True,
        memberships__organisation_id=organisation_id,
        memberships__organisation__is_active=True,
        memberships__is_active=True,
        memberships__role__in=CASE_ROLES,
    ).distinct()


def screening_orgs(user: User) -> list[Organisation]:
    """Return the organisations in which ``user`` may screen and open cases."""
    return list(Organisation.objects.filter(pk__in=org_ids(user, OWNER_ROLES[Action.SCREEN])))


# --- Action-plan monitoring ------------------------------------------------------------------
# Reports on the national action plan belong to institutions, not to cases: the Coordinator's
# office sees and reviews them all, an institution's reporting focal point sees and edits its
# own institution's, and nobody else sees any.


class PlanAction(StrEnum):
    VIEW = "view"  # read action-plan reports and the rates computed from them
    EDIT = "edit"  # create, fill and submit an institution's reports
    REVIEW = "review"  # return or accept reports, evaluate activities, brief the Minister and the Council


def actionplan_institution_ids(user: User, action: str = PlanAction.VIEW) -> list[int] | None:
    """Return the organisations whose action-plan reports ``user`` may ``action``; None means all."""
    action = PlanAction(action)
    if action != PlanAction.EDIT and org_ids(user, {Role.COORDINATOR}):
        return None
    if action == PlanAction.REVIEW:
        return []
    return org_ids(user, {Role.REPORTER})


def actionplan_reports_filter(user: User, action: str = PlanAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the action-plan reports ``user`` may ``action``.

    ``prefix`` reaches the report through a relation (``"report__"``). A report outside the
    filter does not exist for the user: callers answer 404.
    """
    orgs = actionplan_institution_ids(user, action)
    if orgs is None:
        return Q()
    return Q(**{f"{prefix}institution__in": orgs})


# --- Criminal justice ------------------------------------------------------------------------
# A proceeding belongs to the police or prosecution organisation that opened it and to the
# justice organisations it was shared with: their staff see all of it, defendants' identity
# included. A victim's part of a proceeding (role, protection, compensation) is also seen by
# whoever may see that victim's case, by the case rule (``nrm/justice/access.py``); nothing else of it. Which types
# of organisation are justice organisations is configuration (``NRM_JUSTICE_ORG_TYPES``).


class JusticeAction(StrEnum):
    VIEW = "view"  # read a proceeding: stages, defendants (with identity), charges, verdicts, victims
    EDIT = "edit"  # open and advance proceedings, record defendants, charges, verdicts, victims, compensation
    SHARE = "share"  # share a proceeding with another justice organisation (the owner only)


JUSTICE_ROLES: dict[JusticeAction, set[str]] = {
    JusticeAction.VIEW: {Role.FRONTLINE, Role.CASEWORKER},
    JusticeAction.EDIT: {Role.FRONTLINE, Role.CASEWORKER},
    JusticeAction.SHARE: {Role.FRONTLINE, Role.CASEWORKER},
}
# Roles that read national aggregates (justice and helpline statistics), never a record.
STATISTICS_ROLES = {Role.COORDINATOR, Role.ANALYST}


def _typed_org_ids(user: User, roles_: set[str], types: tuple[str, ...] | list[str]) -> list[int]:
    """Return the organisations of the given ``types`` where ``user`` holds one of ``roles_``.

    Cached on the user object for the request, like the memberships :func:`org_ids` reads.
    """
    orgs = org_ids(user, roles_)
    if not orgs:
        return []
    cache = user.__dict__.setdefault("_nrm_typed_orgs", {})
    key = (tuple(orgs), tuple(types))
    if key not in cache:
        cache[key] = list(Organisation.objects.filter(pk__in=orgs, type__code__in=types).values_list("pk", flat=True))
    return cache[key]


def justice_organisations(user: User, action: JusticeAction = JusticeAction.VIEW) -> list[int]:
    """Return the justice organisations in which ``user`` may ``action`` proceedings."""
    from django.conf import settings

    types = settings.NRM_JUSTICE_ORG_TYPES
    return _typed_org_ids(user, JUSTICE_ROLES[JusticeAction(action)], types)


def reads_national_statistics(user: User) -> bool:
    """Return True if ``user`` reads national aggregates (the Coordinator's office, analysts)."""
    return bool(org_ids(user, STATISTICS_ROLES))


# --- Helpline --------------------------------------------------------------------------------
# Helpline calls are anonymous. The staff of a helpline organisation (``NRM_HELPLINE_ORG_TYPES``)
# log and see their organisation's calls; coordinators and analysts see only aggregates.

HELPLINE_ROLES = {Role.FRONTLINE, Role.CASEWORKER}


def helpline_organisations(user: User) -> list[int]:
    """Return the helpline organisations whose calls ``user`` may log and see."""
    from django.conf import settings

    return _typed_org_ids(user, HELPLINE_ROLES, settings.NRM_HELPLINE_ORG_TYPES)


def helpline_call_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the helpline calls ``user`` may see; anything else is a 404."""
    return Q(**{f"{prefix}organisation__in": helpline_organisations(user)})


def org_type_codes(user: User) -> dict[int, str]:
    """Return the type code of each organisation ``user`` belongs to, in one query cached for the request.

    For the navigation, which asks about several kinds of organisation on every page.
    """
    orgs = org_ids(user)
    known = getattr(user, "_nrm_member_orgs", {})
    return {org: known[org][1] for org in orgs}


def _staff_of_type(user: User, roles_: set[str], types) -> bool:
    """Return True if ``user`` holds one of ``roles_`` in an organisation of one of ``types`` (no query: cached)."""
    codes = org_type_codes(user)
    return any(codes.get(o) in types for o in org_ids(user, roles_))


def works_in_justice(user: User) -> bool:
    """Return True if ``user`` is staff of a justice organisation (the navigation's question)."""
    from django.conf import settings

    return _staff_of_type(user, JUSTICE_ROLES[JusticeAction.VIEW], settings.NRM_JUSTICE_ORG_TYPES)


def works_at_helpline(user: User) -> bool:
    """Return True if ``user`` is staff of a helpline organisation (the navigation's question)."""
    from django.conf import settings

    return _staff_of_type(user, HELPLINE_ROLES, settings.NRM_HELPLINE_ORG_TYPES)


# --- Prevention, training, awareness ---------------------------------------------------------
# Trainings, awareness actions and surveys carry no victim's data (participants are counted by
# profession, never named). They belong to the organisation that organised them: its staff see
# and record them; the Coordinator's office and analysts read every organisation's; anyone else
# finds none (a 404).


class PreventionAction(StrEnum):
    VIEW = "view"  # read trainings, awareness actions, surveys and their results
    EDIT = "edit"  # record them for one's own organisation


PREVENTION_EDIT_ROLES = {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER, Role.COORDINATOR, Role.REPORTER}
PREVENTION_VIEW_ROLES = PREVENTION_EDIT_ROLES | {Role.ANALYST}


def prevention_organisations(user: User, action: PreventionAction = PreventionAction.EDIT) -> list[int]:
    """Return the organisations whose prevention records ``user`` may ``action`` as their own."""
    roles_ = PREVENTION_EDIT_ROLES if PreventionAction(action) == PreventionAction.EDIT else PREVENTION_VIEW_ROLES
    return org_ids(user, roles_)


def prevention_filter(user: User, action: PreventionAction = PreventionAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the prevention records ``user`` may ``action``, by their ``organiser``.

    National readers view all; everyone else their own organisations' records only.
    """
    if PreventionAction(action) == PreventionAction.VIEW and reads_national_statistics(user):
        return Q()
    return Q(**{f"{prefix}organiser__in": prevention_organisations(user, action)})


# --- Early warning ---------------------------------------------------------------------------
# Organisations that meet vulnerable groups (police, social work, asylum, NGOs...) record what
# they observe against risk indicators; the risk matrix sums them up per group and region.
# Observations belong to the observing organisation: its staff see and record them; the
# Coordinator's office and analysts read them all. Alerts are seen by the Coordinator's office
# and by the organisations an alert was raised to; the Coordinator's office sets thresholds and
# closes alerts. Anyone else: a 404.


class WarningAction(StrEnum):
    VIEW = "view"  # read observations, the risk matrix and alerts
    OBSERVE = "observe"  # record an observation for one's own organisation
    MANAGE = "manage"  # set thresholds, acknowledge and close alerts nationally


WARNING_OBSERVE_ROLES = {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER, Role.COORDINATOR}
WARNING_VIEW_ROLES = WARNING_OBSERVE_ROLES | {Role.ANALYST}


def warning_organisations(user: User, action: WarningAction = WarningAction.VIEW) -> list[int]:
    """Return the organisations in which ``user`` may ``action`` early-warning records."""
    action = WarningAction(action)
    if action == WarningAction.MANAGE:
        return org_ids(user, {Role.COORDINATOR})
    return org_ids(user, WARNING_OBSERVE_ROLES if action == WarningAction.OBSERVE else WARNING_VIEW_ROLES)


def manages_early_warning(user: User) -> bool:
    """Return True if ``user`` sets thresholds and closes alerts (the Coordinator's office)."""
    return bool(warning_organisations(user, WarningAction.MANAGE))


def observation_filter(user: User, action: WarningAction = WarningAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the observations ``user`` may ``action``, by their ``organisation``."""
    if WarningAction(action) == WarningAction.VIEW and reads_national_statistics(user):
        return Q()
    return Q(**{f"{prefix}organisation__in": warning_organisations(user, action)})


# --- The rules of the other domains ---------------------------------------------------------
# Each is registered by its app (``nrm/<app>/access.py``); the filter functions above are their
# substance, with a ``prefix`` for the records that hang on a proceeding, a report or an alert.

NOTHING = Q(pk__in=[])


def through(parent_filter: Callable[..., Q], prefix: str) -> Rule:
    """Return the rule of records that hang on another through ``prefix`` (``"report__"``): the parent's.

    ``parent_filter(user, action, prefix=...)`` is the parent's filter (a report's, a proceeding's,
    a prevention record's), so a part is seen and changed exactly as what it belongs to.
    """

    def rule(user: User, action: Any) -> Q:
        return parent_filter(user, action, prefix=prefix)

    return rule


def actionplan_report_rule(user: User, action: PlanAction) -> Q:
    return actionplan_reports_filter(user, action)


def actionplan_coordination_rule(user: User, action: PlanAction) -> Q:
    """The rule of the Coordinator's own records (briefings, evaluations): the Coordinator's office only."""
    return Q() if actionplan_institution_ids(user, PlanAction.REVIEW) is None else NOTHING


def helpline_call_rule(user: User, action: Any = None) -> Q:
    """Helpline calls: the staff of the helpline that took them, whatever the action."""
    return helpline_call_filter(user)


def prevention_rule(user: User, action: PreventionAction) -> Q:
    return prevention_filter(user, action)


def prevention_feed_rule(user: User, action: PreventionAction) -> Q:
    """Indicator feeds: national readers see them; the Coordinator's office applies them."""
    if PreventionAction(action) == PreventionAction.VIEW:
        return Q() if reads_national_statistics(user) else NOTHING
    return Q() if org_ids(user, {Role.COORDINATOR}) else NOTHING


def observation_rule(user: User, action: WarningAction) -> Q:
    return observation_filter(user, action)


def threshold_rule(user: User, action: WarningAction) -> Q:
    """Thresholds: read by anyone taking part in early warning, set by the Coordinator's office."""
    if WarningAction(action) == WarningAction.MANAGE:
        return Q() if manages_early_warning(user) else NOTHING
    return Q() if warning_organisations(user, WarningAction.VIEW) or reads_national_statistics(user) else NOTHING


PROGRAMME_WRITE_ROLES = {Role.COORDINATOR}


def programme_rule(user: User, action: Any = "view") -> Q:
    """Programmes: read by anyone with a role in an organisation; written by the Coordinator's office."""
    if action == "view":
        return Q() if org_ids(user) else NOTHING
    return Q() if org_ids(user, PROGRAMME_WRITE_ROLES) else NOTHING


def person_link_rule(user: User, action: Action) -> Q:
    """Probable duplicates: a side's owner sees the link (case roles) and decides it (``MANAGE`` roles)."""
    orgs = org_ids(user, CASE_ROLES if action == Action.VIEW else OWNER_ROLES[action])
    return Q(case_a__owner__in=orgs) | Q(case_b__owner__in=orgs)


def notification_rule(user: User, action: Any = "view") -> Q:
    """Notifications: each user reads and marks their own, nobody anyone else's."""
    return Q(recipient_id=user.pk) if user.is_authenticated else NOTHING


def task_organisations(user: User) -> list[int]:
    """Return the organisations whose tasks ``user`` works on (a case role there)."""
    return org_ids(user, CASE_ROLES)


# --- Administration --------------------------------------------------------------------------
# Users and their memberships are administered by the admin role, nationally: an administrator
# sees every account and membership (never any case content); anyone else sees none of them.

ADMIN_ROLES = {Role.ADMIN}


def administers(user: User) -> bool:
    """Return True if ``user`` administers organisations, users and memberships (the admin role)."""
    return bool(org_ids(user, ADMIN_ROLES))


def administration_rule(user: User, action: Any = "view") -> Q:
    """Users and memberships: the administrators see and change them all; nobody else any."""
    return Q() if administers(user) else NOTHING


def api_token_rule(user: User, action: Any = "view") -> Q:
    """API tokens: each user sees and revokes their own; the administrators everyone's."""
    return Q() if administers(user) else Q(user_id=user.pk)
