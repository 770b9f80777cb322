"""Loading the prevention reference data: the professions participants are counted by.

Data, not code: a country supplies its own JSON file of the same shape. Loading is idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

DATA = Path(__file__).resolve().parent / "data"


@transaction.atomic
def load_prevention_reference(path: Path | None = None) -> dict[str, int]:
    """Load the professions (default: Serbia's); return counts."""
    from nrm.prevention.models import Profession

    data = json.loads((path or DATA / "reference_rs.json").read_text(encoding="utf-8"))
    for row in data["professions"]:
        Profession.objects.update_or_create(code=row["code"], defaults=row)
    return {"professions": len(data["professions"])}
