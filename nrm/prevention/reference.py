"""Loading the prevention reference data (filled in by the prevention app)."""

from __future__ import annotations


def load_prevention_reference() -> dict[str, int]:
    """Load this app's reference lists idempotently; return counts."""
    return {}
