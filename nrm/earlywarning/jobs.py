"""Early warning's scheduled job (registered with ``nrm.tasks.jobs.register_schedule``)."""

from __future__ import annotations

from nrm.earlywarning.services import alerts_evaluate


def evaluate() -> str:
    """Evaluate the indicators against their thresholds; return what the job's log says."""
    done = alerts_evaluate()
    return f"early warning: {len(done)} alerts raised or escalated"
