"""The statistics engine: counts by any combination of dimensions, then disclosure control.

:func:`compute` counts a *population* (registered victims, referrals to the Centre, decisions,
screenings...) of a *source* (``"national"``: the country's own records; any other name: an
imported external data set, see :mod:`nrm.exchange.models`) by dimensions, with every margin.
The cells are one ``GROUP BY`` in the database; the forms of exploitation are joined through the
many-to-many table, so a case with two forms falls in two cells. :func:`publish` turns the
counts into a :class:`StatTable`, suppressed (see :mod:`nrm.reporting.disclosure`) unless raw.

Counting each person once: national populations about victims count DISTINCT persons, by
``Person.linkage_key`` when set (two agencies' cases of one person share it), else by the person
row. Each cell counts a person once; a total counts them once too, so where a person falls in
several cells (several forms, or two agencies recording different attributes) a total is less
than the sum of its cells. Screenings and external records carry no linkage key: each row counts.

Nothing here reads an identity field; the only values that leave are category codes and counts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Count,
    F,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, ExtractYear, NullIf
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _

from nrm.core.errors import invalid
from nrm.core.replica import statistics_reads
from nrm.reporting import country_groups, disclosure

UNKNOWN = "unknown"
NATIONAL = "national"
TOTAL = None  # the value of a dimension in a margin: summed over
MARKER = "x"  # how a suppressed cell is shown in rendered tables; never a number
MAX_CELLS = 10000  # of the table with its margins; beyond, narrow the table with filters

# Dimension names are part of the interface (CLI, API, exports): do not rename.
DIMENSIONS: dict[str, str] = {
    "year": "Year",
    "sex": "Sex",
    "age_group": "Age group (child or adult)",
    "age_band": "Age band",
    "citizenship": "Citizenship (ISO 3166 alpha-2)",
    "citizenship_group": "Citizenship group (national, other EU, non-EU)",
    "country_of_exploitation": "Country of exploitation (ISO 3166 alpha-2)",
    "exploitation": "Form of exploitation",
    "form_group": "Group of forms of exploitation (sexual, labour, other, multiple)",
    "referral_source": "Referral source (type of organisation, or self-referral, family or citizen, foreign authority)",
    "decision": "Identification decision",
    "victim_status": "Identified or presumed victim",
    "region": "Region",
    "migration_status": "Migration or asylum status of the person",
    "asylum_status": "Asylum procedure status of the case",
    "child_status": "Unaccompanied or separated child",
    "referral_status": "Outcome of the referral (its state)",
}
# Dimensions of the national records that external data sets (CTDC) do not have.
NATIONAL_ONLY_DIMENSIONS = frozenset({"migration_status", "asylum_status", "child_status", "referral_status"})
# Display order of known codes; other values follow alphabetically, "unknown" last.
ORDER: dict[str, list[str] | Callable[[], list[str]]] = {
    "sex": ["F", "M", "X", "U"],
    "age_group": ["child", "adult"],
    "age_band": ["0-13", "14-17", "18-24", "25-34", "35-44", "45+"],
    "citizenship_group": ["national", "eu", "non_eu"],
    "form_group": ["sexual", "labour", "other", "multiple"],
    "decision": ["identified", "not_identified", "pending", "discontinued"],
    "victim_status": ["identified", "presumed", "not_a_victim"],
    "migration_status": [
        "national",
        "regular_migrant",
        "irregular_migrant",
        "asylum_seeker",
        "refugee",
        "stateless",
        "unknown",
    ],
    "asylum_status": ["not_applied", "ongoing", "refugee", "subsidiary", "refused", "withdrawn", "unknown"],
    "child_status": ["unaccompanied", "separated", "no", "unknown"],
    "referral_status": ["sent", "accepted", "in_progress", "completed", "declined", "closed", "suspended"],
}
# Categories a national table always shows, as zeros when nobody falls in them.
ALWAYS: dict[str, list[str]] = {
    "sex": ["F", "M"],
    "age_group": ["child", "adult"],
    "citizenship_group": ["national", "eu", "non_eu"],
    "form_group": ["sexual", "labour", "other"],
}
CHILD_BANDS = ["0-13", "14-17"]
ADULT_BANDS = ["18-24", "25-34", "35-44", "45+"]


def threshold_default() -> int:
    """Return the configured suppression threshold (``NRM_DISCLOSURE_THRESHOLD``, default 5)."""
    return settings.NRM_DISCLOSURE_THRESHOLD


# --- Populations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """What is counted: the rows, the unit and the exact definition printed under every table."""

    name: str
    title: str
    definition: str
    external: bool = True  # exists for external data sets too
    # The date a row's year is taken from, stated on every table of the population (issue K:
    # one definition per count). A report may state its own (tables.Report.counts_by).
    counts_by: str = ""


# What is counted, by name: each app registers the populations of its records (cases: victims,
# referrals, decisions, screenings; justice, protection...), in the order they are listed.
POPULATIONS: dict[str, Population] = {}


@dataclass
class Source:
    """A population ready to count: its rows, its dimension expressions and what one unit is.

    ``measure`` replaces the row count where a row stands for several units (a training's
    participants of one profession); such counts are additive, like row counts.
    """

    queryset: QuerySet
    exprs: dict[str, Any]
    person: tuple[str, str] | None  # paths naming a person (counted once), or None to count rows
    unit: str
    definition: str
    json_list: str | None = None  # a dimension held as a JSON list (external forms of exploitation)
    # Each listed value's group (a form's Eurostat group), giving the dimension ``form_group``.
    list_groups: Callable[[], dict[str, str]] | None = None
    measure: Any = None  # an aggregate (Sum("participants")) counted instead of rows
    # Smaller tables holding the same counts over fewer dimensions, smallest first: (the
    # dimensions each has, its rows). A table asking for no other is counted from the first.
    coarser: tuple[tuple[frozenset[str], QuerySet], ...] = ()

    def __post_init__(self) -> None:
        # Dimensions that depend on the year counted (the EU's members) are built from this
        # population's own year: the decision's, the opening's, the verdict's.
        if any(isinstance(e, ByYear) for e in self.exprs.values()):
            year = self.exprs.get("year")
            self.exprs = {k: e.build(year) if isinstance(e, ByYear) else e for k, e in self.exprs.items()}

    def narrowest(self, names: Iterable[str]) -> Source:
        """Return this source counted from the smallest of its tables that has every dimension of ``names``."""
        wanted = set(names)
        for has, queryset in self.coarser:
            if wanted <= has:
                return replace(self, queryset=queryset, coarser=())
        return self


# Populations other apps count (proceedings, helpline calls, trainings...): name -> builder.
_BUILDERS: dict[str, Callable[[], Source]] = {}
# Labels of the categories of dimensions other apps add: name -> callable returning {code: label}.
_LABELLERS: dict[str, Callable[[], dict[str, str]]] = {}


def register_dimension(
    name: str,
    title: str,
    *,
    order: Sequence[str] | Callable[[], Sequence[str]] | None = None,
    labels: Callable[[], dict[str, str]] | None = None,
    always: Sequence[str] | None = None,
) -> None:
    """Add a dimension other apps' populations are counted by (``channel``, ``profession``...).

    ``always`` lists the categories a national table shows even when nobody falls in them (a
    questionnaire's fixed rows, such as sentence bands). Registering the same name again with
    the same title is allowed (app reloading in tests).
    """
    if DIMENSIONS.get(name, title) != title:
        raise ValueError(f"dimension {name!r} is already registered with another title")
    DIMENSIONS[name] = title
    if order is not None:
        ORDER[name] = order if callable(order) else list(order)
    if labels is not None:
        _LABELLERS[name] = labels
    if always is not None:
        ALWAYS[name] = list(always)


def register_population(population: Population, build: Callable[[], Source]) -> None:
    """Add a population of the national records, counted from ``build()``'s :class:`Source`.

    ``build`` runs when a table is asked for, so that nothing touches the database at import
    time; its ``exprs`` name the dimensions the population has. A population with ``external``
    set exists for the external data sets too, built by the registered external source. Another
    population under a name already registered is refused (registering the same one again is not).
    """
    if POPULATIONS.get(population.name, population) != population:
        raise ValueError(f"population {population.name!r} is already registered as another")
    POPULATIONS[population.name] = population
    _BUILDERS[population.name] = build


# How an external data set's population is counted: ``build(data set name, population)``,
# registered by the app that imports the data sets (``nrm.exchange``).
_EXTERNAL: dict[str, Callable[[str, str], Source]] = {}


def register_external_source(build: Callable[[str, str], Source]) -> None:
    """Count the populations of the external data sets with ``build(dataset_name, population)``."""
    _EXTERNAL["build"] = build


class Year(ExtractYear):
    """The year of a date; on SQLite read from the ISO text, not through a Python function per row."""

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(SUBSTR({sql}, 1, 4) AS integer)", params


def category(expr) -> Any:
    """Return ``expr`` as a dimension's category: NULL and the empty string both read as "unknown"."""
    return Coalesce(NullIf(expr, Value("")), Value(UNKNOWN), output_field=CharField())


def victim_status(decision: str) -> Any:
    """Return identified, presumed or not a victim, by the identification decision at ``decision``."""
    return CaseWhen(
        When(**{decision: "identified"}, then=Value("identified")),
        When(**{decision: "not_identified"}, then=Value("not_a_victim")),
        default=Value("presumed"),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class ByYear:
    """A dimension whose categories depend on the year counted: :class:`Source` builds it from its ``year``."""

    build: Callable[[Any], Any]


def citizenship_group(citizenship: str) -> ByYear:
    """Return Eurostat's citizenship group: national, other EU, non-EU, for the year each row counts in.

    The member states are data (``data/country_groups.json``), each version valid from a date; a
    row counts by the version in force at the end of its year (a British citizen is other EU in
    2019, non-EU in 2020). The country is ``NRM_COUNTRY``, national even when a member state.
    """
    return ByYear(functools.partial(_citizenship_group, citizenship))


def _citizenship_group(citizenship: str, year: Any) -> Any:
    country = settings.NRM_COUNTRY
    whens = [
        When(Q(**{f"{citizenship}__isnull": True}) | Q(**{citizenship: ""}), then=Value(UNKNOWN)),
        When(**{citizenship: country}, then=Value("national")),
    ]
    if year is None:  # a population counted by no year: the members in force today
        whens.append(
            When(**{f"{citizenship}__in": [c for c in country_groups.members("eu") if c != country]}, then=Value("eu"))
        )
    for first, last, members in country_groups.by_year("eu") if year is not None else ():
        condition = Q(**{f"{citizenship}__in": [c for c in members if c != country]}) & Q(
            GreaterThanOrEqual(year, first)
        )
        if last is not None:
            condition &= Q(LessThanOrEqual(year, last))
        whens.append(When(condition, then=Value("eu")))
    return CaseWhen(*whens, default=Value("non_eu"), output_field=CharField())


NO_KEY = "_no_linkage_key"


def rows_once(queryset: QuerySet, path: str) -> tuple[QuerySet, tuple[str, str]]:
    """Return ``queryset`` and the ``Source.person`` paths that count each distinct ``path`` once.

    For units other than victims (a proceeding, a defendant) joined to a multi-valued dimension
    (forms of exploitation): a unit in two cells is one unit in their total, as a person is. It
    is the persons' rule with a linkage key that is always empty, so the row ``path`` decides.
    """
    return queryset.annotate(**{NO_KEY: Value("", output_field=CharField())}), (NO_KEY, path)


def _persons(person: tuple[str, str]) -> Any:
    """Return the aggregate counting DISTINCT persons: by linkage key where set, else by person row.

    Two distinct counts added, rather than one over a concatenated key: the same result, and
    about twice as fast, since no string is built per row.
    """
    key, row = person
    return Count(key, distinct=True, filter=~Q(**{key: ""})) + Count(row, distinct=True, filter=Q(**{key: ""}))


def dimensions_of(source: str, population: str) -> list[str]:
    """Return the dimensions ``population`` of ``source`` can be counted by."""
    return list(_source(source, population).exprs)


def category_labels(dims: Sequence[str]) -> dict[str, dict[str, str]]:
    """Return display labels of the categories of ``dims`` (the codes a filter may name).

    External data sets use them too: their importers map the publisher's codes (sex, forms of
    exploitation) to the national ones. The labels of the records' own codes (sex, decisions,
    forms...) come from the apps that keep them (``register_dimension(labels=...)``).
    """
    found = {
        "age_group": lambda: {"child": _("Child"), "adult": _("Adult"), UNKNOWN: _("Unknown")},
        "citizenship_group": lambda: {
            "national": _("National"),
            "eu": _("Other EU"),
            "non_eu": _("Non-EU"),
            UNKNOWN: _("Unknown"),
        },
        "form_group": lambda: {
            "sexual": _("Sexual exploitation"),
            "labour": _("Labour exploitation"),
            "other": _("Other forms"),
            "multiple": _("Multiple forms"),
            UNKNOWN: _("Unknown"),
        },
        "victim_status": lambda: {
            "identified": _("Identified"),
            "presumed": _("Presumed"),
            "not_a_victim": _("Not a victim"),
        },
        **_LABELLERS,
    }
    return {d: found[d]() for d in dims if d in found}


def _source(source: str, population: str) -> Source:
    if population not in POPULATIONS:
        raise invalid(
            "population", _("Unknown population: choose one of %(names)s.") % {"names": ", ".join(POPULATIONS)}
        )
    if source == NATIONAL:
        return _BUILDERS[population]()
    if not POPULATIONS[population].external:
        raise invalid("population", _("This population exists only for the national records."))
    if "build" not in _EXTERNAL:
        raise invalid("dataset", _("No external data set of this name."))
    return _EXTERNAL["build"](source, population)


# --- Counting --------------------------------------------------------------------------------


@dataclass
class Cube:
    """Counts of a population by dimensions, every margin included, before disclosure control.

    ``domains[i]`` lists the categories of ``dims[i]``; ``counts`` maps value tuples, with
    :data:`TOTAL` where a margin sums a dimension over, to counts (missing keys are zeros).
    """

    source: str
    population: str
    unit: str
    definition: str
    dims: list[str]
    domains: list[list]
    counts: dict[tuple, int]
    filters: dict[str, list]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def shape(self) -> list[int]:
        return [len(d) for d in self.domains]

    def indexed(self) -> dict[tuple[int, ...], int]:
        """Return the augmented table keyed by category indices (the total is index ``len(domain)``)."""
        out = {}
        for key in product(*(range(len(d) + 1) for d in self.domains)):
            values = tuple(TOTAL if i == len(d) else d[i] for i, d in zip(key, self.domains, strict=True))
            out[key] = self.counts.get(values, 0)
        return out


def parse_dims(by: str | Iterable[str]) -> list[str]:
    """Return the dimension names of ``by`` ("year,sex" or a list), checked."""
    names = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown:
        message = _("Unknown dimension %(name)s: choose from %(names)s.")
        raise invalid("by", message % {"name": unknown[0], "names": ", ".join(DIMENSIONS)})
    if len(set(names)) != len(names):
        raise invalid("by", _("A dimension is named twice."))
    return names


def parse_filters(filters: Mapping[str, Any] | None) -> dict[str, list]:
    """Return ``filters`` as {dimension: [values]}; "2023,2024" and lists both work."""
    out: dict[str, list] = {}
    for name, raw in (filters or {}).items():
        if name not in DIMENSIONS:
            raise invalid(name, _("Not a dimension."))
        values = raw.split(",") if isinstance(raw, str) else list(raw if isinstance(raw, list | tuple) else [raw])
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            continue
        if name == "year":
            try:
                out[name] = [v if v == UNKNOWN else int(v) for v in values]
            except ValueError:
                raise invalid("year", _("Enter years as numbers.")) from None
        else:
            out[name] = values
    return out


def _filter_q(alias: str, name: str, values: list) -> Q:
    known = [v for v in values if v != UNKNOWN]
    q = Q(**{f"{alias}__in": known})
    if UNKNOWN in values:
        q |= Q(**{f"{alias}__isnull": True}) if name == "year" else Q(**{alias: UNKNOWN})
    return q


def _narrowed(src: Source, names: Sequence[str], filters: dict[str, list]) -> QuerySet:
    """Return the population with the dimensions ``names`` annotated (as ``d_<name>``) and filtered."""
    needed = [d for d in dict.fromkeys([*names, *filters]) if src.exprs.get(d) is not None]
    qs = src.queryset.annotate(**{f"d_{d}": src.exprs[d] for d in needed})
    for name, values in filters.items():
        if src.exprs.get(name) is not None:
            qs = qs.filter(_filter_q(f"d_{name}", name, values))
    return qs


def _grouped(
    src: Source, dims: Sequence[str], filters: dict[str, list], extra: Sequence[str] = (), *, distinct: bool = True
) -> list[dict]:
    """Return one row per combination of ``dims`` (plus plain fields ``extra``), with its count ``n``."""
    qs = _narrowed(src, dims, filters)
    if src.person is not None and distinct:
        count = _persons(src.person)
    else:
        count = Coalesce(src.measure, 0) if src.measure is not None else Count("pk")
    columns = [f"d_{d}" for d in dims if src.exprs.get(d) is not None] + list(extra)
    if not columns:
        return [{"n": qs.aggregate(n=count)["n"]}]
    return list(qs.values(*columns).annotate(n=count).order_by())


def _rows_and_persons(src: Source, dims: Sequence[str], filters: dict[str, list]) -> tuple[int, int]:
    """Return how many rows the table's join has, and how many distinct persons are on them.

    Equal numbers mean no person falls on two rows (two cases of one person, or one case with two
    forms when forms are counted), so that cells add up to their margins.
    """
    found = _narrowed(src, dims, filters).aggregate(rows=Count("pk"), persons=_persons(src.person))
    return found["rows"], found["persons"]


def _value(name: str, raw) -> Any:
    if raw is None or raw == "":
        return UNKNOWN
    return int(raw) if name == "year" else raw


def _masks(n: int) -> Iterable[tuple[bool, ...]]:
    return product((False, True), repeat=n)


def compute(
    *,
    by: Sequence[str],
    source: str = NATIONAL,
    population: str = "registered",
    filters: Mapping[str, Any] | None = None,
) -> Cube:
    """Count ``population`` of ``source`` by the dimensions ``by``, with every margin.

    The cells are one GROUP BY. Where persons are counted once (national victims) and some
    person falls on two rows (two cases, two forms), a person in two cells is one person in
    their total: on PostgreSQL one GROUP BY CUBE counts cells and margins at once; elsewhere each
    margin is its own GROUP BY. Otherwise margins are sums of the cells. External forms of
    exploitation, stored as a JSON list, are expanded per group, never per row.
    """
    dims = parse_dims(by)
    filters = parse_filters(filters)
    src = _source(source, population)
    for name in [*dims, *filters]:
        if name not in src.exprs:
            field = "by" if name in dims else name
            raise invalid(field, _("The dimension %(name)s does not exist for this population.") % {"name": name})
    src = src.narrowest([*dims, *filters])
    counts: dict[tuple, int] = defaultdict(int)
    with statistics_reads() as alias, _tuned(alias):
        _count(src, dims, filters, counts, alias)
    domains = [_domain(d, counts, i, filters, national=source == NATIONAL) for i, d in enumerate(dims)]
    size = 1
    for domain in domains:
        size *= len(domain) + 1
    if size > MAX_CELLS:
        raise invalid("by", _("The table would have too many cells; narrow it with filters or fewer dimensions."))
    return Cube(
        source=source,
        population=population,
        unit=src.unit,
        definition=src.definition,
        dims=dims,
        domains=domains,
        counts=dict(counts),
        filters=filters,
        labels=category_labels(dims),
    )


def _count(src: Source, dims: list[str], filters: dict[str, list], counts: dict[tuple, int], alias: str) -> None:
    """Add the cells and every margin to ``counts``, reading from the database ``alias``."""
    if src.json_list and {src.json_list, "form_group"} & {*dims, *filters}:
        _external_counts(src, dims, filters, counts)
        return
    if src.person is not None and connections[alias].vendor == "postgresql":
        _cube_counts(src, dims, filters, counts, alias)
        return
    # When each person is on one row, a plain COUNT gives the same cells and margins add up:
    # one GROUP BY instead of one per margin.
    additive, persons = True, 0
    if src.person is not None:
        rows, persons = _rows_and_persons(src, dims, filters)
        additive = rows == persons
    for row in _grouped(src, dims, filters, distinct=not additive):
        counts[tuple(_value(d, row[f"d_{d}"]) for d in dims)] += row["n"]
    if additive:
        _add_margins(dims, counts)
        return
    counts[tuple(TOTAL for _d in dims)] = persons
    for mask in _masks(len(dims)):
        if not any(mask) or all(mask):
            continue
        kept = [d for d, summed in zip(dims, mask, strict=True) if not summed]
        for row in _grouped(src, kept, filters):
            key = tuple(TOTAL if summed else _value(d, row[f"d_{d}"]) for d, summed in zip(dims, mask, strict=True))
            counts[key] += row["n"]


def _cube_counts(src: Source, dims: list[str], filters: dict[str, list], counts: dict[tuple, int], alias: str) -> None:
    """Count distinct persons in every cell and margin in one query: PostgreSQL's GROUP BY CUBE.

    Each row carries a whole number naming its person: the smallest person row sharing its
    linkage key, or its own person row when it has none. Counting distinct numbers is cheaper
    than counting distinct 64-character keys, and gives the same counts.
    """
    key, row = src.person
    inner = _narrowed(src, dims, filters).annotate(
        _key=F(key), _row=F(row), _first=Window(Min(row), partition_by=[F(key)])
    )
    connection = connections[alias]
    sql, params = inner.using(alias).values(*[f"d_{d}" for d in dims], "_key", "_row", "_first").query.sql_with_params()
    quote = connection.ops.quote_name
    cols = ", ".join(quote(f"d_{d}") for d in dims)
    person = f"CASE WHEN {quote('_key')} = '' THEN {quote('_row')} ELSE {quote('_first')} END"
    select = f"{cols}, GROUPING({cols})" if dims else "0"
    group = f" GROUP BY CUBE({cols})" if dims else ""
    query = f"SELECT {select}, COUNT(DISTINCT {person}) FROM ({sql}) AS persons{group}"  # noqa: S608 (no user text)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
    n = len(dims)
    for *values, grouping, count in found:
        counts[
            tuple(
                TOTAL if grouping >> (n - 1 - i) & 1 else _value(d, v)
                for i, (d, v) in enumerate(zip(dims, values, strict=True))
            )
        ] += count


@contextmanager
def _tuned(alias: str) -> Iterator[None]:
    """Give PostgreSQL the memory to aggregate in a hash table rather than sort on disk.

    ``NRM_STATS_WORK_MEM`` (default 64MB) for the statistics queries only, within a transaction.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    work_mem = str(settings.NRM_STATS_WORK_MEM)
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)", work_mem):
        raise ValueError("NRM_STATS_WORK_MEM must look like 64MB")
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        yield


def _add_margins(dims: Sequence[str], counts: dict[tuple, int]) -> None:
    """Add every margin of ``counts`` (cells only) as sums: for tables that count rows.

    Each margin is summed from a table with one dimension fewer summed over, not from the cells
    again: the work is the size of the tables, not cells x 2^dimensions.
    """
    tables: list[dict[tuple, int]] = [dict(counts)]
    for i in range(len(dims)):
        for table in list(tables):
            summed: dict[tuple, int] = defaultdict(int)
            for key, n in table.items():
                summed[(*key[:i], TOTAL, *key[i + 1 :])] += n
            tables.append(summed)
    for table in tables[1:]:
        for key, n in table.items():
            counts[key] += n


def _external_counts(src: Source, dims: list[str], filters: dict[str, list], counts: dict[tuple, int]) -> None:
    """Count external records with the forms of exploitation held as a JSON list, cells and margins.

    One GROUP BY over the other dimensions and the list itself; each group then adds its count
    to every form in its list (a record of two forms counts under both) and once to any margin
    that sums the forms over. The group of forms (``form_group``) is worked out from the same
    list, one group per record, through the national forms' ``eurostat_group``.
    """
    name = src.json_list
    derived = "form_group"
    plain = [d for d in dims if d not in (name, derived)]
    wanted = set(filters.get(name, []))
    wanted_groups = set(filters.get(derived, []))
    groups = src.list_groups() if src.list_groups and (derived in dims or derived in filters) else {}
    rows = _grouped(src, plain, {k: v for k, v in filters.items() if k not in (name, derived)}, extra=[name])
    for row in rows:
        forms = sorted({str(f).strip() for f in (row[name] or []) if str(f).strip()}) or [UNKNOWN]
        base = {d: _value(d, row[f"d_{d}"]) for d in plain}
        if groups:
            found = {groups[f] for f in forms if groups.get(f)}
            base[derived] = UNKNOWN if not found else (found.pop() if len(found) == 1 else "multiple")
            if wanted_groups and base[derived] not in wanted_groups:
                continue
        if wanted:
            forms = [f for f in forms if f in wanted]
            if not forms:
                continue
        for mask in _masks(len(dims)):
            summed = dict(zip(dims, mask, strict=True))
            values = forms if name in dims and not summed[name] else [TOTAL]
            for form in values:
                key = tuple(TOTAL if summed[d] else (form if d == name else base[d]) for d in dims)
                counts[key] += row["n"]


def order_of(name: str) -> list:
    """Return the display order of dimension ``name``'s known codes (read from data where kept as data)."""
    order = ORDER.get(name, [])
    return list(order()) if callable(order) else order


def _domain(name: str, counts: Mapping[tuple, int], i: int, filters: dict[str, list], *, national: bool) -> list:
    """Return the categories of dimension ``i``: those observed, a national table's fixed ones, in order."""
    seen = {key[i] for key in counts if key[i] is not TOTAL}
    if national and name not in filters:
        seen |= set(ALWAYS.get(name, []))
    if name == "year":
        years = sorted(v for v in seen if isinstance(v, int))
        filled: list = list(range(years[0], years[-1] + 1)) if years and name not in filters else years
        return filled + ([UNKNOWN] if UNKNOWN in seen else [])
    order = order_of(name)
    rank = {v: i for i, v in enumerate(order)}
    return sorted(seen, key=lambda v: (v == UNKNOWN, rank.get(v, len(rank)), str(v)))


# --- Publishing ------------------------------------------------------------------------------


@dataclass
class Cell:
    """One published cell or margin: its categories (None where summed over) and its count."""

    key: dict[str, Any]
    count: int | None
    suppressed: bool

    @property
    def is_total(self) -> bool:
        return any(v is TOTAL for v in self.key.values())

    def display(self) -> str:
        return MARKER if self.suppressed else str(self.count)


@dataclass
class StatTable:
    """A table ready to publish: suppressed (unless ``raw``), with its margins and its notes."""

    name: str
    title: str
    source: str
    population: str
    unit: str
    dims: list[str]
    domains: list[list]
    labels: dict[str, dict[str, str]]
    filters: dict[str, list]
    cells: list[Cell]
    totals: list[Cell]
    threshold: int
    rounding: int | None
    raw: bool
    notes: list[str]
    generated_at: str
    # The date the year is taken from, for a standard table (tables.Report.counts_by); "" otherwise.
    counts_by: str = ""

    @property
    def suppressed_count(self) -> int:
        return sum(1 for c in (*self.cells, *self.totals) if c.suppressed)

    def rows(self, *, totals: bool = False) -> list[dict]:
        """Return flat rows: the dimensions, ``count`` (None when suppressed) and ``suppressed``."""
        return [
            {**c.key, "count": c.count, "suppressed": c.suppressed}
            for c in (self.cells + (self.totals if totals else []))
        ]

    def grand_total(self) -> Cell:
        return self.totals[-1] if self.totals else self.cells[0]

    def crosstab(self) -> dict:
        """Return a two-dimensional table for a page: row and column categories, cells, margins.

        Only for tables of two dimensions: ``rows[i]["cells"][j]`` is row i, column j;
        ``rows[i]["total"]`` its margin; ``column_totals`` and ``total`` the bottom line.
        """
        if len(self.dims) != 2:
            raise ValueError("a crosstab needs exactly two dimensions")
        r, c = self.dims
        index = {(cell.key[r], cell.key[c]): cell for cell in (*self.cells, *self.totals)}
        return {
            "row_dimension": r,
            "column_dimension": c,
            "columns": self.domains[1],
            "rows": [
                {"value": rv, "cells": [index[(rv, cv)] for cv in self.domains[1]], "total": index[(rv, TOTAL)]}
                for rv in self.domains[0]
            ],
            "column_totals": [index[(TOTAL, cv)] for cv in self.domains[1]],
            "total": index[(TOTAL, TOTAL)],
        }

    def as_dict(self) -> dict:
        """Return the table as JSON-ready data (the API's and ``--format json``'s shape)."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "population": self.population,
            "unit": self.unit,
            "dimensions": self.dims,
            "categories": dict(zip(self.dims, self.domains, strict=True)),
            "labels": self.labels,
            "filters": self.filters,
            "threshold": None if self.raw else self.threshold,
            "rounding": self.rounding,
            "raw": self.raw,
            "suppressed_marker": MARKER,
            "cells": self.rows(),
            "totals": [{**c.key, "count": c.count, "suppressed": c.suppressed} for c in self.totals],
            "notes": self.notes,
            "generated_at": self.generated_at,
            "counts_by": self.counts_by,
        }


def publish(
    cube: Cube,
    *,
    threshold: int | None = None,
    rounding: int | None = None,
    raw: bool = False,
    name: str = "",
    title: str = "",
    notes: Sequence[str] = (),
) -> StatTable:
    """Return ``cube`` as a :class:`StatTable`: suppressed at ``threshold`` and rounded, unless ``raw``.

    One table on its own (the disclosure module's tests, raw counts); what is published to
    readers is cut from a protected family instead (:mod:`nrm.reporting.protect`).
    """
    threshold = threshold_default() if threshold is None else threshold
    table = cube.indexed()
    hidden: set = set() if raw else _suppress(table, cube.shape, threshold)
    return assemble(
        cube, table, hidden, threshold=threshold, rounding=rounding, raw=raw, name=name, title=title, notes=notes
    )


def assemble(
    cube: Cube,
    table: Mapping[tuple[int, ...], int],
    hidden: set,
    *,
    threshold: int,
    rounding: int | None = None,
    raw: bool = False,
    name: str = "",
    title: str = "",
    notes: Sequence[str] = (),
) -> StatTable:
    """Return the :class:`StatTable` of ``cube``'s augmented ``table`` with the keys ``hidden`` suppressed.

    Rounding, when asked for (base 5 or 10), applies to what is published after suppression.
    """
    if threshold < 1:
        raise invalid("threshold", _("The threshold must be at least 1."))
    if rounding not in (None, 0, 5, 10):
        raise invalid("rounding", _("Round to 5 or 10, or not at all."))
    rounding = rounding or None
    shape = cube.shape
    cells: list[Cell] = []
    totals: list[Cell] = []
    # Cells first in category order; then margins, from the finest to the grand total.
    ordered = sorted(table, key=lambda k: (sum(1 for d, i in enumerate(k) if i == shape[d]), k))
    for key in ordered:
        values = {
            d: (TOTAL if i == len(dom) else dom[i]) for d, dom, i in zip(cube.dims, cube.domains, key, strict=True)
        }
        suppressed = key in hidden
        count = None if suppressed else (table[key] if raw else disclosure.round_value(table[key], rounding))
        cell = Cell(values, count, suppressed)
        (totals if cell.is_total else cells).append(cell)
    return StatTable(
        name=name,
        title=title or _default_title(cube),
        source=cube.source,
        population=cube.population,
        unit=cube.unit,
        dims=cube.dims,
        domains=cube.domains,
        labels=cube.labels,
        filters=cube.filters,
        cells=cells,
        totals=totals,
        threshold=threshold,
        rounding=None if raw else rounding,
        raw=raw,
        notes=[*notes, *_notes(cube, threshold, None if raw else rounding, raw)],
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )


def _suppress(table: dict, shape: list[int], threshold: int) -> set:
    try:
        return disclosure.suppress(table, shape, threshold)
    except disclosure.DisclosureError:
        # Margins that contradict their cells: hide every non-zero count rather than guess.
        return {k for k, v in table.items() if v > 0}


def _default_title(cube: Cube) -> str:
    title = POPULATIONS[cube.population].title
    if cube.dims:
        title += " " + _("by") + " " + ", ".join(DIMENSIONS[d].split(" (")[0].lower() for d in cube.dims)
    return title


def _notes(cube: Cube, threshold: int, rounding: int | None, raw: bool) -> list[str]:
    notes = [cube.definition]
    if cube.unit == "persons":
        notes.append(
            _(
                "Each person is counted once in a cell, however many cases they have: cases of one person "
                "opened by different organisations share a linkage key. A total counts each person once, "
                "so where a person falls in several cells the total is less than the sum of its cells."
            )
        )
    if "exploitation" in cube.dims:
        notes.append(
            _(
                "Forms of exploitation are multi-valued: a victim of two forms is counted under both, so "
                "the forms add up to more than the total. 'unknown' counts those with no form recorded."
            )
        )
    if "form_group" in cube.dims:
        notes.append(
            _(
                "Groups of forms count each case once: a case whose forms fall in more than one group "
                "(sexual, labour, other) counts under 'multiple forms', so the groups add up to the total."
            )
        )
    if "citizenship_group" in cube.dims:
        notes.append(
            _(
                "Other EU: the member states of the European Union at the end of each year counted, "
                "the country itself excepted."
            )
        )
    if cube.filters:
        notes.append(
            _("Only: %(filters)s.")
            % {"filters": "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in cube.filters.items())}
        )
    if raw:
        notes.append(_("Raw counts, without disclosure control: not for publication."))
    else:
        notes.append(
            _(
                "Disclosure control: counts from 1 to %(below)s are suppressed and shown as '%(marker)s', and "
                "so are further cells and totals chosen so that no suppressed count can be worked out from "
                "the others. Zeros are shown."
            )
            % {"below": threshold - 1, "marker": MARKER}
        )
        if rounding:
            notes.append(
                _("Published counts are rounded to the nearest multiple of %(base)s; totals are rounded on their own.")
                % {"base": rounding}
            )
    return notes


def count_table(
    *,
    by: Sequence[str] | str,
    source: str = NATIONAL,
    population: str = "registered",
    filters: Mapping[str, Any] | None = None,
    fixed: Mapping[str, Any] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    raw: bool = False,
    name: str = "",
    title: str = "",
    notes: Sequence[str] = (),
) -> StatTable:
    """Compute and publish in one call; access checks and the audit are the caller's (see selectors).

    Raw counts are counted as asked. A published table is cut from the population's protected
    family (:func:`nrm.reporting.protect.table`). Readers get the configured threshold only
    (:func:`nrm.reporting.selectors.published_threshold`); another one protects a family of its
    own, for the local command line.
    """
    dims = parse_dims(by) if isinstance(by, str) else list(by)
    if raw:
        cube = compute(by=dims, source=source, population=population, filters={**(filters or {}), **(fixed or {})})
        return publish(cube, threshold=threshold, rounding=rounding, raw=True, name=name, title=title, notes=notes)
    from nrm.reporting import protect  # the protected family is built on this module

    return protect.table(
        by=dims,
        population=population,
        source=source,
        filters=filters,
        fixed=fixed,
        threshold=threshold,
        rounding=rounding,
        name=name,
        title=title,
        notes=notes,
    )
