"""Transfers: a case handed over to another organisation, which becomes its owner.

Distinct from a referral (a service asked of another organisation, the owner unchanged). The
receiving organisation accepts or declines; on acceptance the case's owner changes and the old
owner keeps a read-only view of the records it made (``cases.access.case_history_rule``, with
``transfers.access.former_owner_filter``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.core.models import TimeStamped, Versioned


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiver")
    ACCEPTED = "accepted", _("Accepted: ownership moved")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class CaseTransfer(TimeStamped, Versioned):
    """A request to hand ``case`` from ``from_org`` to ``to_org``, on the person's consent or a written legal ground."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transfers_out")
    to_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transfers_in")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField()
    reason = models.TextField(help_text=_("Why the case is handed over"))
    consent_given_on = models.DateField(
        null=True, blank=True, help_text=_("When the person consented to the transfer (empty: a legal ground)")
    )
    legal_ground = models.TextField(blank=True, help_text=_("Without consent: the written legal ground"))
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_on", "-id"]
        constraints = [
            # One open request per case: two receivers cannot both accept it.
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_transfer_per_case"
            )
        ]
        indexes = [models.Index(fields=["from_org", "status"]), models.Index(fields=["to_org", "status"])]
