"""Health check, encryption at rest, linkage keys and working days."""

import datetime as dt

import pytest
from django.db import connection

from nrm.core import crypto
from nrm.core.workdays import add_working_days, is_working_day


def test_healthz_reports_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"]["vendor"] == connection.vendor


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert "Content-Security-Policy" in response.headers


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


AAD = b"v2|test.Model|field|row"


def test_encrypt_round_trip_and_nonce():
    a, b = crypto.encrypt("Jelena", aad=AAD), crypto.encrypt("Jelena", aad=AAD)
    assert a != b and "Jelena" not in a
    assert crypto.decrypt(a, aad=AAD) == "Jelena"


def test_tampered_ciphertext_fails():
    token = crypto.encrypt("Jelena", aad=AAD)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, aad=AAD)


def test_old_key_still_decrypts_after_rotation(settings):
    old = crypto.encrypt("Marko", aad=AAD)
    settings.NRM_ENCRYPTION_KEYS = [("k2", b"\x01" * 32), *settings.NRM_ENCRYPTION_KEYS]
    new = crypto.encrypt("Marko", aad=AAD)
    assert crypto.key_id_of(new) == "k2" and crypto.key_id_of(old) != "k2"
    assert crypto.decrypt(old, aad=AAD) == crypto.decrypt(new, aad=AAD) == "Marko"


def test_linkage_key_same_in_cyrillic_and_latin():
    lat = crypto.linkage_key(given_name="Đorđe", family_name="Petrović", date_of_birth="2001-02-03", sex="M")
    cyr = crypto.linkage_key(given_name="Ђорђе", family_name="ПЕТРОВИЋ", date_of_birth="2001-02-03", sex="M")
    other = crypto.linkage_key(given_name="Đorđe", family_name="Petrović", date_of_birth="2001-02-04", sex="M")
    assert lat == cyr != other


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2024, 4, 30), 3, dt.date(2024, 5, 9)),  # Labour Day 1-2 May, Orthodox Good Friday to Easter Monday
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 5)),  # New Year 1-2 Jan, weekend
        (dt.date(2026, 1, 6), 1, dt.date(2026, 1, 8)),  # Orthodox Christmas 7 Jan
        (dt.date(2024, 2, 14), 1, dt.date(2024, 2, 19)),  # Statehood Day 15-16 Feb, weekend
    ],
)
def test_working_days_skip_serbian_holidays(start, days, expected):
    assert add_working_days(start, days, "RS") == expected


def test_weekend_is_not_a_working_day():
    assert not is_working_day(dt.date(2026, 11, 28), "RS")


def test_production_hashes_passwords_with_argon2():
    """The suite hashes cheaply (conftest); the settings module itself keeps Argon2 first."""
    from django.conf import settings

    import nrm.settings

    assert settings.PASSWORD_HASHERS != nrm.settings.PASSWORD_HASHERS  # the suite's override is in force
    assert nrm.settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
