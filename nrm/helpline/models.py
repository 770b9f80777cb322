"""Helpline calls and messages, logged anonymously; one may become a screening."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.core.fields import EncryptedTextField
from nrm.core.i18n import localized, translations_field
from nrm.core.models import Bound, TimeStamped
from nrm.helpline.choices import Channel


class Topic(models.Model):
    """What a call is about (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Call(Bound, TimeStamped):
    """One call or message to a helpline, without the caller's identity.

    ``screening`` is set when the call was turned into an (anonymous) screening; a call is
    turned into one screening at most.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="helpline_calls")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="calls")
    language = models.CharField(max_length=8, blank=True, help_text=_("ISO 639-1, e.g. sr, en, ar"))
    region = models.CharField(max_length=80, blank=True)
    referral_made = models.BooleanField(default=False)
    referred_to = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="helpline_referrals"
    )
    referred_to_other = models.CharField(max_length=200, blank=True, help_text=_("When not in the directory"))
    # Without identity by instruction; encrypted all the same, since free text may slip.
    notes = EncryptedTextField(blank=True)
    screening = models.OneToOneField(
        "cases.Screening", null=True, blank=True, on_delete=models.PROTECT, related_name="helpline_call"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "received_at"]),
            models.Index(fields=["received_at"]),
            models.Index(fields=["organisation", "channel"]),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk}"
