"""Fixtures of the justice tests: the justice reference data, a scene."""

import pytest

from nrm.justice.tests.helpers import build_scene


@pytest.fixture
def justice(world):
    """Return the personas, with the offences and protection measures loaded."""
    return world


@pytest.fixture
def scene(world):
    return build_scene(world)
