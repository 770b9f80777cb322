"""Synthetic earlywarning data for the demo."""


def demo_earlywarning(seed: int = 2017) -> str:
    """Create the demo's earlywarning records once; return a one-line summary."""
    return ""
