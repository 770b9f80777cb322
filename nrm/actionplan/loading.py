"""Reading a strategy-and-action-plan document into the database.

:func:`nrm.actionplan.services.load_plan` is the entry point; this module checks a document
and writes it, matching rows by their natural keys (codes and numbers) so that loading twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.db.models import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from nrm.accounts.models import Organisation, OrganisationType
from nrm.actionplan.choices import BudgetSectionKind, DeadlineKind, FundingSource, TaskRole
from nrm.actionplan.models import (
    ActionPlan,
    Activity,
    BudgetLine,
    BudgetSection,
    Deadline,
    Indicator,
    Institution,
    Objective,
    Resource,
    Strategy,
    StrategyObjective,
    Task,
    TaskInstitution,
)
from nrm.core.errors import invalid

AMOUNT_RE = re.compile(r"^-?\d+\.\d{2}$")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")

# Keys of the document that become fields; any other key is kept in ``source_notes``.
ACTIVITY_FIELDS = {"number", "title", "tasks", "indicators", "deadlines", "resources", "risks"}
TASK_FIELDS = {
    "number",
    "title",
    "responsible",
    "partners",
    "unnamed_partners",
    "responsible_text",
    "responsible_inferred",
}


def _need(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise invalid(field, message)


def money(value, field: str) -> Decimal | None:
    """Return ``value`` (a number or a decimal string) as an exact amount in cents, or None."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise invalid(field, _("“%(value)s” is not an amount.") % {"value": value}) from None
    if amount < 0 or amount > MAX_AMOUNT:
        raise invalid(field, _("The amount must be between 0 and %(max)s.") % {"max": MAX_AMOUNT})
    return amount


def check_document(doc: dict) -> None:
    """Raise ValidationError naming the first broken part of a plan document; check nothing twice."""
    _need(isinstance(doc, dict), "document", _("The file does not hold a JSON object."))
    for key in ("country", "strategy", "action_plan", "budget"):
        _need(key in doc, key, _("This part is missing."))
    strategy = doc["strategy"]
    for key in ("title", "period_start", "period_end"):
        _need(bool(strategy.get(key)), f"strategy.{key}", _("This field is required."))
    plan = doc["action_plan"]
    for key in ("title", "period_start", "period_end", "objectives"):
        _need(bool(plan.get(key)), f"action_plan.{key}", _("This field is required."))
    seen: set[str] = set()
    for i, objective in enumerate(plan["objectives"]):
        where = f"action_plan.objectives[{i}]"
        _need(bool(objective.get("number")), f"{where}.number", _("This field is required."))
        _need(bool(objective.get("title")), f"{where}.title", _("This field is required."))
        for j, activity in enumerate(objective.get("activities", [])):
            at = f"{where}.activities[{j}]"
            number = activity.get("number", "")
            _need(number.startswith(f"{objective['number']}."), f"{at}.number", _("Not numbered under its objective."))
            _need(number not in seen, f"{at}.number", _("This number is used twice."))
            seen.add(number)
            _need(bool(activity.get("title")), f"{at}.title", _("This field is required."))
            _need(bool(activity.get("tasks")), f"{at}.tasks", _("An activity needs at least one task."))
            _need(bool(activity.get("deadlines")), f"{at}.deadlines", _("An activity needs a deadline."))
            for k, deadline in enumerate(activity["deadlines"]):
                kind = deadline.get("kind")
                _need(kind in DeadlineKind.values, f"{at}.deadlines[{k}].kind", _("Unknown kind of deadline."))
                if kind == DeadlineKind.QUARTER:
                    _need(
                        deadline.get("quarter") in (1, 2, 3, 4) and bool(deadline.get("year")),
                        f"{at}.deadlines[{k}].quarter",
                        _("A quarter deadline needs a year and a quarter from 1 to 4."),
                    )
                if kind == DeadlineKind.DATE:
                    _need(bool(deadline.get("date")), f"{at}.deadlines[{k}].date", _("This field is required."))
            tasks = set()
            for k, task in enumerate(activity["tasks"]):
                tn = task.get("number", "")
                _need(tn.startswith(number + "."), f"{at}.tasks[{k}].number", _("Not numbered under its activity."))
                _need(tn not in seen, f"{at}.tasks[{k}].number", _("This number is used twice."))
                seen.add(tn)
                tasks.add(tn)
                _need(bool(task.get("title")), f"{at}.tasks[{k}].title", _("This field is required."))
                _need(
                    bool(task.get("responsible")), f"{at}.tasks[{k}].responsible", _("Name a responsible institution.")
                )
            for k, resource in enumerate(activity.get("resources", [])):
                rf = f"{at}.resources[{k}]"
                _need(
                    resource.get("funding_source") in FundingSource.values, f"{rf}.funding_source", _("Unknown source.")
                )
                _need(bool(resource.get("text")), f"{rf}.text", _("This field is required."))
                money(resource.get("amount"), f"{rf}.amount")
                unknown = set(resource.get("tasks", [])) - tasks
                _need(not unknown, f"{rf}.tasks", _("Refers to a task the activity does not have."))
    for name in BudgetSectionKind.values:
        section = doc["budget"].get(name)
        if section is None:
            continue
        years = [str(y) for y in section.get("years", [])]
        sums = dict.fromkeys(years, Decimal("0.00"))
        for k, row in enumerate(section.get("rows", [])):
            rf = f"budget.{name}.rows[{k}]"
            _need(
                isinstance(row.get("amount"), str) and bool(AMOUNT_RE.match(row["amount"])),
                f"{rf}.amount",
                _("Write budget amounts as decimal strings with two decimals."),
            )
            _need(str(row.get("year")) in sums, f"{rf}.year", _("The year is not one of the section's years."))
            _need(bool(row.get("institution")), f"{rf}.institution", _("This field is required."))
            sums[str(row["year"])] += Decimal(row["amount"])
        for year, total in (section.get("totals") or {}).items():
            _need(year in sums, f"budget.{name}.totals.{year}", _("The year is not one of the section's years."))
            _need(
                Decimal(total) == sums[year],
                f"budget.{name}.totals.{year}",
                _("The rows add up to %(sum)s, not %(total)s.") % {"sum": sums[year], "total": total},
            )


class Loader:
    """Write one plan document into the database, matching rows by their natural keys."""

    def __init__(self, doc: dict, mapping: dict) -> None:
        self.doc = doc
        self.types = {row["code"]: row for row in mapping.get("organisation_types", [])}
        self.mapping = {row["name"]: row for row in mapping.get("institutions", [])}
        self.aliases = {row["name"]: list(row.get("aliases_in_seed", [])) for row in doc.get("institutions", [])}
        self.institutions: dict[str, Institution] = {}

    # Institutions and their organisations.

    def _type(self, code: str) -> OrganisationType:
        row = dict(self.types.get(code, {"name": code.replace("_", " ").capitalize()}))
        row.pop("code", None)
        otype, _created = OrganisationType.objects.get_or_create(code=code, defaults=row)
        return otype

    def _organisation(self, name: str, entry: dict) -> Organisation:
        code = entry.get("code")
        if code:
            org = Organisation.objects.filter(code=code).first()
        else:
            names = [name, *self.aliases.get(name, [])]
            org = next((o for n in names if (o := Organisation.objects.filter(name__iexact=n).first())), None)
        if org is not None:
            return org
        if not code:
            base = slugify(name)[:55] or "institution"
            code, n = base, 1
            while Organisation.objects.filter(code=code).exists():
                n += 1
                code = f"{base}-{n}"
        type_code = entry.get("type") or ("ministry" if "ministry" in name.lower().split() else "public_body")
        return Organisation.objects.create(code=code, name=name, type=self._type(type_code))

    def institution(self, name: str) -> Institution:
        if name not in self.institutions:
            entry = self.mapping.get(name, {})
            self.institutions[name], _created = Institution.objects.update_or_create(
                strategy=self.strategy,
                name=name,
                defaults={
                    "organisation": self._organisation(name, entry),
                    "aliases": self.aliases.get(name, []),
                    "reports": entry.get("reports", True),
                },
            )
        return self.institutions[name]

    # The documents.

    def run(self) -> ActionPlan:
        doc = self.doc
        country = doc["country"].upper()
        s = doc["strategy"]
        adoption = s.get("adoption") or {}
        self.strategy, _created = Strategy.objects.update_or_create(
            code=s.get("code") or f"{country}-strategy-{s['period_start']}-{s['period_end']}".lower(),
            defaults={
                "country": country,
                "title": s["title"],
                "title_as_printed": s.get("title_as_printed", ""),
                "period_start": s["period_start"],
                "period_end": s["period_end"],
                "vision": s.get("vision", ""),
                "general_objective": s.get("general_objective", ""),
                "legal_basis": s.get("legal_basis", ""),
                "adopted_on": dt.date.fromisoformat(adoption["date"]) if adoption.get("date") else None,
                "adoption_reference": adoption.get("reference", ""),
                "source": " ".join(filter(None, [doc.get("source", ""), doc.get("source_file", "")])),
                "is_synthetic": bool(doc.get("synthetic")),
                "details": {
                    k: s[k]
                    for k in ("adoption", "replaces", "areas_for_intervention", "preconditions", "implementation")
                    if k in s
                },
            },
        )
        special = {}
        for i, row in enumerate(s.get("special_objectives", [])):
            special[row["number"]], _created = StrategyObjective.objects.update_or_create(
                strategy=self.strategy,
                number=row["number"],
                defaults={"title": row["title"], "description": row.get("description", ""), "order": i},
            )
        self.strategy.objectives.exclude(number__in=list(special)).delete()
        for row in doc.get("institutions", []):
            self.institution(row["name"])
        self._monitoring(doc.get("monitoring") or {})

        p = doc["action_plan"]
        plan_budget = doc["budget"].get(BudgetSectionKind.ACTION_PLAN) or {}
        self.plan, _created = ActionPlan.objects.update_or_create(
            code=p.get("code") or f"{country}-action-plan-{p['period_start']}-{p['period_end']}".lower(),
            defaults={
                "strategy": self.strategy,
                "title": p["title"],
                "title_as_printed": p.get("title_as_printed", ""),
                "period_start": p["period_start"],
                "period_end": p["period_end"],
                "currency": plan_budget.get("currency", ""),
                "is_synthetic": bool(doc.get("synthetic")),
            },
        )
        numbers = []
        for i, row in enumerate(p["objectives"]):
            numbers.append(row["number"])
            self._objective(row, i, special)
        self._prune(self.plan.objectives.exclude(number__in=numbers), "action_plan.objectives")
        for name in BudgetSectionKind.values:
            if doc["budget"].get(name) is not None:
                self._budget(name, doc["budget"][name])
        return self.plan

    def _monitoring(self, part: dict) -> None:
        """Mark who monitors (the strategy's working group reports) and who receives the Coordinator's reports."""
        members = set((part.get("working_group") or {}).get("members", []))
        receivers = {row["name"] for row in part.get("receive_coordinator_reports", [])}
        for name in members | receivers:
            if name not in self.institutions:
                raise invalid("monitoring", _("“%(name)s” is not one of the institutions.") % {"name": name})
        for name, institution in self.institutions.items():
            wanted = {"working_group": name in members, "receives_reports": name in receivers}
            if name in receivers:
                wanted["reports"] = False  # it receives the Coordinator's reports; it does not report to them
            if any(getattr(institution, k) != v for k, v in wanted.items()):
                Institution.objects.filter(pk=institution.pk).update(**wanted)
                for k, v in wanted.items():
                    setattr(institution, k, v)

    def _prune(self, queryset, field: str) -> None:
        try:
            queryset.delete()
        except ProtectedError:
            raise invalid(field, _("Rows missing from the file have reports and cannot be removed.")) from None

    def _objective(self, row: dict, order: int, special: dict) -> None:
        objective, _created = Objective.objects.update_or_create(
            plan=self.plan,
            number=row["number"],
            defaults={
                "title": row["title"],
                "title_raw": row.get("title_raw", ""),
                "strategy_objective": special.get(row.get("strategy_objective")),
                "order": order,
            },
        )
        self._indicators(objective, None, row.get("indicators", []))
        numbers = []
        for i, activity in enumerate(row.get("activities", [])):
            numbers.append(activity["number"])
            self._activity(objective, activity, i)
        self._prune(objective.activities.exclude(number__in=numbers), "action_plan.activities")

    def _indicators(self, objective: Objective, activity: Activity | None, texts: list) -> None:
        for i, text in enumerate(texts):
            if isinstance(text, dict):
                values = {"text": text["text"], "baseline": text.get("baseline", ""), "target": text.get("target", "")}
            else:
                values = {"text": text}
            Indicator.objects.update_or_create(objective=objective, activity=activity, order=i, defaults=values)
        self._prune(
            Indicator.objects.filter(objective=objective, activity=activity, order__gte=len(texts)),
            "action_plan.indicators",
        )

    def _activity(self, objective: Objective, row: dict, order: int) -> None:
        deadlines = [
            Deadline(
                kind=d["kind"],
                year=d.get("year"),
                quarter=d.get("quarter"),
                on=dt.date.fromisoformat(d["date"]) if d.get("date") else None,
                text=d.get("text", "")[:200],
                order=i,
            )
            for i, d in enumerate(row["deadlines"])
        ]
        activity, _created = Activity.objects.update_or_create(
            plan=self.plan,
            number=row["number"],
            defaults={
                "objective": objective,
                "title": row["title"],
                "order": order,
                "active_from": self.plan.starts_on,
                "active_until": max(d.ends_on(self.plan) for d in deadlines),
                "risks": list(row.get("risks", [])),
                "source_notes": {k: v for k, v in row.items() if k not in ACTIVITY_FIELDS},
            },
        )
        activity.deadlines.all().delete()
        for d in deadlines:
            d.activity = activity
        Deadline.objects.bulk_create(deadlines)
        self._indicators(objective, activity, row.get("indicators", []))
        tasks = {}
        for i, t in enumerate(row["tasks"]):
            task, _created = Task.objects.update_or_create(
                activity=activity,
                number=t["number"],
                defaults={
                    "title": t["title"],
                    "order": i,
                    "responsible_text": t.get("responsible_text", ""),
                    "unnamed_partners": bool(t.get("unnamed_partners")),
                    "responsible_inferred": bool(t.get("responsible_inferred")),
                    "source_notes": {k: v for k, v in t.items() if k not in TASK_FIELDS},
                },
            )
            task.roles.all().delete()
            TaskInstitution.objects.bulk_create(
                [
                    TaskInstitution(task=task, institution=self.institution(name), role=role, order=k)
                    for role, names in ((TaskRole.RESPONSIBLE, t["responsible"]), (TaskRole.PARTNER, t["partners"]))
                    for k, name in enumerate(dict.fromkeys(names))
                ]
            )
            tasks[t["number"]] = task
        activity.tasks.exclude(number__in=list(tasks)).delete()
        activity.resources.all().delete()
        for i, r in enumerate(row.get("resources", [])):
            resource = Resource.objects.create(
                activity=activity,
                text=r["text"],
                label=(r.get("label") or "")[:300],
                amount=money(r.get("amount"), "amount"),
                currency=r.get("currency") or "",
                year=r.get("year"),
                funding_source=r["funding_source"],
                institution=self.institution(r["institution"]) if r.get("institution") else None,
                suspected_duplicate=bool(r.get("suspected_duplicate")),
                assignment_ambiguous=bool(r.get("assignment_ambiguous")),
                reconstructed=bool(r.get("reconstructed_from_fragments")),
                order=i,
            )
            resource.tasks.set([tasks[n] for n in r.get("tasks", [])])

    def _budget(self, name: str, row: dict) -> None:
        plan = self.plan if name == BudgetSectionKind.ACTION_PLAN else None
        section, _created = BudgetSection.objects.update_or_create(
            strategy=self.strategy,
            plan=plan,
            defaults={
                "section": name,
                "currency": row.get("currency", ""),
                "years": list(row.get("years", [])),
                "funding_sources": list(row.get("funding_sources", [])),
                "notes": list(row.get("notes", [])),
            },
        )
        keep = []
        for i, line in enumerate(row.get("rows", [])):
            obj, _created = BudgetLine.objects.update_or_create(
                section=section,
                institution=self.institution(line["institution"]),
                year=line["year"],
                defaults={
                    "amount": Decimal(line["amount"]),
                    "currency": line.get("currency") or row.get("currency", ""),
                    "amount_text": line.get("amount_text", ""),
                    "order": i,
                },
            )
            keep.append(obj.pk)
        section.lines.exclude(pk__in=keep).delete()
        section.without_expenditures.set(
            [self.institution(n) for n in row.get("institutions_without_expenditures", [])]
        )


def load_counts(plan: ActionPlan) -> dict[str, int]:
    """Return how many of each part of ``plan`` (and its strategy) are in the database."""
    activities = Activity.objects.filter(plan=plan)
    sections = {s.section: s.lines.count() for s in BudgetSection.objects.filter(strategy=plan.strategy)}
    return {
        "special_objectives": plan.strategy.objectives.count(),
        "objectives": plan.objectives.count(),
        "activities": activities.count(),
        "tasks": Task.objects.filter(activity__plan=plan).count(),
        "indicators": Indicator.objects.filter(objective__plan=plan).count(),
        "resources": Resource.objects.filter(activity__plan=plan).count(),
        "risks": sum(len(r) for r in activities.values_list("risks", flat=True)),
        "institutions": plan.strategy.institutions.count(),
        "budget_lines_strategy": sections.get(BudgetSectionKind.STRATEGY, 0),
        "budget_lines_action_plan": sections.get(BudgetSectionKind.ACTION_PLAN, 0),
    }
