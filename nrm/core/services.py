"""Shared write helpers."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.core.errors import Conflict
from nrm.core.fields import EncryptedTextField
from nrm.core.validation import check_record


def save_versioned(obj: models.Model, *, expected_version: int | None, fields: list[str]) -> None:
    """Save ``fields`` of ``obj`` only if its stored version is still ``expected_version``.

    A stale edit raises :class:`Conflict` and writes nothing, so two people editing one record
    never silently overwrite each other.
    """
    if expected_version is None:
        expected_version = obj.version
    # update() sends no pre_save signal: the shared field checks run here instead.
    check_record(obj, fields)
    values = {name: getattr(obj, name) for name in fields}
    for name in values:
        field = obj._meta.get_field(name)
        if isinstance(field, EncryptedTextField):
            # update() has no row to bind a ciphertext to: seal it for obj's row here.
            values[name] = field.pre_save(obj, add=False)
    # update() skips auto_now, so the modification time is set here.
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields) and "updated_at" not in values:
        obj.updated_at = values["updated_at"] = timezone.now()
    updated = type(obj).objects.filter(pk=obj.pk, version=expected_version).update(version=F("version") + 1, **values)
    if updated != 1:
        raise Conflict(_("This record was changed by someone else. Reload it and apply your change again."))
    obj.version = expected_version + 1
