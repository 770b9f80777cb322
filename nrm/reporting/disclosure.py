"""Disclosure control: primary and secondary cell suppression, and optional rounding.

Everything here works on plain integers, without Django, so that it can be tested exhaustively.

Vocabulary
----------
A table of ``N`` dimensions is published with all its margins. Its *augmented* form has, along
dimension ``d``, the ``shape[d]`` categories (indices ``0 .. shape[d] - 1``) plus the total (index
``shape[d]``). A key is a tuple of ``N`` indices; a key with a total index is a margin. A *line*
is a one-dimensional slice: every index fixed but one, which runs over the categories and the
total, so that ``sum(categories) == total`` (for additive tables).

The algorithm (:func:`suppress`)
--------------------------------
1. Primary suppression: every cell, margins included, with ``0 < value < threshold``. Zeros stay
   published: a zero is not disclosive, and it never serves as a complement.
2. Line rule: a line with exactly one suppressed entry would give it away by subtraction, so its
   smallest non-zero published entry (a category or the line total) is suppressed too; ties go
   to the entry that also mends another line. Repeated to a fixed point.
3. Audit: the line rule is necessary, not sufficient (two blocks of suppressed cells joined by a
   single cell still give that cell away). So every suppressed cell must have a *witness*: an
   integer change ``delta`` of -1, 0 or +1 per cell, non-zero on that cell, zero outside the
   suppressed cells, that keeps every line balanced. Every suppressed value is at least 1 (zeros
   are never suppressed), so ``value + delta`` and ``value - delta`` are both non-negative tables
   that agree with every published cell and margin, and the suppressed cell can take at least
   three values: it cannot be worked out. A cell without a witness (or whose search ran past
   :data:`SEARCH_LIMIT` planes) gets a cheap 2x...x2 box of non-zero cells through it, which is
   its own witness; then back to step 2. Adding suppressions never takes a witness away, so the
   loop ends, at worst with every non-zero cell suppressed (then every cell's box through the
   totals is a witness).

Witnesses searched (:func:`witness`): choose two dimensions ``a`` and ``b``; in their plane the
suppressed cells form a bipartite graph (rows and columns of the plane are its nodes, cells its
edges). A cycle through the cell, with alternating signs, balances every line of the plane; it
is repeated, with alternating signs, on two values of every other dimension, so that the lines
along those dimensions balance too. In two dimensions this is exact: a cell is determined by the
published values if and only if it is a bridge of that graph.

Where a margin is not the sum of its cells (a person counted in two cells and once in the total),
the same pattern is applied to the published values; the witness then argues about a table the
attacker cannot even reconstruct, which is only safer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import combinations, pairwise, product

Key = tuple[int, ...]
# Planes searched for one cell's witness before giving it a box instead: a cell left without a
# witness is only protected more, so the bound costs suppressed cells, never safety.
SEARCH_LIMIT = 64
BOX_SEARCH = 500  # boxes compared when a cell needs one (see _cheapest_box)

__all__ = [
    "DisclosureError",
    "augment",
    "box",
    "determined",
    "is_balanced",
    "lines",
    "round_value",
    "suppress",
    "witness",
]


class DisclosureError(ValueError):
    """The table cannot be protected (its margins contradict its cells)."""


# --- Shape helpers ---------------------------------------------------------------------------


def augment(inner: Mapping[Key, int], shape: Sequence[int]) -> dict[Key, int]:
    """Return the augmented table of ``inner`` (category keys only): every cell and every margin.

    Missing category cells are zeros; the margins are sums, so the result is additive.
    """
    table: dict[Key, int] = {}
    for key in product(*(range(n + 1) for n in shape)):
        table[key] = 0
    for key, value in inner.items():
        if value < 0:
            raise DisclosureError("counts cannot be negative")
        # Add the value to the cell and to every margin above it.
        for mask in product((False, True), repeat=len(shape)):
            table[tuple(shape[d] if m else key[d] for d, m in enumerate(mask))] += value
    return table


def _line(key: Key, d: int, shape: Sequence[int]) -> list[Key]:
    return [(*key[:d], i, *key[d + 1 :]) for i in range(shape[d] + 1)]


def lines(shape: Sequence[int]) -> Iterator[tuple[int, list[Key]]]:
    """Yield every line of the augmented table as (dimension, keys); the last key is the total."""
    for d in range(len(shape)):
        others = [range(n + 1) for e, n in enumerate(shape) if e != d]
        for rest in product(*others):
            yield d, _line((*rest[:d], 0, *rest[d:]), d, shape)


def is_balanced(delta: Mapping[Key, int], shape: Sequence[int]) -> bool:
    """Return True if ``delta`` keeps every line's categories summing to its total."""
    touched: set[tuple[int, Key]] = set()
    for key in delta:
        for d in range(len(shape)):
            touched.add((d, (*key[:d], 0, *key[d + 1 :])))
    for d, base in touched:
        keys = _line(base, d, shape)
        if sum(delta.get(k, 0) for k in keys[:-1]) != delta.get(keys[-1], 0):
            return False
    return True


# --- Witnesses -------------------------------------------------------------------------------


def _sign(key: Key, shape: Sequence[int]) -> int:
    """Return (-1) ** (number of total indices of ``key``).

    Multiplying by it turns every line equation ``sum(categories) - total = 0`` into ``sum = 0``,
    so a change that sums to zero on every line in these signed terms balances the real table.
    """
    return -1 if sum(1 for d, i in enumerate(key) if i == shape[d]) % 2 else 1


def _cycle_through(edges: set[tuple[int, int]], edge: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Return a cycle of the bipartite graph ``edges`` that starts with ``edge``, or None (a bridge).

    Nodes are ("r", row) and ("c", column); a breadth-first search from the column end of
    ``edge`` to its row end, not using ``edge``, closes the cycle.
    """
    adj: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for p, q in edges:
        if (p, q) == edge:
            continue
        adj.setdefault(("r", p), []).append(("c", q))
        adj.setdefault(("c", q), []).append(("r", p))
    start, goal = ("c", edge[1]), ("r", edge[0])
    parent: dict[tuple[str, int], tuple[str, int] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in adj.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    if goal not in parent:
        return None
    path: list[tuple[str, int]] = []
    node: tuple[str, int] | None = goal
    while node is not None:
        path.append(node)
        node = parent[node]
    # path runs goal (row) -> ... -> start (column); consecutive nodes are the cycle's other edges.
    cycle = [edge]
    for u, v in pairwise(path):
        row, col = (u[1], v[1]) if u[0] == "r" else (v[1], u[1])
        cycle.append((row, col))
    return cycle


def witness(shape: Sequence[int], suppressed: Iterable[Key], cell: Key) -> dict[Key, int] | None:
    """Return a witness that ``cell`` cannot be recomputed, or None if none was found.

    The witness is a change of -1 or +1 on suppressed cells only, non-zero on ``cell``, that
    keeps every line of the augmented table balanced (see the module docstring). With every
    suppressed value at least 1, adding or subtracting it leaves a non-negative table that
    agrees with everything published.
    """
    hidden = suppressed if isinstance(suppressed, set | frozenset) else set(suppressed)
    if cell not in hidden:
        return None
    n = len(shape)
    if n == 0:
        return None
    if n == 1:
        other = next((k for k in sorted(hidden) if k != cell), None)
        if other is None:
            return None
        total = (shape[0],)
        # Move one unit between two categories, or change a category and the total together.
        if cell == total or other == total:
            return {cell: 1, other: 1}
        return {cell: 1, other: -1}
    return _plane_witness(shape, hidden, cell)


def _plane_witness(shape: Sequence[int], hidden: set[Key], cell: Key) -> dict[Key, int] | None:
    n = len(shape)
    for a, b in combinations(range(n), 2):
        others = [e for e in range(n) if e not in (a, b)]
        partners = [[i for i in range(shape[e] + 1) if i != cell[e]] for e in others]
        for choice in product(*partners):
            pairs = tuple((cell[e], v) for e, v in zip(others, choice, strict=True))
            # The replicas: every combination of the two values chosen for each other dimension.
            replicas = list(product(*pairs))
            plane = {
                (p, q)
                for p in range(shape[a] + 1)
                for q in range(shape[b] + 1)
                if all(_compose(n, a, p, b, q, others, r) in hidden for r in replicas)
            }
            edge = (cell[a], cell[b])
            if edge not in plane:
                continue
            cycle = _cycle_through(plane, edge)
            if cycle is None:
                continue
            delta: dict[Key, int] = {}
            for step, (p, q) in enumerate(cycle):
                for r in replicas:
                    flips = sum(1 for e_val, (first, _second) in zip(r, pairs, strict=True) if e_val != first)
                    key = _compose(n, a, p, b, q, others, r)
                    signed = (-1) ** (step + flips)
                    delta[key] = signed * _sign(key, shape) * _sign(cell, shape)
            return delta
    return None


def _compose(n: int, a: int, p: int, b: int, q: int, others: list[int], rest: Sequence[int]) -> Key:
    key = [0] * n
    key[a], key[b] = p, q
    for e, v in zip(others, rest, strict=True):
        key[e] = v
    return tuple(key)


# --- Suppression -----------------------------------------------------------------------------


def _line_rule(table: Mapping[Key, int], shape: Sequence[int], hidden: set[Key]) -> None:
    """Add complements until no line has exactly one suppressed entry."""
    n = len(shape)

    def line_of(key: Key, d: int) -> list[Key]:
        return _line((*key[:d], 0, *key[d + 1 :]), d, shape)

    def lonely(keys: list[Key]) -> bool:
        return sum(1 for k in keys if k in hidden) == 1

    queue = deque((d, (*k[:d], 0, *k[d + 1 :])) for k in sorted(hidden) for d in range(n))
    while queue:
        d, base = queue.popleft()
        keys = _line(base, d, shape)
        if not lonely(keys):
            continue
        candidates = [k for k in keys if k not in hidden and table[k] > 0]
        if not candidates:
            raise DisclosureError("a line has one suppressed entry and nothing else to suppress")

        def rank(k: Key, d: int = d) -> tuple[int, int, Key]:
            mends = sum(1 for e in range(n) if e != d and lonely(line_of(k, e)))
            return table[k], -mends, k

        pick = min(candidates, key=rank)
        hidden.add(pick)
        queue.extend((e, (*pick[:e], 0, *pick[e + 1 :])) for e in range(n))


def box(table: Mapping[Key, int], shape: Sequence[int], hidden: set[Key], cell: Key) -> list[Key]:
    """Return a box of non-zero cells through ``cell``, cheap to suppress: its own witness in this table."""
    return _cheapest_box(table, shape, hidden, cell)


def _cheapest_box(table: Mapping[Key, int], shape: Sequence[int], hidden: set[Key], cell: Key) -> list[Key]:
    """Return the cells of a 2x...x2 box through ``cell``, all non-zero, that adds little to suppress.

    Along each dimension the partner index is one of the cheapest neighbours of ``cell``
    (already suppressed, else the smallest non-zero), or the one of a box known to be all
    non-zero: the total for a category, and for a total the category of the smallest non-zero
    cell under it (every cell of that box then adds up that cell). The cheapest of these boxes
    wins; if, against the arithmetic, none is all non-zero, every box is tried.
    """
    n = len(shape)
    summed = [d for d in range(n) if cell[d] == shape[d]]
    below = [
        key
        for key in product(*(range(shape[d]) if d in summed else (cell[d],) for d in range(n)))
        if table[key] > 0 and key != cell
    ]
    anchor = min(below, key=lambda k: (table[k], k)) if below else None
    # Enough cheap neighbours per dimension to keep about BOX_SEARCH boxes to compare.
    keep = max(1, int(BOX_SEARCH ** (1 / n)) - 1)
    few: list[list[int]] = []
    for d in range(n):
        line = [(*cell[:d], i, *cell[d + 1 :]) for i in range(shape[d] + 1)]
        ranked = sorted(
            (i for i, k in enumerate(line) if i != cell[d] and table[k] > 0),
            key=lambda i, line=line: (line[i] not in hidden, table[line[i]], i),
        )
        options = set(ranked[:keep])
        if d not in summed:
            options.add(shape[d])
        elif anchor is not None:
            options.add(anchor[d])
        few.append(sorted(options))
    everyone = [[i for i in range(shape[d] + 1) if i != cell[d]] for d in range(n)]
    for partners in (few, everyone):
        best: tuple[tuple[int, int, tuple], list[Key]] | None = None
        for choice in product(*partners):
            box = list(product(*zip(cell, choice, strict=True)))
            if any(table[k] <= 0 for k in box):
                continue
            new = [k for k in box if k not in hidden]
            cost = (sum(table[k] for k in new), len(new), choice)
            if best is None or cost < best[0]:
                best = (cost, box)
        if best is not None:
            return best[1]
    raise DisclosureError("no non-zero box protects a suppressed cell")


def suppress(table: Mapping[Key, int], shape: Sequence[int], threshold: int, forced: Iterable[Key] = ()) -> set[Key]:
    """Return the keys of the augmented ``table`` to suppress at ``threshold``.

    ``table`` holds every key of the augmented table (see :func:`augment`). The result
    contains every cell with ``0 < value < threshold``, the non-zero cells of ``forced`` (hidden
    in a linked table), and enough complements that each one has a witness (see
    :func:`witness`); zeros are never in it.
    """
    hidden = {k for k, v in table.items() if 0 < v < threshold}
    hidden |= {k for k in forced if table.get(k, 0) > 0}
    if not hidden or len(shape) == 0:
        return hidden
    while True:
        _line_rule(table, shape, hidden)
        missing = _unwitnessed(shape, hidden)
        if not missing:
            return hidden
        boxed: set[Key] = set()
        for cell in missing:
            if cell not in boxed:  # a box is a witness for each of its cells
                box = _cheapest_box(table, shape, hidden, cell)
                hidden.update(box)
                boxed.update(box)


def _unwitnessed(shape: Sequence[int], hidden: set[Key]) -> list[Key]:
    """Return the suppressed cells that have no witness, searching each plane once.

    The same search as :func:`witness`, in bulk: a plane's cycle edges (its non-bridges) are
    found once and every cell lying on them, in every replica, is marked as witnessed. A plane
    is the intersection of its replicas' slices, each indexed once.
    """
    n = len(shape)
    if n == 1:
        return [] if len(hidden) >= 2 else sorted(hidden)
    slices: dict[tuple[int, int], dict[tuple, set[tuple[int, int]]]] = {}
    for a, b in combinations(range(n), 2):
        index: dict[tuple, set[tuple[int, int]]] = {}
        for k in hidden:
            index.setdefault(tuple(k[e] for e in range(n) if e not in (a, b)), set()).add((k[a], k[b]))
        slices[(a, b)] = index
    todo = set(hidden)
    seen: set = set()
    for cell in sorted(hidden):
        tries = 0
        for a, b in combinations(range(n), 2):
            if cell not in todo or tries > SEARCH_LIMIT:
                break
            others = [e for e in range(n) if e not in (a, b)]
            index = slices[(a, b)]
            # A replica's plane holds the cell only if the cell's neighbour there is suppressed too.
            partners = [
                [i for i in range(shape[e] + 1) if i != cell[e] and (*cell[:e], i, *cell[e + 1 :]) in hidden]
                for e in others
            ]
            for choice in product(*partners):
                pairs = tuple(tuple(sorted((cell[e], v))) for e, v in zip(others, choice, strict=True))
                if (a, b, pairs) in seen:
                    continue
                tries += 1
                if tries > SEARCH_LIMIT:
                    break
                replicas = list(product(*pairs))
                if any(r not in index for r in replicas):
                    continue
                plane = set.intersection(*(index[r] for r in replicas))
                if (cell[a], cell[b]) not in plane:
                    continue
                seen.add((a, b, pairs))
                for p, q in _cycle_edges(sorted(plane)):
                    for r in replicas:
                        todo.discard(_compose(n, a, p, b, q, others, r))
                if cell not in todo:
                    break
    return sorted(todo)


def _cycle_edges(edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the edges of a bipartite graph that lie on a cycle (its non-bridges), by Tarjan's lowlink."""
    adj: dict[tuple[str, int], list[tuple[tuple[str, int], int]]] = {}
    for idx, (p, q) in enumerate(edges):
        adj.setdefault(("r", p), []).append((("c", q), idx))
        adj.setdefault(("c", q), []).append((("r", p), idx))
    disc: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    bridges: set[int] = set()
    for root in adj:
        if root in disc:
            continue
        disc[root] = low[root] = len(disc)
        stack = [(root, -1, iter(adj[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            for nxt, idx in neighbours:
                if idx == via:
                    continue
                if nxt in disc:
                    low[node] = min(low[node], disc[nxt])
                else:
                    disc[nxt] = low[nxt] = len(disc)
                    stack.append((nxt, idx, iter(adj[nxt])))
                    break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        bridges.add(via)
    return [e for idx, e in enumerate(edges) if idx not in bridges]


# --- Exact audit of linked tables --------------------------------------------------------------


def determined(equations: Iterable[Mapping[object, int]]) -> set:
    """Return the unknowns that the linear ``equations`` pin down, by exact elimination over the rationals.

    Each equation maps unknowns (the hidden cells) to their coefficients; its constant (the
    published values on the same line) does not matter to the question. An unknown is determined
    exactly when its unit vector lies in the row space, that is when the reduced row echelon form
    has a row holding that unknown alone. The rows are kept sparse and fully reduced, so that a
    new row needs one pass over the pivots it touches.
    """
    from fractions import Fraction

    pivots: dict[object, dict[object, Fraction]] = {}  # pivot column -> its row (pivot 1)
    holders: dict[object, set] = {}  # column -> pivot columns whose row holds it
    for equation in equations:
        row = {k: Fraction(v) for k, v in equation.items() if v}
        for col in [c for c in row if c in pivots]:
            factor = row.get(col)
            if not factor:
                continue
            for k, v in pivots[col].items():
                new = row.get(k, 0) - factor * v
                if new:
                    row[k] = new
                else:
                    row.pop(k, None)
        if not row:
            continue
        pivot = min(row, key=lambda c: (len(holders.get(c, ())), repr(c)))
        scale = row[pivot]
        row = {k: v / scale for k, v in row.items()}
        # Keep the echelon form reduced: clear the new pivot from every other pivot row.
        for other in list(holders.get(pivot, ())):
            target = pivots[other]
            factor = target.get(pivot)
            if not factor:
                continue
            for k, v in row.items():
                new = target.get(k, 0) - factor * v
                if new:
                    if k not in target:
                        holders.setdefault(k, set()).add(other)
                    target[k] = new
                else:
                    target.pop(k, None)
                    holders.get(k, set()).discard(other)
        pivots[pivot] = row
        for k in row:
            holders.setdefault(k, set()).add(pivot)
    return {col for col, row in pivots.items() if len(row) == 1}


def round_value(value: int, base: int | None) -> int:
    """Return ``value`` rounded to the nearest multiple of ``base`` (halves up); zero stays zero."""
    if not base or value == 0:
        return value
    return (value + base // 2) // base * base
