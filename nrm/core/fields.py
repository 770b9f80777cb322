"""Model fields that keep personal data encrypted at rest."""

from __future__ import annotations

import logging

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _

from nrm.core import crypto

log = logging.getLogger("nrm.security")


class Sealed(str):
    """A ciphertext exactly as stored: written back unchanged, never encrypted again."""


class Unreadable(str):
    """The shown value of a ciphertext that does not decrypt for its row and field (copied or altered).

    Saving the row keeps the stored ciphertext as it was, so the evidence is not overwritten.
    """

    token: str

    def __new__(cls, token: str) -> Unreadable:
        self = super().__new__(cls, _("[unreadable value]"))
        self.token = token
        return self


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on first access, when the row (its binding) is known; lists that never read a value never decrypt."""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        value = self.field.open(instance, value)
        instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value) -> None:
        # A data descriptor, so that reads come through __get__ even once the value is loaded.
        old = instance.__dict__.get(self.field.attname)
        if isinstance(old, Unreadable) and value == old:
            return  # a form gave the marker back unchanged: keep the stored ciphertext, not the marker's text
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text field stored as AES-GCM ciphertext bound to its model, field and row; the application sees plaintext.

    The row is identified by its ``binding`` UUID (:class:`nrm.core.models.Bound`) rather than its
    primary key: the key of a new row is only known after the INSERT that must already carry the
    ciphertext, while the binding is set when the instance is built and never changes.
    Encrypted values cannot be filtered or ordered in the database; search goes through a keyed
    hash stored beside them. ``QuerySet.update()`` cannot encrypt (it has no row): save the
    instance, or pass a :class:`Sealed` ciphertext made with :meth:`seal`.
    """

    descriptor_class = EncryptedAttribute

    def aad(self, instance: models.Model) -> bytes:
        return self.aad_for(instance.binding)

    def aad_for(self, binding: object) -> bytes:
        """Return the associated data of this field of the row whose binding is ``binding``."""
        return crypto.bound_aad(self.model._meta.concrete_model._meta.label, self.name, binding)

    def seal(self, instance: models.Model, plaintext: str) -> Sealed:
        """Return the ciphertext of ``plaintext`` for this field of ``instance``'s row."""
        return self.seal_for(instance.binding, plaintext)

    def seal_for(self, binding: object, plaintext: str) -> Sealed:
        """Return the ciphertext of ``plaintext`` for this field of the row whose binding is ``binding``.

        For rows inserted without building an instance (:func:`nrm.core.bulk.insert_rows`).
        """
        return Sealed(crypto.encrypt(plaintext, aad=self.aad_for(binding)))

    def to_stored(self, binding: object, value: object) -> object:
        """Return what :meth:`pre_save` stores for ``value`` in the row ``binding``, without an instance."""
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        if isinstance(value, Unreadable):
            return Sealed(value.token)
        return self.seal_for(binding, str(value))

    def open(self, instance: models.Model, token: str) -> str:
        """Return the plaintext of ``token`` for this field of ``instance``'s row, or an :class:`Unreadable` marker."""
        try:
            return crypto.decrypt(token, aad=self.aad(instance))
        except crypto.DecryptionError:
            log.warning("unreadable %s.%s of row %s", self.model._meta.label, self.name, instance.pk)
            return Unreadable(token)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Sealed(value)

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, Sealed):  # loaded and never read: keep the stored ciphertext
            return raw
        value = getattr(model_instance, self.attname)
        if value is None or value == "" or isinstance(value, Unreadable):
            # Nothing to seal: the row's binding is not read (a historical model may have none).
            return self.to_stored(None, value)
        return self.to_stored(model_instance.binding, value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        raise TypeError(f"{self.model._meta.label}.{self.name} is bound to its row: save the instance, not update()")


class EncryptedBinaryField(models.BinaryField):
    """Bytes (a file) stored as AES-GCM ciphertext bound to their model, field and row (``binding``).

    Unlike :class:`EncryptedTextField` nothing is decrypted on access: the attribute holds the
    ciphertext exactly as stored, so a row can be loaded, counted or backed up without the file
    being decrypted or even read; :meth:`seal` and :meth:`open` are called by the code that
    writes and serves the file. ``nrm rotate_keys`` re-encrypts it (``nrm.core.keys``).
    """

    def aad(self, binding: object) -> bytes:
        return crypto.bound_aad(self.model._meta.concrete_model._meta.label, self.name, binding)

    def seal(self, instance: models.Model, data: bytes) -> bytes:
        """Return the ciphertext of ``data`` for this field of ``instance``'s row."""
        return crypto.encrypt_bytes(data, aad=self.aad(instance.binding))

    def open(self, instance: models.Model) -> bytes:
        """Return the plaintext of this field of ``instance``; DecryptionError if it does not decrypt for its row."""
        return crypto.decrypt_bytes(getattr(instance, self.attname), aad=self.aad(instance.binding))
