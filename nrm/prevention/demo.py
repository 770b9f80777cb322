"""Synthetic prevention data for the demo."""


def demo_prevention(seed: int = 2017) -> str:
    """Create the demo's prevention records once; return a one-line summary."""
    return ""
