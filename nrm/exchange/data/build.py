"""Rebuild the JSON reference tables of ``nrm.exchange`` (run by hand, not at import time).

    python nrm/exchange/data/build.py ../shared/reference/htcds

``htcds_v2_0.json``: the fields and picklists of the Human Trafficking Case Data Standard v2.0
(IOM, CC BY 4.0; see ``nrm/exchange/HTCDS.md``) from ``htcds_v2.0_fields.csv`` and
``htcds_v2.0_enumerations.csv``, values verbatim (trailing spaces and no-break spaces kept: the
importer normalises them, the exporter writes the trimmed value names).

``iso3166.json``: ISO 3166-1 alpha-2 -> [alpha-3, English name], from the ``pycountry`` package
(Debian iso-codes), plus the user-assigned code XK/XKX for Kosovo used by UN agencies.
"""

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build_htcds(ref: Path) -> None:
    fields = []
    with open(ref / "htcds_v2.0_fields.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            fields.append(
                {
                    "name": row["Field Name including Prefix"],
                    "label": row["Field Label"],
                    "section": row["Section"],
                    "status": row["Status"],
                    "core": row["Core"] == "Core",
                    "type": row["Field Type"],
                }
            )
    picklists: dict[str, list[list[str]]] = {}
    with open(ref / "htcds_v2.0_enumerations.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            picklists.setdefault(row["field"], []).append([row["value_name"], row["value_label"]])
    out = {
        "standard": "HTCDS",
        "version": "2.0",
        "source": "UNMigration/HTCDS@3c2f6537cd76c3305975aa5eef7a1bf26fe20a30",
        "licence": "CC BY 4.0, (c) IOM; no endorsement by IOM is implied",
        "fields": fields,
        "picklists": picklists,
    }
    (HERE / "htcds_v2_0.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def build_iso3166() -> None:
    import pycountry

    table = {c.alpha_2: [c.alpha_3, getattr(c, "common_name", None) or c.name] for c in pycountry.countries}
    table["XK"] = ["XKX", "Kosovo"]
    lines = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(table.items())]
    (HERE / "iso3166.json").write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    build_htcds(Path(sys.argv[1]))
    build_iso3166()
