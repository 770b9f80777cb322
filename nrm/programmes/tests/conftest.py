"""Fixtures for donor programmes: the seeds' programmes loaded (by ``world``) and the personas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import fresh
from nrm.accounts.models import User
from nrm.programmes.loading import DEFAULT_FIXTURE
from nrm.programmes.models import Programme

SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
JOINT = "rs-ungift-jp-2010"
IRC = "rs-irc-anti-trafficking"
COE = "rs-coe-thb-2019"


def fixture_document() -> dict:
    return json.loads(DEFAULT_FIXTURE.read_text(encoding="utf-8"))


def seed_text(prefix: str) -> str:
    """Return seed ``prefix``'s text with bold marks removed and whitespace collapsed; skip if absent."""
    files = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"seed {prefix} not found under {SEEDS}: the seed check needs the shared seeds")
    return re.sub(r"\s+", " ", files[0].read_text(encoding="utf-8").replace("**", ""))


@pytest.fixture
def no_programmes(world) -> None:
    """Remove the seeds' programmes the world carries, for tests of a database that has none yet."""
    Programme.objects.all().delete()
    assert not Programme.objects.exists()


@pytest.fixture
def programmes(world) -> dict[str, Programme]:
    return {p.code: p for p in Programme.objects.all()}


@pytest.fixture
def people(world) -> dict[str, User]:
    roleless, _created = User.objects.get_or_create(username="nobody")
    return {
        "coordinator": fresh(world["coordinator"]),
        "analyst": fresh(world["analyst"]),
        "ngo": fresh(world["ngo"]),
        "nobody": roleless,
    }
