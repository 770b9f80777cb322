"""Fixtures of the justice tests: cheap password hashing, the justice reference data, a scene."""

import pytest

from nrm.cases.tests.helpers import _fast_passwords  # noqa: F401
from nrm.justice.reference import load_justice_reference
from nrm.justice.tests.helpers import build_scene


@pytest.fixture
def justice(world):
    """Return the personas, with the offences and protection measures loaded."""
    load_justice_reference()
    return world


@pytest.fixture
def scene(world):
    return build_scene(world)
