"""The protected statistics cube: every published table is cut from one protected family of cubes.

Why: two tables that are each safely suppressed can still be subtracted from one another (the
table by form of exploitation minus the same table filtered to women gives the men, cell by
cell). So disclosure control does not run per table asked for; it runs once per population on a
*family* of cubes, and every table, filter, page, API answer and export is read off that family:

- A population's cubes (:func:`family`) are the cross-classifications its standard tables need
  (their dimensions, plus the year so that "one year's table" is a slice), those registered with
  :func:`register_cube` for ad-hoc tables, and each dimension no other cube holds, by year. A
  table whose dimensions and filters fit in no cube is refused (400): the publishable
  dimension sets are those that can be protected together.
- The cubes are suppressed *together* (:func:`protect`): a cell is known by what it counts (its
  categories and the cube's fixed filters), and a cell hidden in one cube is hidden in every cube
  that holds it, repeated until nothing changes. Then an exact audit
  (:func:`nrm.reporting.disclosure.determined`) solves every additive line of every cube over the
  rationals; a hidden cell the published ones would still pin down gets a box of further
  suppressions, and the round repeats. So no combination of published numbers, from any tables of
  the population, determines a hidden cell.
- A table asked for (:func:`table`) is a slice or aggregation of the smallest cube that holds it:
  a filter to one category is that category's cells; a filter to several sums them, published
  only when each part is published and the cube is additive (nobody counted in two parts),
  otherwise shown suppressed. No number leaves that is not a protected cell or a sum of them.
- Filters accept only a dimension's known values; anything else is a 400 naming the filter.
  Published tables all use the configured threshold: tables at two thresholds would be two
  suppression patterns to compare.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from django.utils.translation import gettext as _

from nrm.core.errors import invalid
from nrm.reporting import disclosure, engine
from nrm.reporting.engine import TOTAL, UNKNOWN, Cube, StatTable

Identity = frozenset  # what a cell counts: {(dimension, category)}, fixed filters included
COUNTRY_DIMENSIONS = {"citizenship", "country_of_exploitation"}
YEARS = range(1900, 2101)
CACHE_SIZE = 64


@dataclass(frozen=True)
class CubeSpec:
    """One cube of a family: its dimensions, and the filters fixed for it (a standard table's)."""

    dims: tuple[str, ...]
    fixed: tuple[tuple[str, tuple], ...] = ()

    @property
    def fixed_dict(self) -> dict[str, list]:
        return {name: list(values) for name, values in self.fixed}


_EXTRA: dict[str, list[tuple[str, ...]]] = {}


def register_cube(population: str, dims: Sequence[str]) -> None:
    """Make ``dims`` of ``population`` publishable as an ad-hoc table (and every table inside it).

    Each cube registered costs a query and joins the suppression of the whole population, so
    register the combinations people ask for, not every combination.
    """
    extra = _EXTRA.setdefault(population, [])
    if tuple(dims) not in extra:
        extra.append(tuple(dims))


def _fixed(filters: Mapping[str, Any]) -> tuple[tuple[str, tuple], ...]:
    parsed = engine.parse_filters(filters)
    return tuple(sorted((name, tuple(values)) for name, values in parsed.items()))


def family(population: str, source: str = engine.NATIONAL) -> list[CubeSpec]:
    """Return the cubes published for ``population`` of ``source``, none inside another."""
    from nrm.reporting.tables import REPORTS

    available = set(engine.dimensions_of(source, population))
    with_year = ("year",) if "year" in available else ()
    wanted: list[CubeSpec] = []
    for report in REPORTS.values():
        if report.population == population:
            dims = report.dims + tuple(d for d in with_year if d not in report.dims)
            wanted.append(CubeSpec(dims, _fixed(report.filters)))
    for dims in _EXTRA.get(population, []):
        wanted.append(CubeSpec(tuple(dims)))
    # Every dimension can at least be published by year, alone.
    covered = {d for s in wanted if not s.fixed for d in s.dims}
    wanted += [CubeSpec((*with_year, d)) for d in sorted(available - covered - {"year"})]
    if not wanted:
        wanted = [CubeSpec(with_year)]
    specs = [s for s in dict.fromkeys(wanted) if set(s.dims) <= available]
    # A cube inside another (same fixed filters) publishes nothing the larger one does not.
    return [
        s
        for s in specs
        if not any(o is not s and o.fixed == s.fixed and set(s.dims) < set(o.dims) for o in specs)
        and specs.index(s) == next(i for i, o in enumerate(specs) if o.fixed == s.fixed and set(o.dims) == set(s.dims))
    ]


# --- Protecting a family -----------------------------------------------------------------------


@dataclass
class Protected:
    """A family of cubes with one suppression pattern: ``hidden[i]`` are the keys hidden in cube ``i``."""

    specs: list[CubeSpec]
    cubes: list[Cube]
    tables: list[dict[tuple[int, ...], int]]
    hidden: list[set[tuple[int, ...]]]
    additive: list[bool]
    threshold: int


def _identity(spec: CubeSpec, cube: Cube, key: tuple[int, ...]) -> Identity:
    items = [(name, values[0] if len(values) == 1 else values) for name, values in spec.fixed]
    for d, dom, i in zip(cube.dims, cube.domains, key, strict=True):
        if i != len(dom):
            items.append((d, dom[i]))
    return frozenset(items)


def _is_additive(table: Mapping[tuple[int, ...], int], shape: Sequence[int]) -> bool:
    return all(sum(table[k] for k in keys[:-1]) == table[keys[-1]] for _d, keys in disclosure.lines(shape))


_cache: OrderedDict[tuple, list[set]] = OrderedDict()


def protect(population: str, source: str = engine.NATIONAL, threshold: int | None = None) -> Protected:
    """Count every cube of ``population``'s family and suppress them together (see the module docstring).

    The pattern depends only on the counts, so it is kept for identical counts: a page read twice
    costs the queries, not the suppression.
    """
    threshold = engine.threshold_default() if threshold is None else threshold
    if threshold < 1:
        raise invalid("threshold", _("The threshold must be at least 1."))
    specs = family(population, source)
    cubes = [engine.compute(by=s.dims, source=source, population=population, filters=s.fixed_dict) for s in specs]
    tables = [c.indexed() for c in cubes]
    key = (source, population, threshold, tuple(specs), tuple(tuple(sorted(t.items())) for t in tables))
    hidden = _cache.get(key)
    if hidden is None:
        hidden = suppress_family(specs, cubes, tables, threshold)
        _cache[key] = hidden
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    additive = [_is_additive(t, c.shape) for t, c in zip(tables, cubes, strict=True)]
    return Protected(specs, cubes, tables, [set(h) for h in hidden], additive, threshold)


def suppress_family(
    specs: list[CubeSpec], cubes: list[Cube], tables: list[dict], threshold: int
) -> list[set[tuple[int, ...]]]:
    ids = [{k: _identity(s, c, k) for k in t} for s, c, t in zip(specs, cubes, tables, strict=True)]
    where: dict[Identity, list[tuple[int, tuple[int, ...]]]] = {}
    for i, keys in enumerate(ids):
        for k, ident in keys.items():
            where.setdefault(ident, []).append((i, k))
    forced: set[Identity] = set()
    while True:
        # Linked suppression: what one cube hides, every cube holding the same cell hides.
        while True:
            hidden = [
                _suppress_one(t, c.shape, threshold, [k for k in t if ids[i][k] in forced])
                for i, (c, t) in enumerate(zip(cubes, tables, strict=True))
            ]
            now = {ids[i][k] for i, h in enumerate(hidden) for k in h}
            if now <= forced:
                break
            forced |= now
        # Exact audit over every cube's additive lines; a pinned-down cell gets a box.
        pinned = disclosure.determined(_equations(cubes, tables, ids, forced))
        if not pinned:
            return hidden
        for ident in sorted(pinned, key=sorted):
            i, k = where[ident][0]
            box = disclosure.box(tables[i], cubes[i].shape, hidden[i], k)
            hidden[i].update(box)
            forced |= {ids[i][b] for b in box}


def _suppress_one(table: dict, shape: list[int], threshold: int, forced: list) -> set:
    try:
        return disclosure.suppress(table, shape, threshold, forced)
    except disclosure.DisclosureError:
        return {k for k, v in table.items() if v > 0}


def _equations(cubes: list[Cube], tables: list[dict], ids: list[dict], hidden: set[Identity]) -> list[dict]:
    """Return the lines of every cube that hold (categories sum to the total) and touch a hidden cell.

    The unknowns are cells by identity, so a cell shared by two cubes is one unknown. Published
    values are constants and drop out. A line that does not add up (a person in two categories)
    is no equation an attacker can use.
    """
    seen: set[frozenset] = set()
    out: list[dict] = []
    for cube, table, keys in zip(cubes, tables, ids, strict=True):
        for _d, line in disclosure.lines(cube.shape):
            if sum(table[k] for k in line[:-1]) != table[line[-1]]:
                continue
            row: dict[Identity, int] = {}
            for k in line[:-1]:
                if keys[k] in hidden:
                    row[keys[k]] = row.get(keys[k], 0) + 1
            if keys[line[-1]] in hidden:
                row[keys[line[-1]]] = row.get(keys[line[-1]], 0) - 1
            signature = frozenset(row.items())
            if row and signature not in seen:
                seen.add(signature)
                out.append(row)
    return out


# --- Reading a table off the family --------------------------------------------------------------


def check_values(name: str, values: Sequence, known: Iterable) -> None:
    """Refuse a filter value the dimension ``name`` does not have, naming the filter (400)."""
    known = set(known)
    for value in values:
        if name == "year":
            if value == UNKNOWN or (isinstance(value, int) and value in YEARS):
                continue
        elif name in COUNTRY_DIMENSIONS:
            if value == UNKNOWN or re.fullmatch(r"[A-Z]{2}", str(value)):
                continue
        elif value in known:
            continue
        hint = (
            _("a year from 1900 to 2100")
            if name == "year"
            else _("a two-letter country code in capitals")
            if name in COUNTRY_DIMENSIONS
            else ", ".join(sorted(map(str, known)))
        )
        raise invalid(
            name,
            _("%(value)s is not a category of %(name)s: use %(hint)s.") % {"value": value, "name": name, "hint": hint},
        )


def _known(name: str, cube: Cube) -> set:
    i = cube.dims.index(name)
    labels = engine.category_labels([name]).get(name, {})
    return {*cube.domains[i], *labels, *engine.order_of(name), *engine.ALWAYS.get(name, []), UNKNOWN}


def _pick(protected: Protected, dims: Sequence[str], filtered: Sequence[str], fixed: tuple) -> int:
    """Return the smallest cube holding ``dims`` and ``filtered``; refuse, naming what does not fit."""
    own = [s for s in protected.specs if s.fixed == fixed]

    def fits(needed: set[str]) -> list[int]:
        return [i for i, s in enumerate(protected.specs) if s.fixed == fixed and needed <= set(s.dims)]

    if not fits(set(dims)):
        sets = "; ".join(", ".join(s.dims) for s in own)
        raise invalid(
            "by",
            _(
                "These dimensions cannot be published together: every table of this population is cut "
                "from one of these sets of dimensions, protected together: %(sets)s."
            )
            % {"sets": sets},
        )
    for name in filtered:
        if not fits({*dims, name}):
            raise invalid(name, _("This table cannot be narrowed by %(name)s.") % {"name": name})
    found = fits({*dims, *filtered})
    if not found:
        raise invalid(filtered[-1], _("This table cannot be narrowed by these filters together."))
    return min(found, key=lambda i: (len(protected.specs[i].dims), i))


def cut(
    cube: Cube,
    values: Mapping[tuple[int, ...], int],
    hidden: set[tuple[int, ...]],
    additive: bool,
    dims: Sequence[str],
    wanted: Mapping[str, list],
) -> tuple[list[list], dict[tuple[int, ...], int], set[tuple[int, ...]]]:
    """Return the table by ``dims`` narrowed to ``wanted`` read off a protected cube: domains, values, hidden.

    A cell is one cube cell, or the sum of several (a filter to several categories); a sum is
    hidden unless each part is published and the cube is ``additive``.
    """
    # Per cube dimension: the categories shown (a shown dimension) or the set summed (the rest).
    index = {d: {v: j for j, v in enumerate(dom)} for d, dom in zip(cube.dims, cube.domains, strict=True)}
    domains = [list(wanted[d]) if d in wanted else list(cube.domains[cube.dims.index(d)]) for d in dims]

    def members(d: str, category: Any) -> list:
        """The cube indices a shown category (or TOTAL) of ``d`` stands for; None: a known zero."""
        total = len(cube.domains[cube.dims.index(d)])
        if category is TOTAL:
            chosen = wanted.get(d)
            # Every category anyone falls in chosen: the cube's own margin, exact for persons too.
            if chosen is None or set(index[d]) <= set(chosen):
                return [total]
            return [index[d].get(v) for v in chosen]
        return [index[d].get(category)]

    def number(categories: Sequence[Any]) -> tuple[int, bool]:
        """The exact count of the shown ``categories`` (TOTAL where summed) and whether it is hidden."""
        parts = [members(d, categories[dims.index(d)]) if d in dims else members(d, TOTAL) for d in cube.dims]
        cells = [k for k in product(*parts) if None not in k]  # a category nobody falls in adds zero
        exact = sum(values[k] for k in cells)
        return exact, any(k in hidden for k in cells) or (len(cells) > 1 and not additive and exact > 0)

    if wanted:
        # Narrowed by a filter: a shown category nobody in the slice falls in is left out, as
        # when the table is counted narrowed (but the categories always shown, and the years
        # between the first and the last, stay). A zero is no secret: the pattern is unchanged.
        for j, d in enumerate(dims):
            if d in wanted:
                continue
            rest = [TOTAL] * len(dims)
            used = [c for c in domains[j] if number([*rest[:j], c, *rest[j + 1 :]])[0] != 0]
            years = [c for c in used if isinstance(c, int)]
            domains[j] = [
                c
                for c in domains[j]
                if c in used
                or c in engine.ALWAYS.get(d, [])
                or (isinstance(c, int) and years and years[0] <= c <= years[-1])
            ]

    out_values: dict[tuple[int, ...], int] = {}
    out_hidden: set[tuple[int, ...]] = set()
    for out_key in product(*(range(len(dom) + 1) for dom in domains)):
        categories = [TOTAL if pos == len(dom) else dom[pos] for pos, dom in zip(out_key, domains, strict=True)]
        exact, suppressed = number(categories)
        if suppressed:
            out_hidden.add(out_key)
        out_values[out_key] = exact
    return domains, out_values, out_hidden


def table(
    *,
    by: Sequence[str],
    population: str,
    source: str = engine.NATIONAL,
    filters: Mapping[str, Any] | None = None,
    fixed: Mapping[str, Any] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    name: str = "",
    title: str = "",
    notes: Sequence[str] = (),
) -> StatTable:
    """Return the published table of ``population`` by ``by``: a slice of its protected family.

    ``fixed`` are a standard table's own filters (part of its cube); ``filters`` the reader's.
    """
    dims = engine.parse_dims(by)
    wanted = engine.parse_filters(filters)
    fixed_key = _fixed(fixed or {})
    available = engine.dimensions_of(source, population)
    for d in [*dims, *wanted]:
        if d not in available:
            raise invalid(
                "by" if d in dims else d,
                _("The dimension %(name)s does not exist for this population.") % {"name": d},
            )
    protected = protect(population, source, threshold)
    i = _pick(protected, dims, list(wanted), fixed_key)
    cube, values, hidden = protected.cubes[i], protected.tables[i], protected.hidden[i]
    for d, chosen in wanted.items():
        check_values(d, chosen, _known(d, cube))
    domains, out_values, out_hidden = cut(cube, values, hidden, protected.additive[i], dims, wanted)
    view = Cube(
        source=cube.source,
        population=population,
        unit=cube.unit,
        definition=cube.definition,
        dims=dims,
        domains=domains,
        counts={},
        filters={**engine.parse_filters(fixed or {}), **wanted},
        labels=engine.category_labels(dims),
    )
    return engine.assemble(
        view,
        out_values,
        out_hidden,
        threshold=protected.threshold,
        rounding=rounding,
        raw=False,
        name=name,
        title=title,
        notes=[
            *notes,
            _(
                "Every published table of this population is cut from the same protected counts, so no "
                "comparison of tables or filters gives a suppressed count away. A total over several chosen "
                "categories is shown only where each of its parts is shown and nobody is counted in two of them."
            ),
        ],
    )
