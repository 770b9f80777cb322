"""Issue E: every filter and ordering of every list page and list API has an index to use.

``LISTS`` is the registry: each list selector (the pages and the API call the same ones) with the
column its access rule scopes it by, the columns its filters read and the column it is ordered by.
A column is served when some index (primary key, unique, foreign key, ``db_index`` or
``Meta.indexes``) has it after columns that list fixes by equality (its scope and filters), so a
list of one owner ordered by date needs (owner, date). The test also walks every list selector's
keyword parameters: a new list, or a new filter on one, fails here until it is registered here
and served by an index.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

import nrm


@dataclass(frozen=True)
class ListSpec:
    model: str
    scope: str = ""  # the column the access rule restricts by (owner, organisation...): fixed per user
    filters: dict[str, str] = field(default_factory=dict)  # parameter -> column it filters
    order: str = ""  # the first column of the list's ordering


# A filter that no b-tree index can serve, or a list too small to need one, with the reason.
TEXT = "a substring search (icontains): no b-tree index serves it; the list is scoped first"
M2M = "a many-to-many code: the through table's foreign-key indexes serve it"
SMALL = "reference data (tens to hundreds of rows): a scan is cheaper than an index"

LISTS: dict[str, ListSpec] = {
    "tasks.selectors.task_list": ListSpec(
        "tasks.Task", scope="organisation", filters={"case": "case", "status": "status"}, order="due_on"
    ),
    "tasks.selectors.notification_list": ListSpec(
        "tasks.Notification", scope="recipient", filters={"unread": "read_at"}
    ),
    "transfers.selectors.transfer_list": ListSpec("transfers.CaseTransfer", scope="from_org"),
    "documents.selectors.document_list": ListSpec("documents.Document", scope="case"),
    "cases.selectors.case_list": ListSpec(
        "cases.Case",
        scope="owner",
        filters={
            "status": "status",
            "form": M2M,
            "decision": "identification_status",
            "is_child": "is_child",
            "year": "opened_on",
            "q": TEXT,
            "identity": "person",  # then Person.linkage_key, indexed
            "search": "person",  # then Person.search_key_date / search_key_year, indexed
            "mine": "responsible",
        },
        order="opened_on",
    ),
    "cases.selectors.screening_list": ListSpec("cases.Screening", scope="organisation", order="screened_on"),
    "cases.views.screening_list": ListSpec("cases.Screening", scope="organisation", filters={"result": "result"}),
    "cases.selectors.services_due": ListSpec(
        "cases.ServiceDelivery",
        scope="organisation",
        filters={"today": "started_on", "status": "status"},
        order="started_on",
    ),
    "referrals.selectors.referral_inbox": ListSpec(
        "referrals.Referral", scope="to_org", filters={"status": "status"}, order="sent_on"
    ),
    "referrals.selectors.referral_outbox": ListSpec(
        "referrals.Referral", scope="from_org", filters={"status": "status"}, order="sent_on"
    ),
    "referrals.selectors.referrals_overdue": ListSpec(
        "referrals.Referral", filters={"status": "status", "due": "due_on"}, order="due_on"
    ),
    "referrals.selectors.legal_grounds_to_review": ListSpec(
        "referrals.Referral",
        scope="without_consent",
        filters={"pending": "ground_review"},
        order="sent_on",
    ),
    "actionplan.selectors.report_list": ListSpec(
        "actionplan.Report",
        scope="plan",
        filters={
            "plan": "plan",
            "kind": "kind",
            "year": "year",
            "month": "month",
            "institution": "institution",
            "status": "status",
        },
        order="year",
    ),
    "actionplan.selectors.evaluation_list": ListSpec(
        "actionplan.Evaluation", scope="plan", filters={"year": "year", "current": "year"}, order="year"
    ),
    "actionplan.selectors.briefing_list": ListSpec(
        "actionplan.Briefing", scope="plan", filters={"kind": "kind"}, order="kind"
    ),
    "earlywarning.selectors.observation_list": ListSpec(
        "earlywarning.Observation",
        scope="organisation",
        filters={
            "group": "group",
            "region": "region",
            "year": "observed_on",
            "indicator": "indicator",
            "organisation": "organisation",
        },
        order="observed_on",
    ),
    "earlywarning.selectors.alert_list": ListSpec(
        "earlywarning.Alert", filters={"status": "status", "group": "group", "region": "region"}, order="raised_at"
    ),
    "earlywarning.selectors.indicator_list": ListSpec("earlywarning.RiskIndicator", filters={"group": "group"}),
    "earlywarning.selectors.group_list": ListSpec("earlywarning.VulnerableGroup"),
    "earlywarning.selectors.threshold_list": ListSpec("earlywarning.AlertThreshold", order=SMALL),
    "helpline.selectors.call_list": ListSpec(
        "helpline.Call",
        scope="organisation",
        filters={"month": "received_at", "channel": "channel", "topic": "topic", "converted": "screening"},
        order="received_at",
    ),
    "justice.selectors.proceeding_list": ListSpec(
        "justice.Proceeding",
        scope="owner",
        filters={"stage": "stage", "year": "investigation_on", "form": M2M, "q": TEXT},
        order="investigation_on",
    ),
    "justice.selectors.victim_part_list": ListSpec("justice.ProceedingVictim", filters={"case": "case"}),
    "prevention.selectors.event_list": ListSpec(
        "prevention.Event",
        scope="organiser",
        filters={
            "year": "starts_on",
            "kind": "kind",
            "organiser": "organiser",
            "region": "region",
            "programme": "programme",
            "task": "task",
        },
        order="starts_on",
    ),
    "prevention.selectors.awareness_list": ListSpec(
        "prevention.AwarenessAction",
        scope="organiser",
        filters={"year": "starts_on", "kind": "kind", "organiser": "organiser", "region": "region"},
        order="starts_on",
    ),
    "prevention.selectors.survey_list": ListSpec(
        "prevention.KapSurvey",
        scope="organiser",
        filters={"year": "conducted_from", "organiser": "organiser", "region": "region"},
        order="conducted_from",
    ),
    "prevention.selectors.feed_list": ListSpec("prevention.IndicatorFeed", order=SMALL),
    "programmes.selectors.programme_list": ListSpec(
        "programmes.Programme", filters={"donor": SMALL, "partner": SMALL, "year": SMALL}, order="code"
    ),
    "exchange.dedup.duplicate_list": ListSpec("exchange.PersonLink", filters={"status": "status"}, order="created_at"),
    "reporting.selectors.publication_list": ListSpec("reporting.Publication", order="published_at"),
    "accounts.selectors.user_list": ListSpec(
        "accounts.User", filters={"q": TEXT, "locked": "username", "inactive": SMALL}, order="username"
    ),
    "accounts.selectors.organisation_list": ListSpec(
        "accounts.Organisation", filters={"q": TEXT, "type_code": "type", "active": SMALL}, order=SMALL
    ),
    "actionplan.selectors.plan_list": ListSpec("actionplan.ActionPlan", order=SMALL),
}
# Lists computed from others (they call a registered list or build no query of their own).
COMPUTED = {
    "actionplan.selectors.overdue_list",  # metrics over report_list's rows
    "actionplan.selectors.reports_due",  # the same
    "earlywarning.selectors.region_list",  # the distinct regions of the observations
    "reporting.selectors.report_list",  # registered standard tables, no rows
    "reporting.selectors.dataset_list",  # the external data sets (a few rows)
    "cases.selectors.audit_case_list",  # writes the audit row of a list read
    "tasks.selectors.is_overdue",  # a predicate on one task, not a list
}
# Keyword parameters that are not filters.
NOT_FILTERS = {"user", "days_ahead", "reason"}
LIST_NAME = re.compile(r"^def ([a-z_]*(?:_list|_inbox|_outbox|_overdue|_due|_to_review))\(", re.MULTILINE)


def list_selectors() -> set[str]:
    """Every list selector in the code: ``*_list``, inbox, outbox, overdue, due, to review."""
    root = Path(nrm.__file__).parent
    found = set()
    for path in [*root.glob("*/selectors.py"), root / "exchange" / "dedup.py"]:
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        found |= {f"{module}.{name}" for name in LIST_NAME.findall(path.read_text())}
    return found


def index_prefixes(model) -> list[list[str]]:
    """The column lists of the model's indexes (each usable by its prefixes), as attnames."""
    opts = model._meta
    column = {f.name: f.attname for f in opts.concrete_fields}
    found = [[f.attname] for f in opts.concrete_fields if f.primary_key or f.unique or f.db_index]
    found += [[column[n.lstrip("-")] for n in index.fields] for index in opts.indexes]
    found += [[column[n] for n in together] for together in opts.unique_together]
    found += [[column[n] for n in c.fields] for c in opts.constraints if getattr(c, "fields", None)]
    return found


def served(model, spec: ListSpec, name: str) -> bool:
    """Whether an index has ``name`` after columns the list fixes by equality (its scope, its filters),
    and, for the ordering of a scoped list, after the scope: one owner's rows in order."""
    attname = model._meta.get_field(name).attname
    fixed = {model._meta.get_field(c).attname for c in [spec.scope, *spec.filters.values()] if _field(model, c)}
    scope = model._meta.get_field(spec.scope).attname if spec.scope else None
    for columns in index_prefixes(model):
        before = columns[: columns.index(attname)] if attname in columns else None
        if before is None or not set(before) <= fixed:
            continue
        if name == spec.order and scope and attname != scope and scope not in before:
            continue
        return True
    return False


def _field(model, name: str) -> bool:
    """Whether ``name`` is a column of ``model`` (else it is a reason: TEXT, M2M, SMALL)."""
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def test_every_list_selector_is_registered():
    missing = list_selectors() - set(LISTS) - COMPUTED
    assert not missing, f"list selectors without an entry in LISTS (their filters and index): {sorted(missing)}"


@pytest.mark.parametrize("path", sorted(p for p in LISTS if ".selectors." in p or ".dedup." in p))
def test_every_filter_parameter_is_registered(path):
    module, name = path.rsplit(".", 1)
    func = getattr(importlib.import_module(f"nrm.{module}"), name)
    parameters = {
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind == p.KEYWORD_ONLY and p.name not in NOT_FILTERS
    }
    unregistered = parameters - set(LISTS[path].filters)
    assert not unregistered, f"{path}: filters {sorted(unregistered)} are not in LISTS: register them with an index"


@pytest.mark.parametrize("path", sorted(LISTS))
def test_every_filtered_and_ordered_column_has_an_index(path):
    spec = LISTS[path]
    model = apps.get_model(spec.model)
    columns = [c for c in [spec.scope, *spec.filters.values(), spec.order] if _field(model, c)]
    unserved = [c for c in columns if not served(model, spec, c)]
    assert not unserved, f"{path}: no index serves {unserved} of {spec.model} (scope {spec.scope or 'none'})"


def test_the_check_fails_without_the_composite_index():
    """The rule itself: ordering one owner's rows by date needs (owner, date), not two single indexes."""
    model = apps.get_model("cases.Case")
    assert served(model, ListSpec("cases.Case", scope="owner", order="opened_on"), "opened_on")  # (owner, opened_on)
    # identification_status has its own index, but none after the person: ordering by it is not served.
    spec = ListSpec("cases.Case", scope="person", order="identification_status")
    assert not served(model, spec, "identification_status")
    assert not served(model, ListSpec("cases.Case", scope="person", filters={"s": "status"}), "status")
