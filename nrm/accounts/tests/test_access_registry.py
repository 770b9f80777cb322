"""The access rule as a registry: every record model has a rule, bypasses are listed, org_ids stays home.

The last two tests read the source tree (no database): a new ``unrestricted()`` call, or a new
call of ``org_ids()`` outside ``nrm/accounts/``, fails here until someone lists it with a reason.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.db.models import Q

from nrm.accounts import access
from nrm.accounts.access import (
    UNRESTRICTED_REASONS,
    Action,
    JusticeAction,
    PlanAction,
    PreventionAction,
    WarningAction,
    get_or_deny,
    register_rule,
    restrict,
    unrestricted,
)
from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry
from nrm.core.errors import NotFound

NRM = Path(__file__).resolve().parents[2]

# Every model holding records of a person, an organisation's work or a report has a rule.
RULED = {
    "cases.Case": Action.VIEW,
    "cases.Screening": Action.SCREEN,
    "cases.CaseNote": Action.VIEW,
    "cases.Consent": Action.VIEW,
    "cases.Identification": Action.VIEW,
    "cases.ServiceDelivery": Action.VIEW,
    "referrals.Referral": Action.VIEW,
    "exchange.PersonLink": Action.VIEW,
    "justice.Proceeding": JusticeAction.VIEW,
    "justice.ProceedingShare": JusticeAction.VIEW,
    "justice.Defendant": JusticeAction.VIEW,
    "justice.Charge": JusticeAction.VIEW,
    "justice.Verdict": JusticeAction.VIEW,
    "justice.ProceedingAsset": JusticeAction.VIEW,
    "justice.ProceedingVictim": JusticeAction.VIEW,
    "helpline.Call": Action.VIEW,
    "earlywarning.Observation": WarningAction.VIEW,
    "earlywarning.Alert": WarningAction.VIEW,
    "earlywarning.AlertEvent": WarningAction.VIEW,
    "earlywarning.AlertThreshold": WarningAction.VIEW,
    "prevention.Event": PreventionAction.VIEW,
    "prevention.Attendance": PreventionAction.VIEW,
    "prevention.AwarenessAction": PreventionAction.VIEW,
    "prevention.Material": PreventionAction.VIEW,
    "prevention.KapSurvey": PreventionAction.VIEW,
    "prevention.KapResult": PreventionAction.VIEW,
    "prevention.IndicatorFeed": PreventionAction.VIEW,
    "programmes.Programme": "view",
    "programmes.Indicator": "view",
    "programmes.IndicatorValue": "view",
    "actionplan.Report": PlanAction.VIEW,
    "actionplan.ReportEntry": PlanAction.VIEW,
    "actionplan.IndicatorValue": PlanAction.VIEW,
    "actionplan.ReportTransition": PlanAction.VIEW,
    "actionplan.Briefing": PlanAction.REVIEW,
    "accounts.User": "view",
    "accounts.Membership": "view",
    "accounts.ApiToken": "view",
    "tasks.Task": Action.VIEW,
    "tasks.Notification": "view",
}


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(RULED))
def test_every_record_model_has_a_rule_that_filters(label, world):
    model = apps.get_model(label)
    assert model in access.registered_models()
    # The rule builds a filter the database accepts, for every persona (members, national readers, none).
    for user in world.values():
        list(restrict(model.objects.all(), user, RULED[label]).values_list("pk", flat=True)[:1])


def test_unregistered_model_is_a_type_error(django_user_model):
    with pytest.raises(TypeError, match="no access rule for Organisation"):
        restrict(Organisation.objects.all(), django_user_model(), Action.VIEW)


def test_a_proxy_takes_its_concrete_model_s_rule():
    from nrm.cases.models import Case

    proxy = type(
        "CaseSeenThroughAProxy",
        (Case,),
        {"__module__": "nrm.cases.models", "Meta": type("Meta", (), {"proxy": True, "app_label": "cases"})},
    )
    try:
        assert access.rule_for(proxy) is access.rule_for(Case)
    finally:
        apps.all_models["cases"].pop("caseseenthroughaproxy", None)
        apps.clear_cache()


def test_a_second_rule_for_a_model_is_refused():
    from nrm.cases.models import Case

    with pytest.raises(ValueError):
        register_rule(Case, lambda user, action: Q())


def test_unrestricted_needs_a_listed_reason():
    from nrm.cases.models import Case

    assert unrestricted(Case, "national statistics").model is Case
    with pytest.raises(ValueError):
        unrestricted(Case, "because")


@pytest.mark.django_db
def test_get_or_deny_outside_a_transaction_writes_the_denial(django_user_model):
    from nrm.cases.models import Case

    stranger = django_user_model.objects.create_user(username="stranger-get-or-deny", password="x")
    before = AuditEntry.objects.count()
    with pytest.raises(NotFound) as caught:
        get_or_deny(Case.objects.all(), stranger, Action.VIEW, object_type="case", audit_action="case.view", pk=1)
    assert caught.value.audit is None  # written already
    row = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (row.actor, row.outcome, row.action, row.object_type, row.object_id) == (
        "stranger-get-or-deny",
        AuditEntry.Outcome.DENIED,
        "case.view",
        "case",
        "1",
    )


# --- The source tree ---------------------------------------------------------------------------


def _sources():
    for path in sorted(NRM.rglob("*.py")):
        rel = path.relative_to(NRM.parent).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        yield rel, path.read_text(encoding="utf-8")


def _calls(name: str):
    """Yield (file, enclosing top-level function, call node) for every call of ``name``."""
    for rel, text in _sources():
        tree = ast.parse(text)

        def visit(node, function):
            for child in ast.iter_child_nodes(node):
                inner = function
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and function is None:
                    inner = child.name
                if isinstance(child, ast.Call):
                    func = child.func
                    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    if called == name:
                        yield rel, function or "<module>", child
                yield from visit(child, inner)

        yield from visit(tree, None)


# Every read that deliberately passes no access rule: file:function -> reason, one line per call.
BYPASSES = [
    "nrm/cases/retention.py:due_for_erasure -> retention",
    "nrm/cases/selectors.py:cases_left_out_of_statistics -> statistics consent",
    "nrm/cases/selectors.py:cases_usable_for_statistics -> statistics consent",
    "nrm/cases/selectors.py:identified_on_disagreements -> national statistics",  # nrm stats --check
    "nrm/core/keys.py:_rotate_binary -> key rotation",
    "nrm/core/keys.py:rotate_keys -> key rotation",
    "nrm/earlywarning/services.py:_crossing -> early warning",
    "nrm/earlywarning/services.py:_recipients -> early warning",
    "nrm/earlywarning/services.py:alerts_evaluate -> early warning",
    "nrm/earlywarning/statistics.py:_alerts -> national statistics",
    "nrm/earlywarning/statistics.py:_observations -> national statistics",
    "nrm/exchange/dedup.py:person_clusters -> duplicate matching",
    "nrm/exchange/dedup.py:propose_links -> duplicate matching",
    "nrm/exchange/dedup.py:propose_links -> duplicate matching",
    "nrm/exchange/dedup.py:propose_links -> duplicate matching",
    "nrm/exchange/htcds.py:htcds_export -> htcds export",
    "nrm/helpline/selectors.py:statistics_scope -> national statistics",
    "nrm/helpline/statistics.py:calls -> national statistics",
    "nrm/justice/demo.py:demo_justice -> demo data",
    "nrm/justice/statistics.py:_convictions -> national statistics",
    "nrm/justice/statistics.py:_investigations -> national statistics",
    "nrm/justice/statistics.py:_prosecutions -> national statistics",
    "nrm/justice/statistics.py:victim_parts -> national statistics",
    "nrm/justice/statistics.py:suspected_defendants -> national statistics",
    "nrm/justice/statistics.py:sentenced_verdicts -> national statistics",
    "nrm/justice/statistics.py:asset_decisions -> national statistics",
    "nrm/prevention/statistics.py:_events -> national statistics",
    "nrm/prevention/statistics.py:_materials -> national statistics",
    "nrm/prevention/statistics.py:_participants -> national statistics",
    "nrm/programmes/statistics.py:_funding -> national statistics",
    "nrm/programmes/statistics.py:_programmes -> national statistics",
    "nrm/programmes/statistics.py:_values -> national statistics",
    "nrm/protection/statistics.py:measures -> national statistics",
    "nrm/cases/statistics.py:_referrals -> national statistics",
    "nrm/cases/statistics.py:_asylum_referrals -> national statistics",  # referrals of the asylum kind (issue K)
    "nrm/cases/statistics.py:_decisions -> national statistics",
    "nrm/reporting/selectors.py:new_since_publication -> national statistics",
    "nrm/earlywarning/reminders.py:alerts_open -> reminders",
    "nrm/tasks/reminders.py:tasks_due -> reminders",
]


def test_every_bypass_of_the_access_rule_is_listed():
    found = []
    for rel, function, call in _calls("unrestricted"):
        if rel in ("nrm/accounts/access.py", "nrm/core/bypass.py"):
            continue
        assert len(call.args) == 2 and isinstance(call.args[1], ast.Constant), (
            f"{rel}:{function}: unrestricted() takes the reason as a literal string"
        )
        reason = call.args[1].value
        assert reason in UNRESTRICTED_REASONS, f"{rel}:{function}: {reason!r} is not a listed reason"
        found.append(f"{rel}:{function} -> {reason}")
    assert Counter(found) == Counter(BYPASSES), sorted(found)


# org_ids() and the *_org_ids helpers outside nrm/accounts/: none, or listed here with the reason.
ORG_IDS_ALLOWED: dict[str, str] = {}
ORG_IDS = re.compile(r"\b\w*org_ids\(")


def test_org_ids_is_called_only_inside_the_access_rule():
    found = {}
    for rel, text in _sources():
        if rel.startswith("nrm/accounts/"):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if ORG_IDS.search(line):
                found[f"{rel}:{number}"] = line.strip()
    unexpected = {where: line for where, line in found.items() if where.split(":")[0] not in ORG_IDS_ALLOWED}
    assert not unexpected, unexpected
