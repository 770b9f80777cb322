"""Disclosure control: what is published is true, and no suppressed count can be worked out.

The property tests check the suppression with methods of their own, not the module's:

- two dimensions: for every suppressed cell, an alternative table is built by a +1/-1
  adjustment around a cycle of suppressed cells (found here by a separate search), and checked
  to be non-negative and to agree with every published cell and margin while differing in that
  cell. Such a cycle exists exactly when the cell is not a bridge of the graph of suppressed
  cells, which is exactly when the linear equations of the lines do not pin it down;
- three dimensions: exact linear algebra over the rationals: a suppressed cell is determined by
  the published values if and only if its unit vector lies in the row space of the line
  equations restricted to the suppressed cells. It must not, for any of them.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrm.reporting import disclosure, engine
from nrm.reporting.disclosure import augment, is_balanced, lines, round_value, suppress, witness

SMALL = st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 25])


def tables(max_dims: int, max_size: int):
    """Strategy: (shape, inner cells) of a table of 1..max_dims dimensions, mostly small counts."""

    @st.composite
    def build(draw):
        n = draw(st.integers(1, max_dims))
        shape = [draw(st.integers(1, max_size)) for _ in range(n)]
        cells = {key: draw(SMALL) for key in product(*(range(s) for s in shape))}
        return shape, cells

    return build()


def check_published(table, shape, hidden, threshold) -> None:
    """Assert the primary rule, zeros shown, and the line rule (no line with one hidden entry)."""
    for key, value in table.items():
        if key in hidden:
            assert value > 0, "a zero was suppressed"
        else:
            assert value == 0 or value >= threshold, f"{key}={value} published under the threshold"
    for _d, keys in lines(shape):
        assert sum(1 for k in keys if k in hidden) != 1, f"line {keys} gives its suppressed entry away"


# --- Two dimensions: an alternative table by a cycle adjustment ------------------------------


def cycle_through(hidden: set, cell: tuple) -> list[tuple] | None:
    """Return a cycle of suppressed cells through ``cell``, alternating rows and columns, or None.

    A breadth-first search, written apart from the module's, over the graph whose nodes are the
    rows and columns of the augmented table and whose edges are the suppressed cells: from
    ``cell``'s column back to its row without using ``cell``.
    """
    adj: dict = {}
    for r, c in hidden:
        if (r, c) != cell:
            adj.setdefault(("r", r), []).append((("c", c), (r, c)))
            adj.setdefault(("c", c), []).append((("r", r), (r, c)))
    start, goal = ("c", cell[1]), ("r", cell[0])
    came: dict = {start: None}
    queue = deque([start])
    while queue and goal not in came:
        node = queue.popleft()
        for nxt, edge in adj.get(node, []):
            if nxt not in came:
                came[nxt] = (node, edge)
                queue.append(nxt)
    if goal not in came:
        return None
    path = []
    node = goal
    while came[node] is not None:
        node, edge = came[node]
        path.append(edge)
    return [cell, *reversed(path)]


def alternative(table: dict, hidden: set, cell: tuple, shape) -> dict | None:
    """Return another non-negative table agreeing with everything published, or None."""
    cycle = cycle_through(hidden, cell)
    if cycle is None:
        return None
    alt = dict(table)
    for step, key in enumerate(cycle):
        # In signed terms (a margin's sign flipped per total index) a cycle alternates +1/-1.
        sign = (-1) ** sum(1 for d, i in enumerate(key) if i == shape[d])
        alt[key] += (-1) ** step * sign
    return alt


def assert_consistent(alt: dict, shape) -> None:
    """Assert ``alt`` is non-negative and its margins are the sums of its cells."""
    assert all(v >= 0 for v in alt.values())
    inner = {k: v for k, v in alt.items() if all(i < shape[d] for d, i in enumerate(k))}
    assert augment(inner, shape) == alt


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(max_dims=2, max_size=5), st.integers(2, 6))
def test_two_dimensional_tables_hide_every_suppressed_cell(spec, threshold):
    shape, cells = spec
    if len(shape) == 1:
        shape, cells = [*shape, 1], {(*k, 0): v for k, v in cells.items()}
    table = augment(cells, shape)
    hidden = suppress(table, shape, threshold)
    check_published(table, shape, hidden, threshold)
    for cell in hidden:
        alt = alternative(table, hidden, cell, shape)
        assert alt is not None, f"{cell} can be worked out from the published values"
        assert_consistent(alt, shape)
        assert alt[cell] != table[cell]
        assert all(alt[k] == table[k] for k in table if k not in hidden)


# --- Three dimensions: exact linear algebra --------------------------------------------------


def determined(shape, hidden: set) -> set:
    """Return the suppressed cells that the line equations pin down (exact, over the rationals)."""
    order = sorted(hidden)
    col = {k: i for i, k in enumerate(order)}
    rows = []
    for _d, keys in lines(shape):
        row = [Fraction(0)] * len(order)
        for k in keys[:-1]:
            if k in col:
                row[col[k]] += 1
        if keys[-1] in col:
            row[col[keys[-1]]] -= 1
        if any(row):
            rows.append(row)
    # Reduced row echelon form.
    pivots: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        row = list(row)
        for p, prow in pivots:
            if row[p]:
                f = row[p]
                row = [a - f * b for a, b in zip(row, prow, strict=True)]
        lead = next((i for i, v in enumerate(row) if v), None)
        if lead is None:
            continue
        row = [v / row[lead] for v in row]
        pivots = [(p, [a - prow[lead] * b for a, b in zip(prow, row, strict=True)]) for p, prow in pivots]
        pivots.append((lead, row))
    out = set()
    for k in order:
        unit = [Fraction(0)] * len(order)
        unit[col[k]] = Fraction(1)
        for p, prow in pivots:
            if unit[p]:
                f = unit[p]
                unit = [a - f * b for a, b in zip(unit, prow, strict=True)]
        if not any(unit):
            out.add(k)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 3), min_size=3, max_size=3), st.data(), st.integers(2, 6))
def test_three_dimensional_tables_hide_every_suppressed_cell(shape, data, threshold):
    cells = {key: data.draw(SMALL) for key in product(*(range(s) for s in shape))}
    table = augment(cells, shape)
    hidden = suppress(table, shape, threshold)
    check_published(table, shape, hidden, threshold)
    assert not determined(shape, hidden)
    for cell in hidden:
        # The module's own witness, checked here: balanced, on suppressed cells, non-negative.
        delta = witness(shape, hidden, cell)
        assert delta and delta[cell] != 0 and set(delta) <= hidden
        assert is_balanced(delta, shape)
        for sign in (1, -1):
            alt = {k: v + sign * delta.get(k, 0) for k, v in table.items()}
            assert_consistent(alt, shape)


@settings(max_examples=100, deadline=None)
@given(tables(max_dims=1, max_size=6), st.integers(2, 6))
def test_one_dimensional_tables_hide_every_suppressed_cell(spec, threshold):
    shape, cells = spec
    table = augment(cells, shape)
    hidden = suppress(table, shape, threshold)
    check_published(table, shape, hidden, threshold)
    assert not determined(shape, hidden)


# --- Published tables: the values are the true ones ------------------------------------------


def cube_of(shape, cells) -> engine.Cube:
    domains = [[f"v{i}" for i in range(n)] for n in shape]
    counts = {}
    for key, value in augment(cells, shape).items():
        counts[tuple(None if i == len(dom) else dom[i] for i, dom in zip(key, domains, strict=True))] = value
    return engine.Cube(
        source="national",
        population="registered",
        unit="persons",
        definition="test",
        dims=list(engine.DIMENSIONS)[: len(shape)],
        domains=domains,
        counts=counts,
        filters={},
    )


@settings(max_examples=100, deadline=None)
@given(tables(max_dims=3, max_size=4), st.integers(2, 6))
def test_every_published_cell_and_margin_is_the_true_value(spec, threshold):
    shape, cells = spec
    cube = cube_of(shape, cells)
    table = engine.publish(cube, threshold=threshold)
    for cell in table.cells + table.totals:
        truth = cube.counts[tuple(cell.key[d] for d in cube.dims)]
        if cell.suppressed:
            assert cell.count is None and truth > 0
        else:
            assert cell.count == truth
    assert len(table.cells) == len(cells)
    assert table.totals[-1].key == dict.fromkeys(cube.dims)


# --- Examples --------------------------------------------------------------------------------


def test_a_small_cell_takes_three_complements_and_no_margin():
    shape = [2, 2]
    table = augment({(0, 0): 3, (0, 1): 10, (1, 0): 10, (1, 1): 10}, shape)
    hidden = suppress(table, shape, 5)
    assert hidden == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert table[(2, 2)] == 33  # the grand total stays published


def test_zeros_are_published_and_never_complements():
    shape = [3]
    table = augment({(0,): 2, (1,): 0, (2,): 40}, shape)
    hidden = suppress(table, shape, 5)
    assert (1,) not in hidden
    assert hidden == {(0,), (2,)}  # the smallest non-zero complement, not the zero


def test_a_small_margin_is_suppressed_too():
    shape = [2, 3]
    table = augment({(0, 0): 1, (0, 1): 1, (0, 2): 1, (1, 0): 9, (1, 1): 9, (1, 2): 9}, shape)
    hidden = suppress(table, shape, 5)
    assert (0, 3) in hidden  # the row total, 3, is under the threshold
    check_published(table, shape, hidden, 5)


def test_the_line_rule_alone_is_not_enough():
    """Two 2x2 blocks joined by one cell: every line holds two suppressed entries or none, yet the
    joining cell is determined (a bridge), so it has no witness; one more cell makes a cycle."""
    shape = [4, 4]
    blocks = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)}
    hidden = blocks | {(1, 2)}
    assert all(sum(1 for k in keys if k in hidden) != 1 for _d, keys in lines(shape))
    assert determined(shape, hidden) == {(1, 2)}
    assert witness(shape, hidden, (1, 2)) is None
    assert cycle_through(hidden, (1, 2)) is None

    hidden.add((2, 1))
    assert not determined(shape, hidden)
    assert witness(shape, hidden, (1, 2)) is not None


def test_suppress_mends_a_bridge():
    shape = [4, 4]
    cells = dict.fromkeys(product(range(4), range(4)), 30)
    cells.update({(0, 0): 1, (0, 1): 30, (1, 0): 30, (1, 1): 1, (2, 2): 1, (2, 3): 30, (3, 2): 30, (3, 3): 1})
    table = augment(cells, shape)
    hidden = suppress(table, shape, 5)
    check_published(table, shape, hidden, 5)
    assert not determined(shape, hidden)


def test_a_table_without_dimensions_suppresses_a_small_total():
    assert suppress({(): 3}, [], 5) == {()}
    assert suppress({(): 7}, [], 5) == set()


@pytest.mark.parametrize(("value", "base", "out"), [(0, 5, 0), (7, 5, 5), (8, 5, 10), (12, 10, 10), (15, 10, 20)])
def test_rounding(value, base, out):
    assert round_value(value, base) == out
    assert round_value(value, None) == value


def test_rounding_is_applied_after_suppression():
    cube = cube_of([2], {(0,): 2, (1,): 13})
    table = engine.publish(cube, threshold=5, rounding=5)
    assert [(c.count, c.suppressed) for c in table.cells] == [(None, True), (None, True)]
    assert table.totals[0].count == 15
    cube = cube_of([2], {(0,): 7, (1,): 13})
    assert [c.count for c in engine.publish(cube, threshold=5, rounding=10).cells] == [10, 10]


def test_negative_counts_are_refused():
    with pytest.raises(disclosure.DisclosureError):
        augment({(0,): -1}, [1])
