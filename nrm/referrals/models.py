"""The service directory and referrals between organisations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.core.i18n import localized, translations_field
from nrm.core.models import TimeStamped, Versioned
from nrm.referrals.choices import GroundReview, LegalGround, ReferralKind, ReferralStatus, Urgency


class ServiceType(models.Model):
    """A kind of service (accommodation, legal aid, ...): reference data."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class ServiceOffer(models.Model):
    """An entry of the service directory: an organisation offers a service somewhere, in some languages."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="offers")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="offers")
    coverage = models.CharField(max_length=200, help_text=_("Regions or cities covered"))
    languages = models.CharField(max_length=120, blank=True, help_text=_("Comma-separated language codes"))
    for_children = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["service_type__sort_order", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "service_type"], name="one_offer_per_service")]

    def __str__(self) -> str:
        return f"{self.service_type} · {self.organisation}"


class Referral(TimeStamped, Versioned):
    """A referral of a case from one organisation to another.

    What the receiver may see is decided when it is sent and frozen here: ``consent_snapshot``
    records the consents in force, ``shares_identity`` whether identity travels with it,
    ``shares_documents`` whether the case's documents do.
    """

    # Indexed with the receiver and the state below: a case's referrals to the reader's organisations.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals", db_index=False)
    kind = models.CharField(max_length=20, choices=ReferralKind.choices, default=ReferralKind.SERVICE)
    from_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_sent")
    to_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_received")
    service_type = models.ForeignKey(ServiceType, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_on = models.DateField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    due_on = models.DateField(help_text=_("Answer due, in working days from sending, by urgency"))
    responded_on = models.DateField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    message = models.TextField(blank=True)
    consent_snapshot = models.JSONField(default=list)
    without_consent = models.BooleanField(default=False)
    legal_ground = models.CharField(max_length=20, choices=LegalGround.choices, blank=True)
    legal_ground_note = models.TextField(blank=True)
    # A referral sent without consent waits on the owner's review list until a case worker there
    # records whether the ground held (referrals.services.legal_ground_review).
    ground_review = models.CharField(max_length=20, choices=GroundReview.choices, blank=True)
    ground_review_note = models.TextField(blank=True)
    ground_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ground_reviewed_on = models.DateField(null=True, blank=True)
    shares_identity = models.BooleanField(default=False)
    # Whether the receiver may download the case's documents (nrm.documents); only with identity.
    shares_documents = models.BooleanField(default=False)
    # Set when a withdrawal of consent suspended the referral; kept as history if it is sent again.
    suspended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_on", "-id"]
        indexes = [
            # A case's referrals, and those of them that share it with the reader (the access rule
            # for one case): by the case first, which the database then prefers to the receiver's
            # index (40,000 referrals for the identification centre).
            models.Index(fields=["case", "to_org", "status"]),
            models.Index(fields=["to_org", "status"]),
            models.Index(fields=["from_org", "status"]),
            models.Index(fields=["due_on"]),
            # Inbox and outbox newest first; overdue by due date; the owner's legal-ground review list.
            models.Index(fields=["to_org", "sent_on"]),
            models.Index(fields=["from_org", "sent_on"]),
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["without_consent", "ground_review", "sent_on"]),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"
