"""Model fields that keep personal data encrypted at rest."""

from __future__ import annotations

from django.db import models

from nrm.core import crypto


class EncryptedTextField(models.TextField):
    """A text field stored as AES-GCM ciphertext; the application sees plaintext.

    Encrypted values cannot be filtered or ordered in the database; search goes through a
    keyed hash stored beside them.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
