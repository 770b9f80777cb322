"""Properties of the screening rule, for the test list, the bundled ILO list and random rules.

- Monotonicity: observing one more indicator never turns a presumed victim into "not indicated".
- Children: the result never depends on coercion or means (the coercion group's answers).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI_LIST
from nrm.cases.screening import RANK, STRENGTHS, clause_met, evaluate, list_forms

ILO_LIST = json.loads((Path(__file__).resolve().parent.parent / "data" / "ilo_ec_2009.json").read_text("utf-8"))
LISTS = {"mini": MINI_LIST, "ilo": ILO_LIST}
AUDIENCES = ["adult", "child"]

counts_st = st.fixed_dictionaries({s: st.integers(0, 6) for s in STRENGTHS})
clause_st = st.dictionaries(st.sampled_from(["strong", "medium", "weak", "medium_or_weak"]), st.integers(0, 4))


def applicable(definition: dict, audience: str) -> list[str]:
    return [i["code"] for i in definition["indicators"] if audience in i.get("applies_to", [audience])]


def in_form(definition: dict, form: str | None) -> list[str]:
    """The codes of the list of ``form`` (every code when the list has no forms)."""
    return [i["code"] for i in definition["indicators"] if form is None or form in i.get("forms", [form])]


def group_of(definition: dict) -> dict[str, str]:
    dims = {d["code"]: d["group"] for d in definition["dimensions"]}
    return {i["code"]: dims[i["dimension"]] for i in definition["indicators"]}


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(clause=clause_st, counts=counts_st, strength=st.sampled_from(STRENGTHS))
def test_clause_is_monotone(clause, counts, strength):
    if clause_met(clause, counts):
        assert clause_met(clause, {**counts, strength: counts[strength] + 1})


@pytest.mark.parametrize("name", list(LISTS))
def test_a_stronger_sign_never_counts_for_less_under_the_bundled_rules(name):
    """Replacing a weak or medium indicator by a strong one keeps a positive dimension positive.

    True of the ILO rule as a whole, not of every clause alone: ``{"medium": 1}`` asks for a
    medium sign and a strong one does not stand in for it; only ``medium_or_weak`` is met by
    spare strong signs.
    """
    clauses = LISTS[name]["dimension_rule"]["any_of"]

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(counts=counts_st)
    def check(counts):
        if any(clause_met(c, counts) for c in clauses):
            for weaker in ("medium", "weak"):
                if counts[weaker]:
                    upgraded = {**counts, weaker: counts[weaker] - 1, "strong": counts["strong"] + 1}
                    assert any(clause_met(c, upgraded) for c in clauses)

    check()


@st.composite
def answers_and_extra(draw, definition: dict, audience: str):
    codes = applicable(definition, audience)
    answers = draw(st.sets(st.sampled_from(codes), max_size=len(codes)))
    extra = draw(st.sampled_from(codes))
    return sorted(answers), extra


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("name", list(LISTS))
def test_adding_an_indicator_never_removes_a_presumption(name, audience):
    definition = LISTS[name]
    is_child = audience == "child"

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answers_and_extra(definition, audience))
    def check(drawn):
        answers, extra = drawn
        before = evaluate(definition, answers, is_child=is_child)
        after = evaluate(definition, sorted({*answers, extra}), is_child=is_child)
        if before.presumed_victim:
            assert after.presumed_victim
        assert RANK[after.outcome] >= RANK[before.outcome]
        # And, within each form's list, no dimension or group goes from positive to negative.
        for form in list_forms(definition) or [None]:
            mine = set(in_form(definition, form))
            old_one = evaluate(
                definition, sorted(mine & set(answers)), is_child=is_child, forms=[form] if form else None
            )
            new_one = evaluate(
                definition, sorted(mine & {*answers, extra}), is_child=is_child, forms=[form] if form else None
            )
            for old, new in zip(old_one.dimensions, new_one.dimensions, strict=True):
                assert new.positive or not old.positive
            assert all(new_one.groups[g] for g, positive in old_one.groups.items() if positive)

    check()


@st.composite
def random_rule(draw):
    """Return the test list with a random dimension rule, to check the property of any rule."""
    definition = copy.deepcopy(MINI_LIST)
    definition["dimension_rule"] = {"any_of": draw(st.lists(clause_st, min_size=1, max_size=4))}
    return definition


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=random_rule(), data=st.data(), is_child=st.booleans())
def test_monotone_under_any_dimension_rule(definition, data, is_child):
    audience = "child" if is_child else "adult"
    answers, extra = data.draw(answers_and_extra(definition, audience))
    if evaluate(definition, answers, is_child=is_child).presumed_victim:
        assert evaluate(definition, sorted({*answers, extra}), is_child=is_child).presumed_victim


@pytest.mark.parametrize("name", list(LISTS))
def test_a_childs_result_never_depends_on_coercion(name):
    definition = LISTS[name]
    groups = group_of(definition)
    codes = applicable(definition, "child")
    coercion = [c for c in codes if groups[c] == "coercion"]
    other = [c for c in codes if groups[c] != "coercion"]
    assert coercion and other

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        base=st.sets(st.sampled_from(other)),
        first=st.sets(st.sampled_from(coercion)),
        second=st.sets(st.sampled_from(coercion)),
    )
    def check(base, first, second):
        a = evaluate(definition, sorted(base | first), is_child=True)
        b = evaluate(definition, sorted(base | second), is_child=True)
        assert a.presumed_victim == b.presumed_victim
        assert "coercion" not in a.required_groups
        # Everything outside the coercion group is the same too.
        assert [d for d in a.dimensions if d.group != "coercion"] == [d for d in b.dimensions if d.group != "coercion"]

    check()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_adult_presumption_needs_every_group(data):
    """The counterpart for adults: without any coercion answer an adult is never presumed."""
    groups = group_of(ILO_LIST)
    codes = [c for c in applicable(ILO_LIST, "adult") if groups[c] != "coercion"]
    answers = data.draw(st.sets(st.sampled_from(codes)))
    assert not evaluate(ILO_LIST, sorted(answers), is_child=False).presumed_victim
