"""Loading the justice reference data: offences of the criminal code and protection measures.

Data, not code: a country supplies its own JSON file of the same shape. Loading is idempotent:
rows are matched by code and updated in place.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from nrm.justice.models import Offence, ProtectionMeasure

DATA = Path(__file__).resolve().parent / "data"


@transaction.atomic
def load_justice_reference(path: Path | None = None) -> dict[str, int]:
    """Load offences and protection measures (default: Serbia's); return counts."""
    data = json.loads((path or DATA / "reference_rs.json").read_text(encoding="utf-8"))
    for row in data["offences"]:
        Offence.objects.update_or_create(code=row["code"], defaults=row)
    for row in data["protection_measures"]:
        ProtectionMeasure.objects.update_or_create(code=row["code"], defaults=row)
    return {"offences": len(data["offences"]), "protection_measures": len(data["protection_measures"])}
