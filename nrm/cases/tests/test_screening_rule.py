"""The screening rule, both ways, for adults and children, with its three outcomes and its reasons."""

import pytest

from conftest import MINI_LIST, PRESUMED_ADULT
from nrm.cases.screening import (
    ASSESS,
    NOT_INDICATED,
    PRESUMED,
    UnknownIndicator,
    clause_met,
    evaluate,
    explain,
    rule_text,
    shortfall,
)


def test_adult_with_all_three_groups_is_presumed_victim():
    out = evaluate(MINI_LIST, PRESUMED_ADULT, is_child=False)
    assert out.presumed_victim is True
    assert out.groups == {"recruitment": True, "exploitation": True, "coercion": True}


def test_adult_without_coercion_is_referred_for_assessment_and_says_why():
    answers = [a for a in PRESUMED_ADULT if not a.startswith("coercion")]
    out = evaluate(MINI_LIST, answers, is_child=False)
    assert out.presumed_victim is False and out.outcome == ASSESS
    assert out.groups["coercion"] is False
    assert any("coercion: not positive" in line.lower() for line in out.explanation)
    # The reasons name the dimensions that decided it.
    assert "Exploitative conditions" in out.explanation[0] and "Refer for assessment" in out.explanation[0]


def test_one_strong_indicator_in_each_group_is_not_indicated_and_each_dimension_says_what_is_missing():
    """The reviewer's case: one strong indicator in each of recruitment, exploitation and coercion."""
    answers = ["deceptive_recruitment_strong1", "exploitative_conditions_strong1", "coercion_destination_strong1"]
    out = evaluate(MINI_LIST, answers, is_child=False)
    assert out.outcome == NOT_INDICATED
    touched = {d.code: d for d in out.dimensions if d.observed}
    assert set(touched) == {"deceptive_recruitment", "exploitative_conditions", "coercion_destination"}
    for dim in touched.values():
        assert dim.positive is False
        assert dim.missing == {"medium_or_weak": 1}  # the nearest clause: 1 strong + 1 medium or weak
    reasons = out.as_reasons()
    from nrm.cases.screening import dimension_status

    status = dimension_status(reasons["dimensions"][0], reasons["clauses"])
    assert status == "not positive: 1 medium or weak needed"
    # The rule itself is part of the explanation.
    assert any("2 strong or 1 strong + 1 medium or weak or 3 medium or 2 medium + 1 weak" in e for e in out.explanation)


def test_a_positive_dimension_names_the_clause_it_met():
    out = evaluate(MINI_LIST, PRESUMED_ADULT, is_child=False)
    from nrm.cases.screening import dimension_status

    reasons = out.as_reasons()
    recruitment = next(d for d in reasons["dimensions"] if d["code"] == "deceptive_recruitment")
    assert dimension_status(recruitment, reasons["clauses"]) == "positive: 2 strong"
    assert out.outcome == PRESUMED and out.explanation[0].startswith("Presumed victim")


def test_a_child_exploited_and_coerced_without_recruitment_facts_is_referred_for_assessment():
    answers = ["exploitative_conditions_strong1", "exploitative_conditions_medium1", "coercion_destination_strong1"]
    out = evaluate(MINI_LIST, answers, is_child=True)
    assert out.outcome == ASSESS
    # A child needs only the exploitation group for an assessment.
    only_exploited = evaluate(MINI_LIST, answers[:2], is_child=True)
    assert only_exploited.outcome == ASSESS
    # An adult with exploitation alone is not indicated; with exploitation and coercion, assessed.
    assert evaluate(MINI_LIST, answers[:2], is_child=False).outcome == NOT_INDICATED
    assert evaluate(MINI_LIST, [*answers, "coercion_destination_medium1"], is_child=False).outcome == ASSESS


def test_the_assessment_rule_is_data():
    answers = ["exploitative_conditions_strong1", "exploitative_conditions_medium1"]
    strict = {**MINI_LIST, "assessment_rule": {"child": {"all_of_groups": ["exploitation", "coercion"]}}}
    assert evaluate(strict, answers, is_child=True).outcome == NOT_INDICATED


def test_explanations_are_rendered_from_stored_reasons():
    reasons = evaluate(MINI_LIST, PRESUMED_ADULT[:4], is_child=False).as_reasons()
    assert explain(reasons) == reasons["explanation"]
    # Reasons stored before the third outcome (no "outcome" key) still explain themselves.
    old = {k: v for k, v in reasons.items() if k not in ("outcome", "clauses")}
    assert explain(old)[0].startswith("Not indicated")


@pytest.mark.parametrize(
    ("clause", "counts", "missing"),
    [
        ({"strong": 1, "medium_or_weak": 1}, {"strong": 0, "medium": 0, "weak": 0}, {"strong": 1, "medium_or_weak": 1}),
        ({"strong": 1, "medium_or_weak": 1}, {"strong": 1, "medium": 0, "weak": 0}, {"medium_or_weak": 1}),
        ({"strong": 2}, {"strong": 1, "medium": 3, "weak": 0}, {"strong": 1}),
        ({"medium": 2, "weak": 1}, {"strong": 0, "medium": 2, "weak": 1}, {}),
        ({"strong": 1, "medium_or_weak": 1}, {"strong": 2, "medium": 0, "weak": 0}, {}),
    ],
)
def test_shortfall(clause, counts, missing):
    assert shortfall(clause, counts) == missing
    assert (not missing) is clause_met(clause, counts)


def test_rule_text():
    assert rule_text([{"strong": 2}, {"strong": 1, "medium_or_weak": 1}]) == "2 strong or 1 strong + 1 medium or weak"


def test_child_needs_no_coercion():
    answers = [a for a in PRESUMED_ADULT if not a.startswith("coercion")]
    out = evaluate(MINI_LIST, answers, is_child=True)
    assert out.presumed_victim is True
    assert out.required_groups == ["recruitment", "exploitation"]


def test_child_without_exploitation_is_not_indicated():
    answers = [a for a in PRESUMED_ADULT if not a.startswith("exploitative")]
    assert evaluate(MINI_LIST, answers, is_child=True).presumed_victim is False


@pytest.mark.parametrize(
    ("counts", "positive"),
    [
        ({"strong": 2, "medium": 0, "weak": 0}, True),
        ({"strong": 1, "medium": 1, "weak": 0}, True),
        ({"strong": 1, "medium": 0, "weak": 1}, True),
        ({"strong": 0, "medium": 3, "weak": 0}, True),
        ({"strong": 0, "medium": 2, "weak": 1}, True),
        ({"strong": 1, "medium": 0, "weak": 0}, False),
        ({"strong": 0, "medium": 2, "weak": 0}, False),
        ({"strong": 0, "medium": 1, "weak": 3}, False),
        ({"strong": 0, "medium": 0, "weak": 3}, False),
    ],
)
def test_dimension_rule(counts, positive):
    clauses = MINI_LIST["dimension_rule"]["any_of"]
    assert any(clause_met(c, counts) for c in clauses) is positive


def test_unknown_indicator_is_refused():
    with pytest.raises(UnknownIndicator, match="nope"):
        evaluate(MINI_LIST, ["nope"], is_child=False)


def _two_lists() -> dict:
    """The mini list with a sexual-exploitation list beside the labour one: one indicator graded
    differently in each (as the ILO lists do), one in the sexual list only."""
    indicators = [{**i, "forms": ["labour", "sexual"]} for i in MINI_LIST["indicators"]]
    indicators += [
        {
            "code": "forced_clients",
            "dimension": "coercion_destination",
            "strength": "strong",
            "applies_to": ["adult", "child"],
            "forms": ["sexual"],
            "text": "Forced tasks or clients",
        },
    ]
    return {**MINI_LIST, "indicators": indicators}


def test_each_suspected_form_is_evaluated_on_its_own_list_and_the_strongest_outcome_decides():
    from nrm.cases.screening import list_forms

    definition = _two_lists()
    assert list_forms(definition) == ["labour", "sexual"]
    answers = [*PRESUMED_ADULT[:4], "forced_clients", "coercion_destination_weak1"]
    out = evaluate(definition, answers, is_child=False)
    assert out.outcome == PRESUMED and out.deciding_form == "sexual"
    assert out.forms == {"labour": ASSESS, "sexual": PRESUMED}
    assert any(line.startswith("Lists evaluated:") for line in out.explanation)
    # Suspecting labour only: the sexual list's indicator is not one to tick.
    with pytest.raises(UnknownIndicator, match="forced_clients"):
        evaluate(definition, answers, is_child=False, forms=["labour"])
    assert evaluate(definition, PRESUMED_ADULT, is_child=False, forms=["labour"]).forms == {"labour": PRESUMED}


def test_an_unknown_form_is_refused():
    from nrm.cases.screening import UnknownForm

    with pytest.raises(UnknownForm, match="organs"):
        evaluate(_two_lists(), [], is_child=False, forms=["organs"])
