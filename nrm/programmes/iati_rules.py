"""IATI's own rules for an activity file, beyond what the XML schema checks.

These are the rules of IATI's Standard Ruleset (github.com/IATI/IATI-Rulesets, ``standard.json``)
that apply to what this system publishes, with the codelists of the codes it writes, plus one
of IATI's guidance made checkable: an organisation that reports an activity it takes no part in
is a ``secondary-reporter``. ``check_activities`` returns every breach, each naming the rule and
the element, so a test (or ``nrm programmes iati-check``) can show exactly what is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORBIDDEN = re.compile(r"[/&|?]")
# Codelists of the codes this system writes (IATI codelists, version 2.03).
CODES = {
    "ActivityStatus": {"1", "2", "3", "4", "5", "6"},
    "ActivityDateType": {"1", "2", "3", "4"},
    "OrganisationRole": {"1", "2", "3", "4"},
    "BudgetType": {"1", "2"},
    "BudgetStatus": {"1", "2"},
    "TransactionType": {str(n) for n in range(1, 14)},
    "ResultType": {"1", "2", "3", "9"},
    "IndicatorMeasure": {"1", "2", "3", "4", "5"},
}


@dataclass(frozen=True)
class Breach:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} ({self.rule})"


@cache
def dac_codes() -> frozenset[str]:
    """The DAC 5-digit purpose codes the system knows (``data/dac_sectors.json``)."""
    data = json.loads((Path(__file__).resolve().parent / "data" / "dac_sectors.json").read_text(encoding="utf-8"))
    return frozenset(row["code"] for row in data["sectors"])


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def _one_year_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def check_activities(data: bytes, *, today: dt.date) -> list[Breach]:
    """Return every breach of IATI's rules in an ``iati-activities`` document (empty: it passes)."""
    try:
        # Files this system wrote; expat (2.4.1+) refuses entity-expansion bombs anyway.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        return [Breach("well-formed", "document", str(exc))]
    breaches: list[Breach] = []
    for i, act in enumerate(root.findall("iati-activity"), start=1):
        breaches += _activity(act, f"iati-activity[{i}]", today)
    return breaches


def _activity(act: ET.Element, at: str, today: dt.date) -> list[Breach]:
    out: list[Breach] = []

    def need(ok: bool, rule: str, where: str, message: str) -> None:
        if not ok:
            out.append(Breach(rule, f"{at}/{where}", message))

    identifier = act.findtext("iati-identifier") or ""
    rep = act.find("reporting-org")
    rep_ref = rep.get("ref", "") if rep is not None else ""
    need(bool(identifier), "iati-identifier", "iati-identifier", "the activity has no identifier")
    need(rep is not None and bool(rep_ref), "reporting-org", "reporting-org", "no reporting organisation identifier")
    need(identifier.startswith(rep_ref), "starts_with", "iati-identifier", "must start with reporting-org/@ref")
    refs = [("iati-identifier", identifier), ("reporting-org/@ref", rep_ref)]
    refs += [("participating-org/@ref", o.get("ref", "")) for o in act.findall("participating-org")]
    for side in ("provider-org", "receiver-org"):
        refs += [(f"transaction/{side}/@ref", o.get("ref", "")) for o in act.findall(f"transaction/{side}")]
    for where, ref in refs:
        need(not FORBIDDEN.search(ref), "regex_matches", where, f"“{ref}” holds / & | or ?")

    # Languages and currencies: a default, or one on every narrative and value.
    if act.get(XML_LANG) is None:
        for n in act.iter("narrative"):
            need(n.get(XML_LANG) is not None, "one_or_all", "narrative", "no xml:lang and no default language")
    if act.get("default-currency") is None:
        for v in act.iter("value"):
            need(bool(v.get("currency")), "one_or_all", "value", "no currency and no default-currency")

    last = act.get("last-updated-datetime")
    need(last is None or (_day(last) or today) <= today, "date_now", "@last-updated-datetime", "in the future")

    # Dates of the activity.
    dates = {d.get("type"): _day(d.get("iso-date")) for d in act.findall("activity-date")}
    for d in act.findall("activity-date"):
        need(d.get("type") in CODES["ActivityDateType"], "codelist", "activity-date/@type", "not an ActivityDateType")
    need(bool(dates.get("1") or dates.get("2")), "atleast_one", "activity-date", "no start date (planned or actual)")
    for less, more in (("1", "3"), ("2", "4")):
        if dates.get(less) and dates.get(more):
            need(dates[less] <= dates[more], "date_order", f"activity-date[@type='{more}']", "ends before it starts")
    for actual in ("2", "4"):
        if dates.get(actual):
            need(
                dates[actual] <= today, "date_order", f"activity-date[@type='{actual}']", "an actual date in the future"
            )
    status = act.find("activity-status")
    need(
        status is not None and status.get("code") in CODES["ActivityStatus"],
        "codelist",
        "activity-status",
        "missing or not an ActivityStatus",
    )

    for org in act.findall("participating-org"):
        need(bool(org.get("ref") or org.findall("narrative")), "atleast_one", "participating-org", "no ref, no name")
        need(org.get("role") in CODES["OrganisationRole"], "codelist", "participating-org/@role", "not a role code")

    # Where: recipient countries share 100%.
    shares = [_number(c.get("percentage")) for c in act.findall("recipient-country")]
    if shares:
        need(None not in shares and sum(shares) == 100, "sum", "recipient-country/@percentage", "does not add to 100")

    # What: sectors at activity level, or on every transaction; DAC codes adding to 100%.
    sectors = act.findall("sector")
    transactions = act.findall("transaction")
    need(
        bool(sectors) or (bool(transactions) and all(t.find("sector") is not None for t in transactions)),
        "atleast_one",
        "sector",
        "no sector on the activity nor on every transaction",
    )
    dac = [s for s in sectors if s.get("vocabulary", "1") == "1"]
    for s in dac:
        need(s.get("code") in dac_codes(), "codelist", "sector/@code", f"“{s.get('code')}” is not a known DAC code")
    if dac:
        total = [_number(s.get("percentage", "100" if len(dac) == 1 else None)) for s in dac]
        need(None not in total and sum(total) == 100, "strict_sum", "sector/@percentage", "does not add to 100")

    # Money: budgets of at most a year, in order; transactions not in the future.
    for b in act.findall("budget"):
        start = _day(b.find("period-start").get("iso-date")) if b.find("period-start") is not None else None
        end = _day(b.find("period-end").get("iso-date")) if b.find("period-end") is not None else None
        need(bool(start and end), "budget", "budget", "a budget needs a period start and end")
        if start and end:
            need(start <= end, "date_order", "budget/period-end", "before the period's start")
            need(end < _one_year_later(start), "time_limit", "budget", f"{start}..{end} is longer than a year")
        need(b.get("type") in CODES["BudgetType"], "codelist", "budget/@type", "not a BudgetType")
        need(b.get("status") in CODES["BudgetStatus"], "codelist", "budget/@status", "not a BudgetStatus")
        value = b.find("value")
        need(value is not None and bool(value.get("value-date")), "budget", "budget/value", "no value-date")
    for t in transactions:
        kind = t.find("transaction-type")
        need(
            kind is not None and kind.get("code") in CODES["TransactionType"],
            "codelist",
            "transaction/transaction-type",
            "missing or not a TransactionType",
        )
        when = t.find("transaction-date")
        day = _day(when.get("iso-date")) if when is not None else None
        need(day is not None, "transaction", "transaction/transaction-date", "missing")
        need(day is None or day <= today, "date_order", "transaction/transaction-date", "in the future")
        value = t.find("value")
        value_day = _day(value.get("value-date")) if value is not None else None
        need(value_day is not None, "transaction", "transaction/value/@value-date", "missing")
        need(value_day is None or value_day <= today, "date_order", "transaction/value/@value-date", "in the future")
        for side in ("provider-org", "receiver-org"):
            org = t.find(side)
            if org is not None:
                need(bool(org.get("ref") or org.findall("narrative")), "atleast_one", f"transaction/{side}", "no name")

    # Results: real periods, start before end.
    for r in act.findall("result"):
        need(r.get("type") in CODES["ResultType"], "codelist", "result/@type", "not a ResultType")
        for ind in r.findall("indicator"):
            need(ind.get("measure") in CODES["IndicatorMeasure"], "codelist", "indicator/@measure", "not a measure")
            for p in ind.findall("period"):
                start = _day(p.find("period-start").get("iso-date")) if p.find("period-start") is not None else None
                end = _day(p.find("period-end").get("iso-date")) if p.find("period-end") is not None else None
                need(bool(start and end), "result", "result/indicator/period", "a period needs a start and an end")
                if start and end:
                    need(start <= end, "date_order", "result/indicator/period/period-end", "before the start")

    # Republishing: the reporting organisation takes no part in the activity, so it is secondary.
    participants = {o.get("ref") for o in act.findall("participating-org") if o.get("ref")}
    if rep is not None and rep_ref not in participants:
        need(
            rep.get("secondary-reporter") in ("1", "true"),
            "secondary-reporter",
            "reporting-org/@secondary-reporter",
            "the reporting organisation takes no part in the activity: it republishes it (secondary-reporter 1)",
        )
    return out
