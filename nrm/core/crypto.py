"""Field encryption (AES-256-GCM) and the keyed linkage hash.

Ciphertexts are stored as ``v2:<key id>:<base64(nonce | ciphertext+tag)>`` so that keys can be
rotated: the first configured key encrypts, every configured key decrypts. The associated data
of a v2 ciphertext binds it to one field of one row (:func:`bound_aad`), so a value copied into
another row or field does not decrypt. ``v1`` ciphertexts, written before that binding with a
constant associated data, still decrypt until ``nrm rotate_keys`` turns them into v2.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import unicodedata
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v2"
LEGACY_PREFIX = "v1"
LEGACY_AAD = b"nrm"  # the constant associated data of v1 ciphertexts


class DecryptionError(Exception):
    """Raised when a stored value cannot be decrypted with any configured key."""


def _cipher(kid: str) -> AESGCM:
    """Return the cipher of the configured key ``kid`` (KeyError if none is)."""
    for configured, key in settings.NRM_ENCRYPTION_KEYS:
        if configured == kid:
            return _aesgcm(key)
    raise KeyError(kid)


@functools.lru_cache(maxsize=16)
def _aesgcm(key: bytes) -> AESGCM:
    # One per key, not per value: a case read decrypts a dozen (an AESGCM holds its key and no state).
    return AESGCM(key)


def current_key_id() -> str:
    return settings.NRM_ENCRYPTION_KEYS[0][0]


def bound_aad(label: str, field: str, binding: object) -> bytes:
    """Return the associated data that binds a ciphertext to ``field`` of the row ``binding`` of ``label``."""
    # One spelling of the UUID whatever the database returned (SQLite: hex, PostgreSQL: uuid).
    if not isinstance(binding, uuid.UUID):
        binding = uuid.UUID(str(binding))
    return f"{PREFIX}|{label}|{field}|{binding}".encode()


def encrypt(plaintext: str, *, aad: bytes) -> str:
    """Return the v2 AES-GCM ciphertext of ``plaintext`` under the current key, bound to ``aad``."""
    kid, key = settings.NRM_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    blob = nonce + _aesgcm(key).encrypt(nonce, plaintext.encode("utf-8"), aad)
    return f"{PREFIX}:{kid}:{base64.b64encode(blob).decode('ascii')}"


def decrypt(token: str, *, aad: bytes) -> str:
    """Return the plaintext of a value produced by :func:`encrypt` with the same ``aad``.

    A v1 value (constant associated data) decrypts whatever ``aad`` is given.
    """
    try:
        prefix, kid, b64 = token.split(":", 2)
        cipher = _cipher(kid)
        blob = base64.b64decode(b64)
        if prefix == LEGACY_PREFIX:
            aad = LEGACY_AAD
        elif prefix != PREFIX:
            raise ValueError(prefix)
        return cipher.decrypt(blob[:12], blob[12:], aad).decode("utf-8")
    except Exception as exc:
        raise DecryptionError("stored value cannot be decrypted with the configured keys") from exc


def encrypt_bytes(data: bytes, *, aad: bytes) -> bytes:
    """Return the v2 AES-GCM ciphertext of ``data`` as bytes: ``v2:<key id>:`` + nonce + ciphertext and tag.

    For files, stored in a binary column: no base64, so a document costs its size plus 28 bytes
    and its header.
    """
    kid, key = settings.NRM_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    return f"{PREFIX}:{kid}:".encode("ascii") + nonce + _aesgcm(key).encrypt(nonce, bytes(data), aad)


def decrypt_bytes(token: bytes, *, aad: bytes) -> bytes:
    """Return the plaintext of a value produced by :func:`encrypt_bytes` with the same ``aad``."""
    try:
        prefix, kid, blob = bytes(token).split(b":", 2)
        if prefix != PREFIX.encode("ascii"):
            raise ValueError(prefix)
        return _cipher(kid.decode("ascii")).decrypt(blob[:12], blob[12:], aad)
    except Exception as exc:
        raise DecryptionError("stored value cannot be decrypted with the configured keys") from exc


def bytes_header(kid: str | None = None) -> bytes:
    """Return the header that starts every :func:`encrypt_bytes` value under key ``kid`` (default: the current)."""
    return f"{PREFIX}:{kid or current_key_id()}:".encode("ascii")


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def version_of(token: str) -> str:
    return token.split(":", 1)[0]


# Serbian Cyrillic to Latin (Gaj), so the same name typed in either script links.
_CYR_TO_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "ђ": "dj",
    "е": "e",
    "ж": "z",
    "з": "z",
    "и": "i",
    "ј": "j",
    "к": "k",
    "л": "l",
    "љ": "lj",
    "м": "m",
    "н": "n",
    "њ": "nj",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "ћ": "c",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "c",
    "џ": "dz",
    "ш": "s",
    "й": "j",
    "ы": "y",
    "э": "e",
    "ю": "ju",
    "я": "ja",
    "ё": "e",
    "ь": "",
    "ъ": "",
    "щ": "sc",
}


def normalise_name(value: str) -> str:
    """Return a comparison form of a name: Latin script, no diacritics, folded case, single spaces."""
    text = value.casefold()
    text = "".join(_CYR_TO_LAT.get(ch, ch) for ch in text)
    text = text.replace("đ", "dj")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def linkage_key(*, given_name: str, family_name: str, date_of_birth: str = "", sex: str = "") -> str:
    """Return the HMAC-SHA256 linkage key of a person's normalised identity.

    Agencies that share the key compute the same value for the same person, in either script,
    without sharing the identity itself.
    """
    parts = [normalise_name(given_name), normalise_name(family_name), (date_of_birth or "").strip(), sex or ""]
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(settings.NRM_LINKAGE_KEY, message, hashlib.sha256).hexdigest()


def search_tokens(
    *, given_name: str, family_name: str, date_of_birth: str = "", birth_year: int | None = None
) -> tuple[str, str]:
    """Return the keyed search tokens of a person's name: (with the full date of birth, with the birth year).

    HMAC-SHA256 under ``NRM_LINKAGE_KEY`` of the normalised full name (given then family names as
    one text, so a two-word given name matches however the search box splits it) and the date or
    the year, each in its own domain so neither equals the other nor a linkage key. A token is
    empty when its part is unknown. Search compares tokens in the database: nothing is decrypted.
    """
    name = normalise_name(f"{given_name} {family_name}")
    if not name:
        return "", ""
    date_of_birth = (date_of_birth or "").strip()
    year = str(birth_year) if birth_year else date_of_birth[:4]
    by_date = _search_token("date", name, date_of_birth) if date_of_birth else ""
    by_year = _search_token("year", name, year) if year else ""
    return by_date, by_year


def _search_token(domain: str, name: str, born: str) -> str:
    message = "\x1f".join(("nrm-search", domain, name, born)).encode("utf-8")
    return hmac.new(settings.NRM_LINKAGE_KEY, message, hashlib.sha256).hexdigest()
