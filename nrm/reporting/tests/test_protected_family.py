"""No combination of published numbers determines a hidden one (issue H, finding 5).

Hypothesis draws microdata (records over four small dimensions), a family of cubes (sets of
those dimensions) and slices of the cubes (the dimensions shown, filters to one or several
categories of the others). The family is protected by ``protect.suppress_family`` and the slices
are cut by ``protect.cut``, as for a published page (a slice adds what it shows to the published
numbers; what it does not show is a sum of cube cells, which are the secrets). The check is this test's own, not the
module's: every number, published or hidden, is a linear function of the finest cells (one per
combination of all four dimensions); a hidden number can be worked out from the published ones
exactly when its function lies in their span, decided by elimination over the rationals.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrm.reporting.engine import TOTAL, Cube
from nrm.reporting.protect import CubeSpec, cut, suppress_family

DIMS = ("a", "b", "c", "d")
COUNTS = st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 6, 8, 11])


@st.composite
def scenarios(draw):
    sizes = {d: draw(st.integers(2, 3)) for d in DIMS}
    domains = {d: [f"{d}{i}" for i in range(n)] for d, n in sizes.items()}
    finest = {cell: draw(COUNTS) for cell in product(*(domains[d] for d in DIMS))}
    subsets = st.lists(st.sampled_from(DIMS), min_size=1, max_size=3, unique=True).map(lambda s: tuple(sorted(s)))
    specs = draw(st.lists(subsets, min_size=1, max_size=4, unique=True))
    slices = []
    for spec in specs:
        for _ in range(draw(st.integers(0, 3))):
            shown = draw(st.lists(st.sampled_from(spec), max_size=len(spec), unique=True))
            wanted = {}
            for d in spec:
                if draw(st.booleans()):
                    wanted[d] = draw(st.lists(st.sampled_from(domains[d]), min_size=1, unique=True))
            slices.append((spec, shown, wanted))
    threshold = draw(st.sampled_from([3, 5]))
    return domains, finest, specs, slices, threshold


def _cube(spec: tuple[str, ...], domains: dict, finest: dict) -> Cube:
    counts: dict[tuple, int] = {}
    for cell, n in finest.items():
        values = dict(zip(DIMS, cell, strict=True))
        for mask in product((False, True), repeat=len(spec)):
            key = tuple(TOTAL if summed else values[d] for d, summed in zip(spec, mask, strict=True))
            counts[key] = counts.get(key, 0) + n
    return Cube("test", "test", "records", "", list(spec), [domains[d] for d in spec], counts, {})


def _function(conditions: dict[str, set], finest: dict) -> tuple[int, ...]:
    """The 0/1 vector over the finest cells of a number counting ``conditions`` (dimension -> categories)."""
    return tuple(
        1 if all(cell[DIMS.index(d)] in allowed for d, allowed in conditions.items()) else 0 for cell in finest
    )


def _span_test(published: list[tuple[int, ...]]):
    """Return a function telling whether a vector lies in the span of ``published`` (exact)."""
    basis: dict[int, list[Fraction]] = {}  # pivot position -> row with 1 there, reduced

    def reduce(vector) -> list[Fraction]:
        row = [Fraction(v) for v in vector]
        for pivot, base in basis.items():
            if row[pivot]:
                factor = row[pivot]
                row = [x - factor * y for x, y in zip(row, base, strict=True)]
        return row

    for vector in published:
        row = reduce(vector)
        pivot = next((i for i, x in enumerate(row) if x), None)
        if pivot is None:
            continue
        row = [x / row[pivot] for x in row]
        for other, base in basis.items():
            if base[pivot]:
                basis[other] = [x - base[pivot] * y for x, y in zip(base, row, strict=True)]
        basis[pivot] = row
    return lambda vector: not any(reduce(vector))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_hidden_number_is_a_combination_of_published_ones(scenario):
    domains, finest, spec_dims, slices, threshold = scenario
    specs = [CubeSpec(dims) for dims in spec_dims]
    cubes = [_cube(dims, domains, finest) for dims in spec_dims]
    tables = [c.indexed() for c in cubes]
    hidden = suppress_family(specs, cubes, tables, threshold)

    published: list[tuple[int, ...]] = []
    secret: list[tuple[tuple[int, ...], int]] = []

    def record(conditions: dict[str, set], value: int, suppressed: bool, *, cell: bool = True) -> None:
        vector = _function(conditions, finest)
        assert sum(v * n for v, n in zip(vector, finest.values(), strict=True)) == value
        if not suppressed:
            published.append(vector)
        elif cell:  # the cube's cells are the secrets; a sum a slice does not show is only not shown
            secret.append((vector, value))

    for cube, table, hid in zip(cubes, tables, hidden, strict=True):
        for key, value in table.items():
            conditions = {d: {dom[i]} for d, dom, i in zip(cube.dims, cube.domains, key, strict=True) if i < len(dom)}
            assert not (key in hid and value == 0), "a zero was hidden"
            assert key in hid or value == 0 or value >= threshold, "a small count was published"
            record(conditions, value, key in hid)
    for dims, shown, wanted in slices:
        i = spec_dims.index(dims)
        out_domains, values, out_hidden = cut(cubes[i], tables[i], hidden[i], True, shown, wanted)
        for key, value in values.items():
            conditions = {d: set(wanted[d]) for d in dims if d in wanted and d not in shown}
            for d, dom, j in zip(shown, out_domains, key, strict=True):
                conditions[d] = {dom[j]} if j < len(dom) else set(wanted.get(d, domains[d]))
            record(conditions, value, key in out_hidden, cell=False)

    in_span = _span_test(published)
    for vector, value in secret:
        assert value > 0
        assert not in_span(vector), f"a hidden count of {value} is a combination of published counts"


def test_the_finding_a_filtered_table_minus_the_unfiltered_one():
    """The reviewer's first line: adoption 9 in the table by form, 8 filtered to women, so men = 1."""
    domains = {"exploitation": ["sexual", "labour", "adoption"], "sex": ["F", "M"]}
    counts = {("sexual", "F"): 20, ("sexual", "M"): 12, ("labour", "F"): 6, ("labour", "M"): 15}
    counts |= {("adoption", "F"): 8, ("adoption", "M"): 1}
    cube = Cube("t", "t", "persons", "", ["exploitation", "sex"], list(domains.values()), {}, {})
    for (e, s), n in list(counts.items()):
        for key in [(e, s), (e, TOTAL), (TOTAL, s), (TOTAL, TOTAL)]:
            cube.counts[key] = cube.counts.get(key, 0) + n
    table = cube.indexed()
    [hidden] = suppress_family([CubeSpec(("exploitation", "sex"))], [cube], [table], 5)
    # The table by form alone, and the same filtered to women: both cut from the one cube.
    _d, by_form, by_form_hidden = cut(cube, table, hidden, True, ["exploitation"], {})
    _d, women, women_hidden = cut(cube, table, hidden, True, ["exploitation"], {"sex": ["F"]})
    adoption = 2
    assert (adoption,) in by_form_hidden or (adoption,) in women_hidden
    assert by_form[(adoption,)] == 9 and women[(adoption,)] == 8  # the true counts, not what is shown
