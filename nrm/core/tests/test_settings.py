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


# --- Production keys ---------------------------------------------------------------------------


def _production_env(tmp_path: Path) -> dict[str, str]:
    """Every key production needs, so that a test can take exactly one away."""
    import base64
    import secrets

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_") and k != "DATABASE_URL"}
    return {
        **env,
        "NRM_ENV": "production",
        "NRM_DATA_DIR": str(tmp_path),
        "NRM_ALLOWED_HOSTS": "nrm.example.org",
        "NRM_SECRET_KEY": secrets.token_urlsafe(48),
        "NRM_ENCRYPTION_KEYS": f"k1:{key()}",
        "NRM_LINKAGE_KEY": key(),
        "NRM_AUDIT_KEY": key(),
        "NRM_AUDIT_SIGNING_KEY": key(),
    }


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import nrm.settings"], env=env, capture_output=True, text=True, check=False
    )


def test_production_starts_with_every_key(tmp_path):
    result = _import_settings(_production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("*.key"))  # nothing generated in production


@pytest.mark.parametrize(
    ("missing", "what"),
    [
        ("NRM_SECRET_KEY", "a long random string"),
        ("NRM_ENCRYPTION_KEYS", "id:base64"),
        ("NRM_LINKAGE_KEY", "base64 of 32 random bytes"),
        ("NRM_AUDIT_KEY", "base64 of 32 random bytes"),
        ("NRM_AUDIT_SIGNING_KEY", "base64 of 32 random bytes"),
        ("NRM_ALLOWED_HOSTS", "host names"),
    ],
)
def test_a_missing_production_key_is_named_with_what_to_set(tmp_path, missing, what):
    env = _production_env(tmp_path)
    del env[missing]
    result = _import_settings(env)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"{missing} must be set when NRM_ENV=production" in last, last
    assert what in last, last
    assert "NRM_ENCRYPTION_KEY_LOCAL" not in last
    assert not list(tmp_path.glob("*.key"))


def test_production_does_not_take_the_local_encryption_key(tmp_path):
    env = _production_env(tmp_path)
    env["NRM_ENCRYPTION_KEY_LOCAL"] = env.pop("NRM_ENCRYPTION_KEYS").partition(":")[2]
    result = _import_settings(env)
    assert result.returncode != 0
    assert "NRM_ENCRYPTION_KEYS must be set when NRM_ENV=production" in result.stderr.strip().splitlines()[-1]


def test_db_pool_settings(monkeypatch):
    url = "postgres://nrm@db.example/nrm"
    plain = _load(monkeypatch, DATABASE_URL=url)
    assert plain.DATABASES["default"]["CONN_MAX_AGE"] == 60 and "OPTIONS" not in plain.DATABASES["default"]
    assert plain.NRM_LISTENED_ROWS  # a kept connection's LISTEN is its own
    bouncer = _load(monkeypatch, DATABASE_URL=url, NRM_DB_POOL="pgbouncer")
    assert bouncer.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]
    assert bouncer.DATABASES["default"]["OPTIONS"] == {"prepare_threshold": None} and not bouncer.NRM_LISTENED_ROWS
    pooled = _load(monkeypatch, DATABASE_URL=url, NRM_DB_POOL="psycopg")
    assert (
        pooled.DATABASES["default"]["CONN_MAX_AGE"] == 0
        and pooled.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] == 8
    )
    assert not pooled.NRM_LISTENED_ROWS
    with pytest.raises(ImproperlyConfigured, match="NRM_DB_POOL must be pgbouncer, psycopg or unset, not 'yes'"):
        _load(monkeypatch, DATABASE_URL=url, NRM_DB_POOL="yes")
