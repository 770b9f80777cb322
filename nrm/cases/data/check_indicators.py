#!/usr/bin/env python3
"""Validate an indicator-list JSON file (e.g. ilo_ec_2009.json) and print its counts.

Standard library only, so it runs without Django:

    python3 nrm/cases/data/check_indicators.py [path/to/list.json] [--strict]

Errors (exit status 1): malformed structure, duplicate or badly formed codes, unknown
dimensions or groups, invalid strengths, audiences or forms, the same indicator listed
twice for the same audience and form, the same label twice for one audience and form (a
label repeated in two dimensions must say where it applies), a malformed translation
(``text_i18n`` of an indicator, ``title_i18n`` of a dimension: language code -> text, see
nrm/core/i18n.py), a malformed rule, or a dimension that can never become positive.

Warnings (exit status 0 unless --strict): a dimension with no strong indicator for adults,
and entries that could be merged (same dimension, wording and strength, kept apart although
one entry could carry both).

``validate()`` returns each problem with the place it concerns (``Problem.where``, e.g.
``("indicators", 4, "strength")``), so that the spreadsheet import can name the sheet, row
and column; ``check()`` returns them as text. Both the JSON loader and ``nrm screening
import-list`` use ``validate()``.

The adult "at least one strong indicator per dimension" check is only a warning because the
ILO/EC 2009 adult labour list itself has no strong indicator in "recruitment by abuse of
vulnerability" or "abuse of vulnerability at destination"; those dimensions can still turn
positive through three medium, or two medium and one weak, indicators.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import NamedTuple

STRENGTHS = ("strong", "medium", "weak")
AUDIENCES = ("adult", "child")
FORMS = ("labour", "sexual")
GROUPS = ("recruitment", "exploitation", "coercion")
RULE_KEYS = {"strong", "medium", "weak", "medium_or_weak"}
CODE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
LIST_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")  # "sr-latn", "sr": as in settings.LANGUAGES
DEFAULT_PATH = Path(__file__).with_name("ilo_ec_2009.json")


def clause_met(clause: dict, counts: dict) -> bool:
    """Same semantics as nrm.cases.screening.clause_met (kept here so this stays stdlib-only)."""
    need = {k: clause.get(k, 0) for k in ("strong", "medium", "weak")}
    if any(counts[k] < need[k] for k in need):
        return False
    spare = sum(counts[k] - need[k] for k in need)
    return spare >= clause.get("medium_or_weak", 0)


class Problem(NamedTuple):
    """One error or warning and the place it concerns.

    ``where`` is a path into the definition: ``()`` for the top level, ``("code",)``,
    ``("dimensions", i)`` or ``("dimensions", i, "group")``, ``("indicators", i, "text")``,
    ``("dimension_rule", j, "strong")``, ``("victim_rule", "child")``. The text names the
    entry too, so it reads on its own.
    """

    where: tuple
    message: str


def _mergeable(entries: list[dict]) -> bool:
    """Return True if one entry could carry the slots of all (their union is audiences x forms)."""
    slots = {(a, f) for e in entries for a in e["applies_to"] for f in e["forms"]}
    audiences = {a for a, _f in slots}
    forms = {f for _a, f in slots}
    return len(slots) == len(audiences) * len(forms)


def translations_problem(value) -> str | None:
    """Return what is wrong with a ``<key>_i18n`` mapping (language code -> text), or None."""
    if not isinstance(value, dict):
        return "must map language codes to texts"
    for lang, text in value.items():
        if not isinstance(lang, str) or not LANGUAGE_RE.match(lang):
            return f"{lang!r} is not a lower-case language code such as 'sr-latn'"
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            return f"the {lang} text is missing or has surrounding whitespace"
    return None


def validate(data: dict) -> tuple[list[Problem], list[Problem]]:
    """Return the errors and warnings of an indicator-list definition, each with its place."""
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def err(where: tuple, message: str) -> None:
        errors.append(Problem(where, message))

    for key, typ in (("code", str), ("version", int), ("title", str), ("source", str), ("dimensions", list),
                     ("indicators", list), ("dimension_rule", dict), ("victim_rule", dict)):
        if not isinstance(data.get(key), typ) or isinstance(data.get(key), bool):
            err((key,), f"top level: '{key}' missing or not a {typ.__name__}")
    if errors:
        return errors, warnings
    if not LIST_CODE_RE.match(data["code"]):
        err(("code",), f"top level: list code {data['code']!r} is not a slug")
    if data["version"] < 1:
        err(("version",), "top level: version must be >= 1")
    if "title_i18n" in data and (problem := translations_problem(data["title_i18n"])):
        err(("title_i18n",), f"top level: title_i18n {problem}")

    # Dimensions
    dims: dict[str, dict] = {}
    for i, dim in enumerate(data["dimensions"]):
        code = dim.get("code") if isinstance(dim, dict) else None
        if not isinstance(code, str) or not CODE_RE.match(code):
            err(("dimensions", i, "code"), f"dimension #{i}: bad or missing code {code!r}")
            continue
        if code in dims:
            err(("dimensions", i, "code"), f"dimension {code}: duplicate code")
        if not dim.get("title"):
            err(("dimensions", i, "title"), f"dimension {code}: missing title")
        if "title_i18n" in dim and (problem := translations_problem(dim["title_i18n"])):
            err(("dimensions", i, "title_i18n"), f"dimension {code}: title_i18n {problem}")
        if dim.get("group") not in GROUPS:
            err(("dimensions", i, "group"), f"dimension {code}: group {dim.get('group')!r} not one of {GROUPS}")
        dims[code] = dim
    groups_present = {d.get("group") for d in dims.values()}

    # Indicators
    seen_codes: set[str] = set()
    slots: dict[tuple, str] = {}  # (dimension, text, audience, form) -> code
    labels: dict[tuple, str] = {}  # (text, audience, form) -> code
    by_wording: dict[tuple, list[dict]] = defaultdict(list)
    valid: list[dict] = []
    for i, ind in enumerate(data["indicators"]):
        if not isinstance(ind, dict):
            err(("indicators", i), f"indicator #{i}: not an object")
            continue
        code = ind.get("code")
        where = f"indicator {code!r}" if code else f"indicator #{i}"
        ok = True
        if not isinstance(code, str) or not CODE_RE.match(code):
            err(("indicators", i, "code"), f"{where}: code is not short snake_case")
            ok = False
        elif code in seen_codes:
            err(("indicators", i, "code"), f"{where}: duplicate code")
            ok = False
        else:
            seen_codes.add(code)
        if ind.get("dimension") not in dims:
            err(("indicators", i, "dimension"), f"{where}: unknown dimension {ind.get('dimension')!r}")
            ok = False
        if ind.get("strength") not in STRENGTHS:
            err(("indicators", i, "strength"), f"{where}: strength {ind.get('strength')!r} not one of {STRENGTHS}")
            ok = False
        for field, allowed in (("applies_to", AUDIENCES), ("forms", FORMS)):
            value = ind.get(field)
            if not isinstance(value, list) or not value:
                err(("indicators", i, field), f"{where}: '{field}' must be a non-empty list")
                ok = False
            elif set(value) - set(allowed) or len(set(value)) != len(value):
                err(("indicators", i, field), f"{where}: '{field}' {value} must be distinct values from {allowed}")
                ok = False
        text = ind.get("text")
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            err(("indicators", i, "text"), f"{where}: text missing or has surrounding whitespace")
            ok = False
        if "text_i18n" in ind and (problem := translations_problem(ind["text_i18n"])):
            err(("indicators", i, "text_i18n"), f"{where}: text_i18n {problem}")
            ok = False
        if "source" in ind and (not isinstance(ind["source"], str) or not ind["source"].strip()):
            err(("indicators", i, "source"), f"{where}: 'source' must be a non-empty text when given")
            ok = False
        if not ok:
            continue
        valid.append(ind)
        for aud in ind["applies_to"]:
            for form in ind["forms"]:
                slot = (ind["dimension"], text.casefold(), aud, form)
                label = (text.casefold(), aud, form)
                if slot in slots:
                    err(("indicators", i, "text"),
                        f"{where}: same indicator as {slots[slot]!r} for {aud}/{form} in {ind['dimension']}")
                elif label in labels:
                    err(("indicators", i, "text"),
                        f"{where}: label {text!r} is also the label of {labels[label]!r} for {aud}/{form}; "
                        "say where each applies")
                slots.setdefault(slot, code)
                labels.setdefault(label, code)
        by_wording[(ind["dimension"], text.casefold(), ind["strength"])].append(ind)

    for (dim, _text, strength), entries in by_wording.items():
        if len(entries) > 1 and _mergeable(entries):
            codes = ", ".join(e["code"] for e in entries)
            warnings.append(Problem(
                ("indicators", data["indicators"].index(entries[1])),
                f"{dim}: entries with the same wording and strength ({strength}) could be merged: {codes}",
            ))

    # Rules
    clauses = data["dimension_rule"].get("any_of")
    if not isinstance(clauses, list) or not clauses:
        err(("dimension_rule",), "dimension_rule: 'any_of' must be a non-empty list")
        clauses = []
    for j, clause in enumerate(clauses):
        if not isinstance(clause, dict) or not clause:
            err(("dimension_rule", j), f"dimension_rule clause #{j}: must be a non-empty object")
            continue
        for k, v in clause.items():
            if k not in RULE_KEYS:
                err(("dimension_rule", j, k), f"dimension_rule clause #{j}: unknown key {k!r}")
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                err(("dimension_rule", j, k), f"dimension_rule clause #{j}: {k} must be a positive integer")
    for aud in AUDIENCES:
        rule = data["victim_rule"].get(aud)
        req = rule.get("all_of_groups") if isinstance(rule, dict) else None
        if not isinstance(req, list) or not req:
            err(("victim_rule", aud), f"victim_rule.{aud}: 'all_of_groups' must be a non-empty list")
            continue
        for g in req:
            if g not in GROUPS or g not in groups_present:
                err(("victim_rule", aud), f"victim_rule.{aud}: group {g!r} has no dimension")

    # Per-audience reachability and the adult "strong" check
    clean_clauses = [c for c in clauses if isinstance(c, dict) and set(c) <= RULE_KEYS]
    dim_index = {d: i for i, d in enumerate(dims)}
    for aud in AUDIENCES:
        for dcode in dims:
            counts = Counter(i["strength"] for i in valid if i["dimension"] == dcode and aud in i["applies_to"])
            counts = {s: counts.get(s, 0) for s in STRENGTHS}
            place = ("dimensions", dim_index[dcode])
            if not sum(counts.values()):
                warnings.append(Problem(place, f"{dcode}: no indicator for {aud}s"))
            elif clean_clauses and not any(clause_met(c, counts) for c in clean_clauses):
                err(place, f"{dcode}: can never become positive for {aud}s (all indicators {counts})")
            if aud == "adult" and counts["strong"] == 0:
                warnings.append(Problem(place, f"{dcode}: no strong indicator for adults"))
    return errors, warnings


def check(data: dict) -> tuple[list[str], list[str]]:
    """Return the errors and warnings of a definition as text (see :func:`validate`)."""
    errors, warnings = validate(data)
    return [e.message for e in errors], [w.message for w in warnings]


def print_counts(data: dict) -> None:
    dims = [d["code"] for d in data["dimensions"]]
    inds = data["indicators"]
    print(f"{data['code']} v{data['version']}: {len(inds)} entries")
    views = [("entries", lambda i: True)]
    for aud in AUDIENCES:
        for form in FORMS:
            if any(aud in i["applies_to"] and form in i["forms"] for i in inds):
                views.append((f"{aud}/{form}", lambda i, a=aud, f=form: a in i["applies_to"] and f in i["forms"]))
    width = max(len(d) for d in dims) + 2
    for label, keep in views:
        subset = [i for i in inds if keep(i)]
        print(f"\n{label}: {len(subset)} indicators")
        print(f"  {'dimension':<{width}}{'strong':>7}{'medium':>7}{'weak':>7}{'total':>7}")
        totals = Counter()
        for d in dims:
            c = Counter(i["strength"] for i in subset if i["dimension"] == d)
            totals.update(c)
            print(f"  {d:<{width}}{c['strong']:>7}{c['medium']:>7}{c['weak']:>7}{sum(c.values()):>7}")
        print(f"  {'total':<{width}}{totals['strong']:>7}{totals['medium']:>7}{totals['weak']:>7}"
              f"{sum(totals.values()):>7}")


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [a for a in argv if a != "--strict"]
    path = Path(paths[0]) if paths else DEFAULT_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"ERROR: cannot read {path}: {exc}")
        return 1
    if not isinstance(data, dict):
        print("ERROR: top level must be an object")
        return 1
    errors, warnings = check(data)
    for w in warnings:
        print(f"WARNING: {w}")
    for e in errors:
        print(f"ERROR: {e}")
    if not errors:
        print_counts(data)
    failed = bool(errors) or (strict and bool(warnings))
    print(f"\n{path.name}: {'FAILED' if failed else 'OK'} ({len(errors)} errors, {len(warnings)} warnings)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
