"""The access rule, built once.

:func:`restrict` turns (user, action) into a queryset filter for cases, referrals, screenings
and service deliveries. Every page, endpoint, export and choice list starts from it. A record
outside the filter does not exist for the user: callers answer 404, as for a missing record.

A user sees the records of their own organisations and the cases shared with those
organisations by a referral they accepted, narrowed by their role there.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Model, Q, QuerySet

from nrm.accounts.choices import CASE_ROLES, IDENTITY_ROLES, Role
from nrm.accounts.models import Membership, Organisation, User


class Action(StrEnum):
    VIEW = "view"  # read a case and its non-identifying content
    SCREEN = "screen"  # record a screening, open a case from it
    MANAGE = "manage"  # edit the case, consent, assistance plan, closure
    REFER = "refer"  # send a referral for the case
    RESPOND = "respond"  # accept, decline, progress a received referral
    RECORD_SERVICE = "record_service"  # record a service delivered on a referral
    IDENTIFY = "identify"  # decide identification


# Which roles may do what in the organisation that owns a case...
OWNER_ROLES: dict[Action, set[str]] = {
    Action.VIEW: set(CASE_ROLES),
    Action.SCREEN: {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER},
    Action.MANAGE: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.REFER: {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER},
    Action.RESPOND: set(),
    Action.RECORD_SERVICE: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.IDENTIFY: {Role.IDENTIFIER},
}
# ...and in an organisation the case was referred to, while the referral is active. A referral
# suspended because the person withdrew the consent it relied on is not active: from its next
# request the receiver is an outsider to the case (docs/security.md).
RECEIVER_ROLES: dict[Action, set[str]] = {
    Action.VIEW: set(CASE_ROLES),
    Action.SCREEN: set(),
    # The identification authority manages the protection of the victims referred to it.
    Action.MANAGE: {Role.IDENTIFIER},
    Action.REFER: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.RESPOND: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.RECORD_SERVICE: {Role.CASEWORKER, Role.IDENTIFIER},
    Action.IDENTIFY: {Role.IDENTIFIER},
}


def org_ids(user: User, roles: set[str] | None = None) -> list[int]:
    """Return the ids of organisations where ``user`` has an active membership in ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return []
    cache = getattr(user, "_nrm_memberships", None)
    if cache is None:
        cache = list(
            Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).values_list(
                "organisation_id", "role"
            )
        )
        user._nrm_memberships = cache
    return sorted({org for org, role in cache if roles is None or role in roles})


def roles(user: User) -> set[str]:
    """Return every role ``user`` holds in any organisation."""
    org_ids(user)
    return {role for _org, role in getattr(user, "_nrm_memberships", [])}


def has_role(user: User, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def _identification_orgs(orgs: list[int]) -> list[int]:
    return list(
        Organisation.objects.filter(pk__in=orgs, type__is_identification_authority=True).values_list("pk", flat=True)
    )


def case_filter(user: User, action: Action, prefix: str = "") -> Q:
    """Return the Q selecting cases ``user`` may ``action``; ``prefix`` reaches a case through a relation."""
    from nrm.referrals.choices import ACTIVE_STATES

    owner = org_ids(user, OWNER_ROLES[action])
    receiver = org_ids(user, RECEIVER_ROLES[action])
    if action == Action.IDENTIFY:
        owner, receiver = _identification_orgs(owner), _identification_orgs(receiver)
    q = Q(pk__in=[])
    if owner:
        q |= Q(**{f"{prefix}owner__in": owner})
    if receiver:
        q |= Q(
            **{
                f"{prefix}referrals__to_org__in": receiver,
                f"{prefix}referrals__status__in": ACTIVE_STATES,
            }
        )
    return q


def restrict(queryset: QuerySet, user: User, action: Action = Action.VIEW) -> QuerySet:
    """Return ``queryset`` narrowed to the rows ``user`` may ``action``.

    Understands cases and every model that points to a case through ``case``, plus referrals
    (a referral is also visible to its sender and receiver organisations) and screenings
    (visible to the screening organisation).
    """
    from nrm.cases.models import Case, Screening
    from nrm.referrals.models import Referral

    model: type[Model] = queryset.model
    if model is Case:
        return queryset.filter(pk__in=Case.objects.filter(case_filter(user, action)).values("pk"))
    if model is Referral:
        if action == Action.RESPOND:
            return queryset.filter(to_org__in=org_ids(user, RECEIVER_ROLES[Action.RESPOND]))
        if action == Action.VIEW:
            orgs = org_ids(user, CASE_ROLES)
            return queryset.filter(Q(from_org__in=orgs) | Q(to_org__in=orgs))
        return queryset.filter(from_org__in=org_ids(user, OWNER_ROLES[action] | RECEIVER_ROLES[action]))
    if model is Screening:
        return queryset.filter(organisation__in=org_ids(user, OWNER_ROLES[Action.SCREEN]))
    if any(f.name == "case" for f in model._meta.get_fields()):
        return queryset.filter(case__in=Case.objects.filter(case_filter(user, action)).values("pk"))
    raise TypeError(f"no access rule for {model.__name__}")


def can(user: User, action: Action, case) -> bool:
    """Return True if ``user`` may ``action`` on ``case``."""
    from nrm.cases.models import Case

    return Case.objects.filter(case_filter(user, action), pk=case.pk).exists()


def can_see_identity(user: User, case) -> bool:
    """Return True if ``user`` may see the identity of ``case``'s person.

    The owner's frontline, case and identification staff may; a receiver may only when the
    referral that shares the case with it carried identity (consent or legal ground) and is
    active, not suspended by a withdrawal of consent.
    """
    from nrm.referrals.choices import ACTIVE_STATES

    if case.owner_id in org_ids(user, IDENTITY_ROLES):
        return True
    orgs = org_ids(user, IDENTITY_ROLES)
    return case.referrals.filter(to_org__in=orgs, status__in=ACTIVE_STATES, shares_identity=True).exists()


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
# whoever may see that victim's case, by the case rule above; nothing else of it. Which types
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


def justice_org_ids(user: User, action: JusticeAction = JusticeAction.VIEW) -> list[int]:
    """Return the justice organisations in which ``user`` may ``action`` proceedings."""
    from django.conf import settings

    types = settings.NRM_JUSTICE_ORG_TYPES
    return _typed_org_ids(user, JUSTICE_ROLES[JusticeAction(action)], types)


def proceeding_filter(user: User, action: JusticeAction = JusticeAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the proceedings ``user`` may ``action``; ``prefix`` reaches one through a relation.

    The owner's staff may view, edit and share; the staff of an organisation it was shared with
    may view and edit. A proceeding outside the filter does not exist for the user: callers
    answer 404.
    """
    from nrm.justice.models import ProceedingShare

    orgs = justice_org_ids(user, action)
    if not orgs:
        return Q(**{f"{prefix}pk__in": []})
    q = Q(**{f"{prefix}owner__in": orgs})
    if action != JusticeAction.SHARE:
        shared = ProceedingShare.objects.filter(organisation__in=orgs).values("proceeding_id")
        q |= Q(**{f"{prefix}pk__in": shared})
    return q


def proceeding_victim_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the victims' parts of proceedings ``user`` may see.

    A justice organisation sees every victim of its proceedings; anyone else sees the part of a
    victim whose case they may view, by :func:`case_filter`, and no other part of the proceeding.
    """
    from nrm.cases.models import Case

    cases = Case.objects.filter(case_filter(user, Action.VIEW)).values("pk")
    return proceeding_filter(user, JusticeAction.VIEW, prefix=f"{prefix}proceeding__") | Q(
        **{f"{prefix}case__in": cases}
    )


def reads_national_statistics(user: User) -> bool:
    """Return True if ``user`` reads national aggregates (the Coordinator's office, analysts)."""
    return bool(org_ids(user, STATISTICS_ROLES))


# --- Helpline --------------------------------------------------------------------------------
# Helpline calls are anonymous. The staff of a helpline organisation (``NRM_HELPLINE_ORG_TYPES``)
# log and see their organisation's calls; coordinators and analysts see only aggregates.

HELPLINE_ROLES = {Role.FRONTLINE, Role.CASEWORKER}


def helpline_org_ids(user: User) -> list[int]:
    """Return the helpline organisations whose calls ``user`` may log and see."""
    from django.conf import settings

    return _typed_org_ids(user, HELPLINE_ROLES, settings.NRM_HELPLINE_ORG_TYPES)


def helpline_call_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the helpline calls ``user`` may see; anything else is a 404."""
    return Q(**{f"{prefix}organisation__in": helpline_org_ids(user)})


def org_type_codes(user: User) -> dict[int, str]:
    """Return the type code of each organisation ``user`` belongs to, in one query cached for the request.

    For the navigation, which asks about several kinds of organisation on every page.
    """
    orgs = org_ids(user)
    if not orgs:
        return {}
    cache = user.__dict__.setdefault("_nrm_org_types", {})
    key = tuple(orgs)
    if key not in cache:
        cache[key] = dict(Organisation.objects.filter(pk__in=orgs).values_list("pk", "type__code"))
    return cache[key]


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


def prevention_org_ids(user: User, action: PreventionAction = PreventionAction.EDIT) -> list[int]:
    """Return the organisations whose prevention records ``user`` may ``action`` as their own."""
    roles_ = PREVENTION_EDIT_ROLES if PreventionAction(action) == PreventionAction.EDIT else PREVENTION_VIEW_ROLES
    return org_ids(user, roles_)


def prevention_filter(user: User, action: PreventionAction = PreventionAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the prevention records ``user`` may ``action``, by their ``organiser``.

    National readers view all; everyone else their own organisations' records only.
    """
    if PreventionAction(action) == PreventionAction.VIEW and reads_national_statistics(user):
        return Q()
    return Q(**{f"{prefix}organiser__in": prevention_org_ids(user, action)})


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


def warning_org_ids(user: User, action: WarningAction = WarningAction.VIEW) -> list[int]:
    """Return the organisations in which ``user`` may ``action`` early-warning records."""
    action = WarningAction(action)
    if action == WarningAction.MANAGE:
        return org_ids(user, {Role.COORDINATOR})
    return org_ids(user, WARNING_OBSERVE_ROLES if action == WarningAction.OBSERVE else WARNING_VIEW_ROLES)


def manages_early_warning(user: User) -> bool:
    """Return True if ``user`` sets thresholds and closes alerts (the Coordinator's office)."""
    return bool(warning_org_ids(user, WarningAction.MANAGE))


def observation_filter(user: User, action: WarningAction = WarningAction.VIEW, prefix: str = "") -> Q:
    """Return the Q selecting the observations ``user`` may ``action``, by their ``organisation``."""
    if WarningAction(action) == WarningAction.VIEW and reads_national_statistics(user):
        return Q()
    return Q(**{f"{prefix}organisation__in": warning_org_ids(user, action)})


def alert_filter(user: User, prefix: str = "") -> Q:
    """Return the Q selecting the alerts ``user`` may see: all nationally, else those raised to their organisations.

    ``prefix`` reaches an alert through a relation (``"alert__"``).
    """
    from nrm.earlywarning.models import Alert

    if reads_national_statistics(user):
        return Q()
    orgs = warning_org_ids(user, WarningAction.VIEW)
    raised_to = Alert.recipients.through.objects.filter(organisation__in=orgs).values("alert_id")
    return Q(**{f"{prefix}pk__in": raised_to})
