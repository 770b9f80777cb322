"""Fixtures of the justice tests: the justice reference data, a scene."""

import pytest

from nrm.justice.tests.helpers import build_scene


@pytest.fixture
def justice(world):
    """Return the personas, with the offences and protection measures loaded."""
    return world


@pytest.fixture
def proceeding_scene(world):
    """Return the proceeding of pu-bg with its victims' cases (``helpers.build_scene``)."""
    return build_scene(world)
