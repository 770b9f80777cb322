"""The answers GRETA's evaluation asks for on each case's protection measures (issue K)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReflectionDecision(models.TextChoices):
    """The decision on a requested recovery and reflection period (Art. 13 of the Convention)."""

    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class PermitDecision(models.TextChoices):
    """The decision on a residence permit applied for (Art. 14)."""

    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class PermitKind(models.TextChoices):
    """The ground of a residence permit: Art. 14(1)(a) personal situation, (b) cooperation, or other."""

    HUMANITARIAN = "humanitarian", _("Temporary, on humanitarian grounds (personal situation)")
    COOPERATION = "cooperation", _("Victim cooperating with the authorities")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class ReturnKind(models.TextChoices):
    """Whether the person returned to their country, and how (Art. 16)."""

    NONE = "none", _("No return")
    VOLUNTARY = "voluntary", _("Assisted voluntary return")
    FORCED = "forced", _("Forced return")


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class NonPunishment(models.TextChoices):
    """Whether the non-punishment provision (Art. 26) was applied to the person."""

    NOT_RELEVANT = "not_relevant", _("Not relevant (no offence at issue)")
    YES = "yes", _("Applied")
    NO = "no", _("Not applied")


class TraffickingScope(models.TextChoices):
    """Internal or cross-border trafficking: derived from the case, never typed (``scope.py``)."""

    INTERNAL = "internal", _("Internal")
    CROSS_BORDER = "cross_border", _("Cross-border")
    UNKNOWN = "unknown", _("Unknown")
