#!/usr/bin/env python3
"""Sanity check for rs_strategy_2017_2022.json (standard library only).

Usage: python check_fixture.py [path/to/fixture.json]

Prints counts and budget totals. Exits non-zero if the budget rows do not sum
to the totals, or if the structure is broken.
"""

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "rs_strategy_2017_2022.json"
AMOUNT_RE = re.compile(r"^-?\d+\.\d{2}$")
DEADLINE_KINDS = {"quarter", "year", "continuous", "date"}
FUNDING = {"budget", "taiex", "donors", "ipa", "other", "none"}
CURRENCIES = {"RSD", "EUR", None}


def main(path):
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    errors = []

    def err(msg):
        errors.append(msg)

    for key in ("country", "source", "strategy", "action_plan", "budget"):
        if key not in doc:
            err(f"missing top-level key {key!r}")
    if errors:
        return report(errors)

    strategy = doc["strategy"]
    for key in ("title", "period_start", "period_end", "vision", "general_objective", "special_objectives"):
        if not strategy.get(key):
            err(f"strategy.{key} missing/empty")

    # ------------------------------------------------------------ action plan
    objectives = doc["action_plan"].get("objectives", [])
    n_act = n_task = n_ind = n_obj_ind = n_res = n_risk = 0
    seen = set()
    for o in objectives:
        n_obj_ind += len(o.get("indicators", []))
        if not o.get("title"):
            err(f"objective {o.get('number')} has no title")
        for a in o.get("activities", []):
            n_act += 1
            an = a.get("number", "")
            if not an.startswith(f"{o['number']}."):
                err(f"activity {an} not under objective {o['number']}")
            if an in seen:
                err(f"duplicate number {an}")
            seen.add(an)
            if not a.get("title"):
                err(f"activity {an} has no title")
            n_ind += len(a.get("indicators", []))
            n_risk += len(a.get("risks", []))
            if not a.get("deadlines"):
                err(f"activity {an} has no deadline")
            for d in a.get("deadlines", []):
                if d.get("kind") not in DEADLINE_KINDS:
                    err(f"activity {an}: bad deadline kind {d.get('kind')!r}")
                if d.get("kind") == "quarter" and d.get("quarter") not in (1, 2, 3, 4):
                    err(f"activity {an}: quarter deadline without quarter")
            task_numbers = set()
            for t in a.get("tasks", []):
                n_task += 1
                tn = t.get("number", "")
                if not tn.startswith(an + "."):
                    err(f"task {tn} not under activity {an}")
                if tn in seen:
                    err(f"duplicate number {tn}")
                seen.add(tn)
                task_numbers.add(tn)
                if not t.get("title"):
                    err(f"task {tn} has no title")
                if not t.get("responsible"):
                    err(f"task {tn} has no responsible institution")
                if not isinstance(t.get("partners"), list):
                    err(f"task {tn}: partners must be a list")
            if not a.get("tasks"):
                err(f"activity {an} has no tasks")
            for r in a.get("resources", []):
                n_res += 1
                if r.get("funding_source") not in FUNDING:
                    err(f"activity {an}: bad funding_source {r.get('funding_source')!r}")
                if r.get("currency") not in CURRENCIES:
                    err(f"activity {an}: bad currency {r.get('currency')!r}")
                if not r.get("text"):
                    err(f"activity {an}: resource without text")
                for tn in r.get("tasks", []):
                    if tn not in task_numbers:
                        err(f"activity {an}: resource refers to unknown task {tn}")

    print(f"objectives: {len(objectives)}")
    print(f"activities: {n_act}")
    print(f"tasks:      {n_task}")
    print(f"indicators: {n_ind} (activity level) + {n_obj_ind} (objective level)")
    print(f"resources:  {n_res}")
    print(f"risks:      {n_risk}")
    print(f"strategy special objectives: {len(strategy.get('special_objectives', []))}")

    # ------------------------------------------------------------ budget
    for name in ("strategy", "action_plan"):
        sec = doc["budget"].get(name)
        if sec is None:
            err(f"budget.{name} missing")
            continue
        years = sec.get("years", [])
        sums = {str(y): Decimal("0.00") for y in years}
        for row in sec.get("rows", []):
            amt = row.get("amount")
            if not isinstance(amt, str) or not AMOUNT_RE.match(amt):
                err(f"budget.{name}: bad amount {amt!r} for {row.get('institution')} {row.get('year')}")
                continue
            y = str(row.get("year"))
            if y not in sums:
                err(f"budget.{name}: row year {y} not in years {years}")
                continue
            sums[y] += Decimal(amt)
        totals = sec.get("totals", {})
        stated = sec.get("totals_stated_in_seed") or {}
        print(
            f"\nbudget.{name} ({len(sec.get('rows', []))} rows, {len(sec.get('institutions_without_expenditures', []))} institutions without expenditures)"
        )
        for y in map(str, years):
            tot = totals.get(y)
            ok = tot is not None and Decimal(tot) == sums[y]
            line = f"  {y}: total {tot}  sum of rows {sums[y]:.2f}  {'OK' if ok else 'MISMATCH'}"
            if not ok:
                err(f"budget.{name} {y}: rows sum {sums[y]:.2f} != total {tot}")
            if y in stated:
                ok2 = Decimal(stated[y]) == sums[y]
                line += f"  | stated in seed {stated[y]} {'OK' if ok2 else 'MISMATCH (see notes)'}"
                if not ok2 and not sec.get("notes"):
                    err(f"budget.{name} {y}: stated total differs from rows and no notes explain it")
            print(line)
        extra = set(totals) - set(map(str, years))
        if extra:
            err(f"budget.{name}: totals for years not listed: {sorted(extra)}")

    return report(errors)


def report(errors):
    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  - " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT))
