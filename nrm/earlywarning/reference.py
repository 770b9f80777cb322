"""Loading the early-warning reference data: vulnerable groups and their risk indicators.

Data, not code: a country supplies its own JSON file of the same shape. Loading is idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from nrm.earlywarning.models import RiskIndicator, VulnerableGroup

DATA = Path(__file__).resolve().parent / "data"


@transaction.atomic
def load_earlywarning_reference(path: Path | None = None) -> dict[str, int]:
    """Load the vulnerable groups and their indicators (default: Serbia's); return counts."""
    data = json.loads((path or DATA / "reference_rs.json").read_text(encoding="utf-8"))
    indicators = 0
    for row in data["groups"]:
        row = dict(row)
        items = row.pop("indicators", [])
        group, _created = VulnerableGroup.objects.update_or_create(code=row["code"], defaults=row)
        for order, item in enumerate(items, start=1):
            RiskIndicator.objects.update_or_create(
                code=item["code"], defaults={**item, "group": group, "sort_order": item.get("sort_order", order)}
            )
            indicators += 1
    return {"vulnerable_groups": len(data["groups"]), "risk_indicators": indicators}
