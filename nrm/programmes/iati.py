"""A programme as an IATI activity file (``iati-activities`` version 2.03), built with xml.etree.

The XML is written from :func:`nrm.programmes.selectors.programme_iati` (the JSON the API
serves), so both say the same. What does not fit IATI, or what IATI wants that the data lacks:

* **Identifiers.** The seeds name no IATI organisation identifiers: the reporting organisation
  gets the provisional prefix ``XM-NRM-<country>`` (``XM`` is IATI's private-use prefix), and
  participating organisations carry a name but no ``ref``.
* **Roles.** Partners' roles 1 Funding, 2 Accountable, 3 Extending and 4 Implementing map to
  IATI's OrganisationRole codes; "national partner" has no IATI role and is left out. Each donor
  of a funding line is a Funding (1) participating-org.
* **Status.** activity-status is derived from the dates (1 Pipeline before the start, 4 Closed
  after the end, else 2 Implementation); the system records no status of its own.
* **Budget.** One original, committed budget over the programme's whole period, valued on its
  start date; none when the period has no end. Funding lines per donor have no place in
  ``budget`` and are not transactions (no dates of disbursement), so no ``transaction`` is
  written: the system holds no transactions.
* **Results.** Each indicator becomes an output result (type 1). IATI 2.03 keeps targets in
  periods: the indicator's one target is repeated in each of its periods (or put in a period
  over the programme's dates when there is no value). A baseline needs a year: the year the
  programme starts, else the first value's year. An actual "to date" without an end date gets
  the date of the export as its period end (IATI requires one), noted in a ``comment``.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from django.utils import timezone

from nrm.programmes.models import Programme
from nrm.programmes.selectors import programme_iati

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _narrative(parent: ET.Element, tag: str, node: dict, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v})
    for n in node["narrative"]:
        ET.SubElement(element, "narrative", {XML_LANG: n["xml:lang"]}).text = n["text"]
    return element


def _date(parent: ET.Element, tag: str, iso: str | None, **attrs: str) -> None:
    if iso:
        ET.SubElement(parent, tag, {**attrs, "iso-date": iso})


def activity_xml(programme: Programme, *, country: str = "RS", now: dt.datetime | None = None) -> bytes:
    """Return ``programme`` as a well-formed IATI 2.03 activities document (UTF-8 bytes)."""
    now = (now or timezone.now()).replace(microsecond=0)
    today = now.date().isoformat()
    data = programme_iati(programme, country=country)["iati-activity"]
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": now.isoformat()})
    attrs = {"last-updated-datetime": now.isoformat(), XML_LANG: "en"}
    if data["default-currency"]:
        attrs["default-currency"] = data["default-currency"]
    act = ET.SubElement(root, "iati-activity", attrs)
    ET.SubElement(act, "iati-identifier").text = data["iati-identifier"]
    rep = data["reporting-org"]
    _narrative(act, "reporting-org", rep, ref=rep["ref"], type=rep["type"])
    _narrative(act, "title", data["title"])
    for d in data["description"]:
        _narrative(act, "description", d, type=d["type"])
    for org in data["participating-org"]:
        _narrative(act, "participating-org", org, role=org["role"])
    ET.SubElement(act, "activity-status", {"code": data["activity-status"]["code"]})
    for d in data["activity-date"]:
        _date(act, "activity-date", d["iso-date"], type=d["type"])
    for c in data["recipient-country"]:
        ET.SubElement(act, "recipient-country", {"code": c["code"], "percentage": c["percentage"]})
    for b in data["budget"]:
        budget = ET.SubElement(act, "budget", {"type": b["type"], "status": b["status"]})
        _date(budget, "period-start", b["period-start"]["iso-date"])
        _date(budget, "period-end", b["period-end"]["iso-date"])
        value = ET.SubElement(
            budget, "value", {"currency": b["value"]["currency"], "value-date": b["value"]["value-date"]}
        )
        value.text = b["value"]["text"]
    starts = [d["iso-date"] for d in data["activity-date"] if d["type"] in ("1", "2")]
    ends = [d["iso-date"] for d in data["activity-date"] if d["type"] in ("3", "4")]
    for r in data["result"]:
        result = ET.SubElement(act, "result", {"type": r["type"], "aggregation-status": "0"})
        _narrative(result, "title", r["title"])
        for ind in r["indicator"]:
            indicator = ET.SubElement(result, "indicator", {"measure": ind["measure"]})
            _narrative(indicator, "title", ind["title"])
            periods = ind["period"]
            year = (starts[0] if starts else (periods[0]["period-start"]["iso-date"] if periods else ""))[:4]
            if ind.get("baseline") and year:
                ET.SubElement(indicator, "baseline", {"year": year, "value": ind["baseline"][0]["value"]})
            target = ind["target"][0]["value"] if ind.get("target") else None
            if not periods and target is not None and starts and ends:
                periods = [{"period-start": {"iso-date": starts[0]}, "period-end": {"iso-date": ends[0]}, "actual": []}]
            for p in periods:
                period = ET.SubElement(indicator, "period")
                _date(period, "period-start", p["period-start"]["iso-date"])
                open_ended = "period-end" not in p
                _date(period, "period-end", today if open_ended else p["period-end"]["iso-date"])
                if target is not None:
                    ET.SubElement(period, "target", {"value": target})
                for a in p["actual"]:
                    actual = ET.SubElement(period, "actual", {"value": a["value"]})
                    if open_ended:
                        comment = ET.SubElement(actual, "comment")
                        ET.SubElement(
                            comment, "narrative", {XML_LANG: "en"}
                        ).text = "Cumulative value to date; the source gives no period end."
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
