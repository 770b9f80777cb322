"""Loading the helpline's reference data: the topics calls are logged under.

Data, not code: a country supplies its own JSON file of the same shape. Loading is idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from nrm.helpline.models import Topic

DATA = Path(__file__).resolve().parent / "data"


@transaction.atomic
def load_helpline_reference(path: Path | None = None) -> dict[str, int]:
    """Load the call topics (default: Serbia's); return counts."""
    data = json.loads((path or DATA / "reference_rs.json").read_text(encoding="utf-8"))
    for row in data["topics"]:
        Topic.objects.update_or_create(code=row["code"], defaults=row)
    return {"topics": len(data["topics"])}
