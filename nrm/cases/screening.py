"""The screening rule: indicators observed -> dimensions positive -> presumed victim or not.

The indicator list and both rules are data (an :class:`~nrm.cases.models.IndicatorList`
definition), so a country can change them without code. The default is the ILO/European
Commission operational indicators (2009):

- a dimension is positive when the indicators observed in it satisfy any clause of
  ``dimension_rule["any_of"]``, e.g. ``{"strong": 1, "medium_or_weak": 1}``;
- a group (recruitment, exploitation, coercion) is positive when any of its dimensions is;
- the person is a presumed victim when every group of ``victim_rule[adult|child]`` is positive
  (children need no coercion or means);
- otherwise the person is to be *referred for assessment* when ``assessment_rule[adult|child]``
  holds: by default a child with a positive exploitation group, and anyone with a positive
  exploitation group and one other positive group. A screening is a front door, not a decision:
  a child exploited and coerced with no recruitment facts must not leave as "not indicated".

Every outcome carries its reasons: for each dimension the clause it met, or the nearest clause
and what is still missing ("1 strong + 1 medium or weak needed"), and the groups that decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

STRENGTHS = ("strong", "medium", "weak")
CLAUSE_KEYS = ("strong", "medium", "weak", "medium_or_weak")
PRESUMED, ASSESS, NOT_INDICATED = "presumed_victim", "refer_for_assessment", "not_indicated"
ASSESSMENT_DEFAULT = {
    "child": {"all_of_groups": ["exploitation"], "other_groups": 0},
    "adult": {"all_of_groups": ["exploitation"], "other_groups": 1},
}


@dataclass
class DimensionOutcome:
    code: str
    title: str
    group: str
    positive: bool
    counts: dict[str, int]
    observed: list[str] = field(default_factory=list)
    met: int | None = None  # index of the clause the observed indicators satisfy
    missing: dict[str, int] = field(default_factory=dict)  # what the nearest clause still needs


@dataclass
class ScreeningOutcome:
    presumed_victim: bool
    dimensions: list[DimensionOutcome]
    groups: dict[str, bool]
    required_groups: list[str]
    explanation: list[str]
    is_child: bool = False
    outcome: str = NOT_INDICATED
    clauses: list[dict] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)  # each suspected form's list -> its outcome
    deciding_form: str = ""

    def as_reasons(self) -> dict:
        """Return a JSON-safe record of why the result is what it is, stored with the screening."""
        return {
            "presumed_victim": self.presumed_victim,
            "outcome": self.outcome,
            "required_groups": self.required_groups,
            "groups": self.groups,
            "clauses": self.clauses,
            "forms": self.forms,
            "deciding_form": self.deciding_form,
            "dimensions": [
                {
                    "code": d.code,
                    "title": d.title,
                    "group": d.group,
                    "positive": d.positive,
                    "counts": d.counts,
                    "observed": d.observed,
                    "met": d.met,
                    "missing": d.missing,
                }
                for d in self.dimensions
            ],
            "explanation": self.explanation,
            "is_child": self.is_child,
        }


class UnknownIndicator(ValueError):
    """An answer names an indicator that the list does not have (or not for this person)."""


class UnknownForm(ValueError):
    """A suspected form of exploitation the list has no indicators for."""


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


def shortfall(clause: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Return how many more indicators of each grade ``clause`` needs beyond ``counts`` (empty: met)."""
    missing = {g: max(0, clause.get(g, 0) - counts[g]) for g in STRENGTHS}
    spare = sum(max(0, counts[g] - clause.get(g, 0)) for g in STRENGTHS)
    missing["medium_or_weak"] = max(0, clause.get("medium_or_weak", 0) - spare)
    return {g: n for g, n in missing.items() if n}


def _weight(gap: dict[str, int]) -> int:
    return sum(n * {"strong": 3, "medium": 2}.get(g, 1) for g, n in gap.items())


def clause_text(clause: dict[str, int]) -> str:
    """Return a clause in words: "1 strong + 1 medium or weak"."""
    words = {
        "strong": _("%(n)d strong"),
        "medium": _("%(n)d medium"),
        "weak": _("%(n)d weak"),
        "medium_or_weak": _("%(n)d medium or weak"),
    }
    return " + ".join(words[k] % {"n": clause[k]} for k in CLAUSE_KEYS if clause.get(k))


def rule_text(clauses: list[dict]) -> str:
    """Return the dimension rule in words: its clauses joined by "or"."""
    return (" " + _("or") + " ").join(clause_text(c) for c in clauses)


def dimension_status(dim: dict, clauses: list[dict]) -> str:
    """Return why a stored dimension is positive (the clause met) or what it still lacks."""
    if dim.get("positive"):
        met = dim.get("met")
        if met is None or met >= len(clauses):
            return _("positive")
        return _("positive: %(clause)s") % {"clause": clause_text(clauses[met])}
    missing = dim.get("missing") or {}
    if not missing:
        return _("not positive")
    return _("not positive: %(missing)s needed") % {"missing": clause_text(missing)}


def _explain(reasons: dict) -> list[str]:
    from nrm.cases.choices import GROUP_LABELS

    def label(g: str) -> str:
        return str(GROUP_LABELS.get(g, g))

    dims = reasons.get("dimensions", [])
    required = list(reasons.get("required_groups", []))
    positive = {g: [d["title"] for d in dims if d["group"] == g and d["positive"]] for g in {d["group"] for d in dims}}
    lines = []
    for g in required:
        if positive.get(g):
            lines.append(_("%(group)s: positive (%(dims)s)") % {"group": label(g), "dims": ", ".join(positive[g])})
        else:
            lines.append(_("%(group)s: not positive; no dimension reached the rule") % {"group": label(g)})
    outcome = reasons.get("outcome") or (PRESUMED if reasons.get("presumed_victim") else NOT_INDICATED)
    deciding = [f"{label(g)} ({', '.join(titles)})" for g, titles in positive.items() if titles]
    if outcome == PRESUMED:
        lines.insert(0, _("Presumed victim: every group the rule needs is positive."))
    elif outcome == ASSESS:
        lines.insert(
            0,
            _("Refer for assessment: %(dims)s positive, though not every group the rule needs.")
            % {"dims": "; ".join(deciding)},
        )
    else:
        lines.insert(0, _("Not indicated: not every group the rule needs is positive."))
    if len(reasons.get("forms") or {}) > 1:
        from nrm.cases.choices import FORM_LIST_LABELS, ScreeningResult

        lines.append(
            _("Lists evaluated: %(lists)s.")
            % {
                "lists": "; ".join(
                    f"{FORM_LIST_LABELS.get(f, f)}: {ScreeningResult(o).label}" for f, o in reasons["forms"].items()
                )
            }
        )
    if reasons.get("clauses"):
        lines.append(_("A dimension is positive with %(rule)s.") % {"rule": rule_text(reasons["clauses"])})
    if reasons.get("is_child"):
        lines.append(_("Child: coercion or means are not required."))
    return lines


def explain(reasons: dict) -> list[str]:
    """Return the explanation of stored reasons in the current language (not the one it was saved in)."""
    reasons = dict(reasons)
    if reasons.get("is_child") is None:  # reasons stored before the flag was kept
        reasons["is_child"] = "coercion" not in reasons.get("required_groups", [])
    return _explain(reasons)


def _assessment(definition: dict, audience: str, groups: dict[str, bool]) -> bool:
    rule = definition.get("assessment_rule", ASSESSMENT_DEFAULT).get(audience)
    if not rule:
        return False
    needed = rule.get("all_of_groups", [])
    if not all(groups.get(g, False) for g in needed):
        return False
    others = sum(1 for g, positive in groups.items() if positive and g not in needed)
    return others >= rule.get("other_groups", 0)


RANK = {NOT_INDICATED: 0, ASSESS: 1, PRESUMED: 2}


def list_forms(definition: dict) -> list[str]:
    """Return the forms of exploitation the list has indicators for (its lists), in order of first use."""
    return list(dict.fromkeys(f for ind in definition["indicators"] for f in ind.get("forms", [])))


def evaluate(
    definition: dict, answers: list[str], *, is_child: bool, forms: list[str] | None = None
) -> ScreeningOutcome:
    """Apply the list's rules to the indicator codes observed and explain the result.

    The ILO lists are per form of exploitation: each suspected form (``forms``; none chosen means
    every form the list has) is evaluated on its own indicators, and the strongest outcome wins;
    the reasons say which list decided and what each list gave. An indicator observed must
    belong to a suspected form.
    """
    known = list_forms(definition)
    suspected = [f for f in (forms or known) if f in known] or known
    unknown_forms = sorted(set(forms or []) - set(known))
    if unknown_forms:
        raise UnknownForm(", ".join(unknown_forms))
    audience = "child" if is_child else "adult"
    usable = {
        ind["code"]
        for ind in definition["indicators"]
        if audience in ind.get("applies_to", [audience])
        and (not known or set(ind.get("forms", known)) & set(suspected))
    }
    unknown = sorted(set(answers) - usable)
    if unknown:
        raise UnknownIndicator(", ".join(unknown))
    if not known:
        return _evaluate_one(definition, answers, is_child=is_child)
    results = {}
    for form in suspected:
        part = {**definition, "indicators": [i for i in definition["indicators"] if form in i.get("forms", [form])]}
        mine = {i["code"] for i in part["indicators"]}
        results[form] = _evaluate_one(part, [a for a in answers if a in mine], is_child=is_child)
    # The strongest outcome decides; of equals, the list with more positive dimensions in the
    # groups the rule needs (so a child's result never depends on coercion), then the first.
    form, best = max(
        results.items(),
        key=lambda item: (
            RANK[item[1].outcome],
            sum(d.positive for d in item[1].dimensions if d.group in item[1].required_groups),
        ),
    )
    best.forms = {f: r.outcome for f, r in results.items()}
    best.deciding_form = form
    best.explanation = _explain(best.as_reasons())
    return best


def _evaluate_one(definition: dict, answers: list[str], *, is_child: bool) -> ScreeningOutcome:
    audience = "child" if is_child else "adult"
    indicators = {ind["code"]: ind for ind in definition["indicators"] if audience in ind.get("applies_to", [audience])}
    chosen = set(answers)
    dims: list[DimensionOutcome] = []
    clauses = definition["dimension_rule"]["any_of"]
    for dim in definition["dimensions"]:
        observed = [c for c, ind in indicators.items() if ind["dimension"] == dim["code"] and c in chosen]
        counts = {s: sum(1 for c in observed if indicators[c]["strength"] == s) for s in STRENGTHS}
        met = next((i for i, clause in enumerate(clauses) if clause_met(clause, counts)), None)
        # The nearest clause: the fewest indicators still to find; of equals, the one asking for
        # weaker signs (they are easier to find), then the first.
        gaps = [shortfall(clause, counts) for clause in clauses]
        missing = {} if met is not None else min(gaps, key=lambda gap: (sum(gap.values()), _weight(gap)))
        dims.append(
            DimensionOutcome(dim["code"], dim["title"], dim["group"], met is not None, counts, observed, met, missing)
        )
    groups: dict[str, bool] = {}
    for d in dims:
        groups[d.group] = groups.get(d.group, False) or d.positive
    required = list(definition["victim_rule"][audience]["all_of_groups"])
    presumed = all(groups.get(g, False) for g in required)
    outcome = PRESUMED if presumed else ASSESS if _assessment(definition, audience, groups) else NOT_INDICATED
    result = ScreeningOutcome(presumed, dims, groups, required, [], is_child, outcome, list(clauses))
    result.explanation = _explain(result.as_reasons())
    return result
