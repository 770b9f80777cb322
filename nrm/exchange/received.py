"""History of a case received from another deployment (``ReceivedRecord``): what retention erases of it."""

from __future__ import annotations

import json

from nrm.cases.retention import ERASED
from nrm.exchange.models import ReceivedRecord


def received_history_erase(case) -> None:
    """Blank the free texts (grounds, outcomes, assessors, options, decisions on a child) of the history
    ``case`` received; the facts (kinds, organisations, dates, statuses) stay (``nrm.cases.retention``)."""
    from nrm.exchange.htcds import HISTORY_ITEMS, HISTORY_KINDS, history_erase_texts

    specs = {kind: HISTORY_ITEMS[column][1] for column, kind in HISTORY_KINDS.items()}
    # Each value is bound to its row, so records are sealed one by one (update() cannot encrypt).
    for record in ReceivedRecord.objects.filter(case=case).only("pk", "binding", "kind", "data"):
        record.data = json.dumps(
            history_erase_texts(json.loads(record.data), specs[record.kind], ERASED),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        record.save(update_fields=["data"])
