"""The screening rule, both ways, for adults and children."""

import pytest

from conftest import MINI_LIST, PRESUMED_ADULT
from nrm.cases.screening import UnknownIndicator, clause_met, evaluate


def test_adult_with_all_three_groups_is_presumed_victim():
    out = evaluate(MINI_LIST, PRESUMED_ADULT, is_child=False)
    assert out.presumed_victim is True
    assert out.groups == {"recruitment": True, "exploitation": True, "coercion": True}


def test_adult_without_coercion_is_not_indicated_and_says_why():
    answers = [a for a in PRESUMED_ADULT if not a.startswith("coercion")]
    out = evaluate(MINI_LIST, answers, is_child=False)
    assert out.presumed_victim is False
    assert out.groups["coercion"] is False
    assert any("coercion: not positive" in line for line in out.explanation)


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
