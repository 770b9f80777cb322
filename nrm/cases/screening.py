"""The screening rule: indicators observed -> dimensions positive -> presumed victim or not.

The indicator list and both rules are data (an :class:`~nrm.cases.models.IndicatorList`
definition), so a country can change them without code. The default is the ILO/European
Commission operational indicators (2009):

- a dimension is positive when the indicators observed in it satisfy any clause of
  ``dimension_rule["any_of"]``, e.g. ``{"strong": 1, "medium_or_weak": 1}``;
- a group (recruitment, exploitation, coercion) is positive when any of its dimensions is;
- the person is a presumed victim when every group of ``victim_rule[adult|child]`` is positive
  (children need no coercion or means).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

STRENGTHS = ("strong", "medium", "weak")


@dataclass
class DimensionOutcome:
    code: str
    title: str
    group: str
    positive: bool
    counts: dict[str, int]
    observed: list[str] = field(default_factory=list)


@dataclass
class ScreeningOutcome:
    presumed_victim: bool
    dimensions: list[DimensionOutcome]
    groups: dict[str, bool]
    required_groups: list[str]
    explanation: list[str]
    is_child: bool = False

    def as_reasons(self) -> dict:
        """Return a JSON-safe record of why the result is what it is, stored with the screening."""
        return {
            "presumed_victim": self.presumed_victim,
            "required_groups": self.required_groups,
            "groups": self.groups,
            "dimensions": [
                {
                    "code": d.code,
                    "title": d.title,
                    "group": d.group,
                    "positive": d.positive,
                    "counts": d.counts,
                    "observed": d.observed,
                }
                for d in self.dimensions
            ],
            "explanation": self.explanation,
            "is_child": self.is_child,
        }


class UnknownIndicator(ValueError):
    """An answer names an indicator that the list does not have (or not for this person)."""


def clause_met(clause: dict[str, int], counts: dict[str, int]) -> bool:
    """Return True if the observed ``counts`` satisfy one rule clause.

    ``medium_or_weak`` counts indicators of either grade not already needed by the ``medium``
    and ``weak`` keys of the same clause.
    """
    need_strong = clause.get("strong", 0)
    need_medium = clause.get("medium", 0)
    need_weak = clause.get("weak", 0)
    need_mw = clause.get("medium_or_weak", 0)
    if counts["strong"] < need_strong or counts["medium"] < need_medium or counts["weak"] < need_weak:
        return False
    spare = (counts["medium"] - need_medium) + (counts["weak"] - need_weak)
    # Spare strong indicators also satisfy weaker requirements: a stronger sign never counts for less.
    spare += counts["strong"] - need_strong
    return spare >= need_mw


def _explain(required: list[str], positive_titles: dict[str, list[str]], is_child: bool) -> list[str]:
    lines = []
    for g in required:
        if positive_titles.get(g):
            lines.append(_("%(group)s: positive (%(dims)s)") % {"group": g, "dims": ", ".join(positive_titles[g])})
        else:
            lines.append(_("%(group)s: not positive; no dimension reached the rule") % {"group": g})
    if is_child:
        lines.append(_("Child: coercion or means are not required."))
    return lines


def explain(reasons: dict) -> list[str]:
    """Return the explanation of stored reasons in the current language (not the one it was saved in)."""
    required = list(reasons.get("required_groups", []))
    positive_titles = {
        g: [d["title"] for d in reasons.get("dimensions", []) if d["group"] == g and d["positive"]] for g in required
    }
    is_child = reasons.get("is_child")
    if is_child is None:  # reasons stored before the flag was kept
        is_child = "coercion" not in required
    return _explain(required, positive_titles, bool(is_child))


def evaluate(definition: dict, answers: list[str], *, is_child: bool) -> ScreeningOutcome:
    """Apply the list's rules to the indicator codes observed and explain the result."""
    audience = "child" if is_child else "adult"
    indicators = {ind["code"]: ind for ind in definition["indicators"] if audience in ind.get("applies_to", [audience])}
    unknown = sorted(set(answers) - set(indicators))
    if unknown:
        raise UnknownIndicator(", ".join(unknown))
    chosen = set(answers)
    dims: list[DimensionOutcome] = []
    clauses = definition["dimension_rule"]["any_of"]
    for dim in definition["dimensions"]:
        observed = [c for c, ind in indicators.items() if ind["dimension"] == dim["code"] and c in chosen]
        counts = {s: sum(1 for c in observed if indicators[c]["strength"] == s) for s in STRENGTHS}
        positive = any(clause_met(clause, counts) for clause in clauses)
        dims.append(DimensionOutcome(dim["code"], dim["title"], dim["group"], positive, counts, observed))
    groups: dict[str, bool] = {}
    for d in dims:
        groups[d.group] = groups.get(d.group, False) or d.positive
    required = list(definition["victim_rule"][audience]["all_of_groups"])
    presumed = all(groups.get(g, False) for g in required)
    positive_titles = {g: [d.title for d in dims if d.group == g and d.positive] for g in required}
    explanation = _explain(required, positive_titles, is_child)
    return ScreeningOutcome(presumed, dims, groups, required, explanation, is_child)
