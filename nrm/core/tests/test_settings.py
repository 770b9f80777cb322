"""Every NRM_* setting is read from the environment, validated, and then used."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import nrm.settings
from nrm.referrals.choices import ReferralKind

SETTINGS = Path(nrm.settings.__file__)


def _load(monkeypatch, **env: str):
    """Run the settings module afresh under ``env``; return it as a module."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("nrm_settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_defaults_are_declared(monkeypatch):
    for name in (
        "NRM_RETENTION_YEARS",
        "NRM_DISCLOSURE_THRESHOLD",
        "NRM_STATS_WORK_MEM",
        "NRM_REFERRAL_RESPONSE_DAYS",
        "NRM_JUSTICE_ORG_TYPES",
        "NRM_HELPLINE_ORG_TYPES",
        "NRM_COORDINATOR_ORG_TYPES",
        "NRM_COUNTRY",
        "NRM_STATISTICS_BASIS",
    ):
        monkeypatch.delenv(name, raising=False)
    s = _load(monkeypatch)
    assert (s.NRM_RETENTION_YEARS, s.NRM_DISCLOSURE_THRESHOLD, s.NRM_STATS_WORK_MEM) == (10, 5, "64MB")
    assert s.NRM_REFERRAL_RESPONSE_DAYS == {} and s.NRM_COUNTRY == "RS"
    assert s.NRM_JUSTICE_ORG_TYPES == ("police", "prosecution", "court")
    assert s.NRM_HELPLINE_ORG_TYPES == ("helpline",) and s.NRM_COORDINATOR_ORG_TYPES == ("coordinator",)
    assert s.NRM_STATISTICS_BASIS == "consent"


def test_set_values_are_read(monkeypatch):
    s = _load(
        monkeypatch,
        NRM_RETENTION_YEARS="3",
        NRM_DISCLOSURE_THRESHOLD="10",
        NRM_STATS_WORK_MEM="256MB",
        NRM_REFERRAL_RESPONSE_DAYS="identification:2, asylum:10",
        NRM_JUSTICE_ORG_TYPES="police, court",
        NRM_COUNTRY="me",
        NRM_STATISTICS_BASIS="legal_basis",
    )
    assert (s.NRM_RETENTION_YEARS, s.NRM_DISCLOSURE_THRESHOLD, s.NRM_STATS_WORK_MEM) == (3, 10, "256MB")
    assert s.NRM_REFERRAL_RESPONSE_DAYS == {"identification": 2, "asylum": 10}
    assert s.NRM_JUSTICE_ORG_TYPES == ("police", "court") and s.NRM_COUNTRY == "ME"
    assert s.NRM_STATISTICS_BASIS == "legal_basis"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NRM_RETENTION_YEARS", "ten"),
        ("NRM_RETENTION_YEARS", "0"),
        ("NRM_DISCLOSURE_THRESHOLD", "-1"),
        ("NRM_STATS_WORK_MEM", "64MB'; DROP TABLE x; --"),
        ("NRM_REFERRAL_RESPONSE_DAYS", "identification"),
        ("NRM_REFERRAL_RESPONSE_DAYS", "identifcation:3"),
        ("NRM_REFERRAL_RESPONSE_DAYS", "service:0"),
        ("NRM_JUSTICE_ORG_TYPES", "police;court"),
        ("NRM_HELPLINE_ORG_TYPES", ","),
        ("NRM_COORDINATOR_ORG_TYPES", "co ordinator"),
        ("NRM_COUNTRY", "Serbia"),
        ("NRM_STATISTICS_BASIS", "law"),
        ("NRM_TIME_ZONE", "Mars/Olympus"),
        ("NRM_SESSION_AGE", "-5"),
    ],
)
def test_an_invalid_value_stops_the_start_naming_the_variable(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        _load(monkeypatch, **{name: value})


def test_referral_kinds_in_settings_follow_the_choices():
    assert set(nrm.settings.REFERRAL_KINDS) == set(ReferralKind.values)


def test_retention_years_from_the_environment_reach_the_retention_rule():
    env = {**os.environ, "NRM_RETENTION_YEARS": "3", "DJANGO_SETTINGS_MODULE": "nrm.settings"}
    code = "import django; django.setup(); from nrm.cases.retention import retention_years; print(retention_years())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_retention_years_come_from_settings(settings):
    from nrm.cases.retention import retention_years

    settings.NRM_RETENTION_YEARS = 7
    assert retention_years() == 7
