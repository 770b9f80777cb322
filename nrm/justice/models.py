"""Criminal justice and redress: proceedings, defendants, charges, verdicts, victims and compensation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.cases.choices import Sex
from nrm.core.fields import EncryptedTextField
from nrm.core.i18n import localized, translations_field
from nrm.core.models import Bound, TimeStamped, Versioned
from nrm.justice.choices import AssetKind, Instance, Outcome, Stage, VictimRole

MONEY = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}


class Offence(models.Model):
    """A criminal offence by its article of the criminal code (reference data).

    ``is_trafficking`` marks the offences counted as trafficking in the statistics (in Serbia,
    Arts. 388-390); related offences such as smuggling (Art. 350) are recorded but not counted.
    """

    code = models.SlugField(max_length=20, unique=True)
    article = models.CharField(max_length=40, help_text=_("As cited, e.g. “Art. 388”"))
    name = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=120, blank=True)
    is_trafficking = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.article} {localized(self, 'name')}"


class ProtectionMeasure(models.Model):
    """A measure protecting a victim or witness in criminal proceedings (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Proceeding(Bound, TimeStamped, Versioned):
    """A criminal proceeding, owned by the police or prosecution organisation that opened it.

    It may concern several victims' cases (:class:`ProceedingVictim`), and a case may be part of
    several proceedings. The date of each stage reached is kept, so that durations and yearly
    counts need no history table.
    """

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="proceedings")
    reference = models.CharField(max_length=60, help_text=_("File number at the owner, e.g. “KTO 12/24”"))
    stage = models.CharField(max_length=30, choices=Stage.choices, default=Stage.INVESTIGATION)
    court = models.CharField(max_length=200, blank=True)
    forms = models.ManyToManyField("cases.ExploitationForm", blank=True, related_name="proceedings")
    investigation_on = models.DateField()
    charged_on = models.DateField(null=True, blank=True)
    indicted_on = models.DateField(null=True, blank=True)
    first_verdict_on = models.DateField(null=True, blank=True)
    final_verdict_on = models.DateField(null=True, blank=True)
    # Free text may name people: encrypted, and shown to the justice organisations only.
    notes = EncryptedTextField(blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cases = models.ManyToManyField("cases.Case", through="ProceedingVictim", related_name="proceedings")

    class Meta:
        ordering = ["-investigation_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "reference"], name="proceeding_reference_per_owner")]
        indexes = [
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["investigation_on"]),
            models.Index(fields=["owner", "investigation_on"]),  # an owner's list, newest first
        ]

    def __str__(self) -> str:
        return self.reference


class ProceedingShare(TimeStamped):
    """A proceeding shared by its owner with another justice organisation (a prosecutor's office, a court)."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="proceeding_shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_on = models.DateField()

    class Meta:
        ordering = ["shared_on", "id"]
        constraints = [models.UniqueConstraint(fields=["proceeding", "organisation"], name="one_share_per_org")]

    def __str__(self) -> str:
        return f"{self.proceeding} → {self.organisation}"


class Defendant(Bound, TimeStamped):
    """A person suspected, charged or tried. Identity is encrypted; the rest is safe for statistics."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="defendants")
    number = models.PositiveSmallIntegerField(help_text=_("Position in the proceeding: defendant 1, 2, ..."))
    name = EncryptedTextField()
    identity_details = EncryptedTextField(blank=True, help_text=_("Date of birth, document number, address"))
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    citizenship = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 alpha-2"))

    IDENTITY_FIELDS = ("name", "identity_details")

    class Meta:
        ordering = ["proceeding", "number"]
        constraints = [models.UniqueConstraint(fields=["proceeding", "number"], name="defendant_number")]

    def __str__(self) -> str:
        return f"Defendant {self.number}"


class Charge(TimeStamped):
    """One offence a defendant is charged with; verdicts are given per charge."""

    defendant = models.ForeignKey(Defendant, on_delete=models.CASCADE, related_name="charges")
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT, related_name="charges")

    class Meta:
        ordering = ["defendant", "offence__sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["defendant", "offence"], name="one_charge_per_offence")]

    def __str__(self) -> str:
        return f"{self.defendant}: {self.offence}"


class Verdict(TimeStamped):
    """The verdict on one charge at one instance, with the sentence when convicted."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="verdicts")
    instance = models.CharField(max_length=10, choices=Instance.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    decided_on = models.DateField()
    prison_months = models.PositiveSmallIntegerField(null=True, blank=True)
    suspended = models.BooleanField(default=False, help_text=_("The prison sentence is suspended"))
    fine_amount = models.DecimalField(**MONEY)
    fine_currency = models.CharField(max_length=3, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["charge", "decided_on", "id"]
        constraints = [models.UniqueConstraint(fields=["charge", "instance"], name="one_verdict_per_instance")]
        indexes = [models.Index(fields=["instance", "outcome", "decided_on"])]

    def __str__(self) -> str:
        return f"{self.charge}: {self.outcome} ({self.instance})"


class ProceedingAsset(TimeStamped):
    """Assets seized or confiscated in a proceeding: one decision, its amount in one currency.

    The amount is the value the decision states (cash, or the assessed value of property). A
    seizure later confirmed by confiscation is recorded twice, once of each kind, so the two
    kinds are never added together.
    """

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=12, choices=AssetKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, help_text=_("ISO 4217, e.g. RSD"))
    decided_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["proceeding", "decided_on", "id"]
        indexes = [models.Index(fields=["kind", "decided_on"])]

    def __str__(self) -> str:
        return f"{self.proceeding}: {self.kind} {self.amount} {self.currency}"


class ProceedingVictim(TimeStamped, Versioned):
    """A victim's case in a proceeding: their role, the protection granted, and compensation.

    This is the part of a proceeding that whoever holds the case may see, without anything
    about the defendants.
    """

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="victims")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="proceeding_parts")
    role = models.CharField(max_length=30, choices=VictimRole.choices, default=VictimRole.BOTH)
    protection_measures = models.ManyToManyField(ProtectionMeasure, blank=True, related_name="+")
    compensation_currency = models.CharField(max_length=3, blank=True, help_text=_("ISO 4217, e.g. RSD"))
    compensation_claimed = models.DecimalField(**MONEY)
    claimed_on = models.DateField(null=True, blank=True)
    compensation_awarded = models.DecimalField(**MONEY)
    awarded_on = models.DateField(null=True, blank=True)
    compensation_paid = models.DecimalField(**MONEY, help_text=_("Paid so far, in total"))
    paid_on = models.DateField(null=True, blank=True, help_text=_("Date of the latest payment"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    COMPENSATION_FIELDS = (
        "compensation_currency",
        "compensation_claimed",
        "claimed_on",
        "compensation_awarded",
        "awarded_on",
        "compensation_paid",
        "paid_on",
    )

    class Meta:
        ordering = ["proceeding", "id"]
        constraints = [models.UniqueConstraint(fields=["proceeding", "case"], name="one_part_per_case")]

    def __str__(self) -> str:
        return f"{self.proceeding} · case {self.case_id}"
