"""Loading the earlywarning reference data (filled in by the earlywarning app)."""

from __future__ import annotations


def load_earlywarning_reference() -> dict[str, int]:
    """Load this app's reference lists idempotently; return counts."""
    return {}
