"""Aggregate rows as the API publishes them: small cells suppressed for national readers.

Used by the justice and helpline statistics until the reporting engine takes their rows over
(with margins and secondary suppression, see :mod:`nrm.reporting.disclosure`).
"""

from __future__ import annotations

from nrm.accounts.access import reads_national_statistics
from nrm.accounts.models import User


def published(user: User, rows: list[dict], counts: dict[str, list[str]]) -> dict:
    """Return ``rows`` as ``user`` may see them: national readers get small cells suppressed.

    ``counts`` maps each count column to the columns computed from the same people (amounts,
    medians): a count from 1 to below the threshold is shown as null, and so are its dependants.
    Zeros stay. No margins are published, so no suppressed cell can be recomputed from the table.
    Staff reading their own organisation's records see them as they are. Amounts become strings.
    """
    from nrm.reporting.engine import threshold_default

    national = reads_national_statistics(user)
    threshold = threshold_default() if national else None
    out = []
    for row in rows:
        row = dict(row)
        for count, dependants in counts.items():
            if threshold and row[count] and 0 < row[count] < threshold:
                row[count] = None
                for name in dependants:
                    row[name] = None
        for name, value in row.items():
            if hasattr(value, "quantize"):
                row[name] = str(value)
        out.append(row)
    return {"national": national, "threshold": threshold, "results": out}
