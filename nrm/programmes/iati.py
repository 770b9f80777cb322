"""A programme as an IATI activity file (``iati-activities`` version 2.03), built with xml.etree.

The XML is written from :func:`nrm.programmes.selectors.programme_iati` (the JSON the API
serves), so both say the same; that function's docstring says how the data meets IATI's rules,
and :mod:`nrm.programmes.iati_rules` checks a file against them. What the data still lacks:

* **Identifiers.** The reporting organisation's is a setting (``NRM_IATI_REPORTING_ORG_REF``,
  by default the private-use ``XM-NRM-<country>``); the seeds name no identifiers of the other
  organisations, so participating organisations carry a name and no ``ref``.
* **Roles.** Partners' roles 1 Funding, 2 Accountable, 3 Extending and 4 Implementing map to
  IATI's OrganisationRole codes; "national partner" has no IATI role and is left out. Each donor
  of a funding line is a Funding (1) participating-org.
* **Status.** activity-status is derived from the dates (1 Pipeline before the start, 4 Closed
  after the end, else 2 Implementation); the system records no status of its own.
* **Money.** The system records what donors committed (funding lines), not disbursements or
  expenditure: those would be further transactions (types 3 and 4) once recorded.
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


def _value(parent: ET.Element, value: dict) -> None:
    ET.SubElement(parent, "value", {"currency": value["currency"], "value-date": value["value-date"]}).text = value[
        "text"
    ]


def activity_xml(programme: Programme, *, country: str | None = None, now: dt.datetime | None = None) -> bytes:
    """Return ``programme`` as a well-formed IATI 2.03 activities document (UTF-8 bytes)."""
    now = (now or timezone.now()).replace(microsecond=0)
    data = programme_iati(programme, country=country, today=timezone.localdate(now))["iati-activity"]
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": now.isoformat()})
    attrs = {"last-updated-datetime": now.isoformat(), XML_LANG: "en"}
    if data["default-currency"]:
        attrs["default-currency"] = data["default-currency"]
    act = ET.SubElement(root, "iati-activity", attrs)
    ET.SubElement(act, "iati-identifier").text = data["iati-identifier"]
    rep = data["reporting-org"]
    _narrative(
        act,
        "reporting-org",
        rep,
        ref=rep["ref"],
        type=rep["type"],
        **{"secondary-reporter": rep.get("secondary-reporter", "")},
    )
    _narrative(act, "title", data["title"])
    for d in data["description"]:
        _narrative(act, "description", d, type=d["type"])
    for org in data["participating-org"]:
        _narrative(act, "participating-org", org, ref=org.get("ref", ""), role=org["role"])
    ET.SubElement(act, "activity-status", {"code": data["activity-status"]["code"]})
    for d in data["activity-date"]:
        _date(act, "activity-date", d["iso-date"], type=d["type"])
    for c in data["recipient-country"]:
        ET.SubElement(act, "recipient-country", {"code": c["code"], "percentage": c["percentage"]})
    for sector in data["sector"]:
        ET.SubElement(act, "sector", sector)
    for b in data["budget"]:
        budget = ET.SubElement(act, "budget", {"type": b["type"], "status": b["status"]})
        _date(budget, "period-start", b["period-start"]["iso-date"])
        _date(budget, "period-end", b["period-end"]["iso-date"])
        _value(budget, b["value"])
    for t in data["transaction"]:
        transaction = ET.SubElement(act, "transaction")
        ET.SubElement(transaction, "transaction-type", t["transaction-type"])
        _date(transaction, "transaction-date", t["transaction-date"]["iso-date"])
        _value(transaction, t["value"])
        _narrative(transaction, "description", t["description"])
        _narrative(transaction, "provider-org", t["provider-org"])
        _narrative(transaction, "receiver-org", t["receiver-org"], ref=t["receiver-org"].get("ref", ""))
    for r in data["result"]:
        result = ET.SubElement(act, "result", {"type": r["type"], "aggregation-status": "0"})
        _narrative(result, "title", r["title"])
        for ind in r["indicator"]:
            indicator = ET.SubElement(result, "indicator", {"measure": ind["measure"]})
            _narrative(indicator, "title", ind["title"])
            for b in ind.get("baseline", []):
                ET.SubElement(indicator, "baseline", {"year": b["year"], "value": b["value"]})
            for p in ind["period"]:
                period = ET.SubElement(indicator, "period")
                _date(period, "period-start", p["period-start"]["iso-date"])
                _date(period, "period-end", p["period-end"]["iso-date"])
                for t in p.get("target", []):
                    ET.SubElement(period, "target", {"value": t["value"]})
                for a in p["actual"]:
                    actual = ET.SubElement(period, "actual", {"value": a["value"]})
                    if p.get("to-date"):
                        comment = ET.SubElement(actual, "comment")
                        ET.SubElement(
                            comment, "narrative", {XML_LANG: "en"}
                        ).text = "Cumulative value to the day it was recorded; the source gives no period end."
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
