"""A case's protection measures as GRETA's evaluation asks for them (issue K).

One record per case rather than fields on ``Case``: the case row is read by every list, filter
and statistic, and these twenty answers are asked of few cases (foreign victims mostly); a
record of its own also has its own version, so that recording a residence permit never
conflicts with someone correcting the case's facts. Compensation is recorded in the justice
app (a victim's part of a proceeding); internal or cross-border trafficking is derived from the
case (``scope.py``), never typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from nrm.core.models import TimeStamped, Versioned
from nrm.protection.choices import (
    NonPunishment,
    PermitDecision,
    PermitKind,
    ReflectionDecision,
    ReturnKind,
    YesNoUnknown,
)


def _not_before(later: str, earlier: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name=name,
    )


class ProtectionMeasures(TimeStamped, Versioned):
    """A case's recovery and reflection period, residence permit, assisted return and non-punishment.

    An empty decision means "not asked for": a reflection period not requested, a permit not
    applied for, the non-punishment provision not recorded. No field is identity.
    """

    # One per case, by a unique constraint rather than a one-to-one: a merge of duplicates
    # (``exchange.merge``) moves the absorbed case's record to a survivor that has none, and
    # keeps it with the absorbed case (undone with it) when the survivor has its own.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="protection_measures")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Recovery and reflection period (Art. 13).
    reflection_requested_on = models.DateField(null=True, blank=True)
    reflection_decision = models.CharField(max_length=10, choices=ReflectionDecision.choices, blank=True)
    reflection_decided_on = models.DateField(null=True, blank=True)
    reflection_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reflection_ends_on = models.DateField(null=True, blank=True)
    # Residence permit (Art. 14).
    permit_applied_on = models.DateField(null=True, blank=True)
    permit_decision = models.CharField(max_length=10, choices=PermitDecision.choices, blank=True)
    permit_kind = models.CharField(max_length=14, choices=PermitKind.choices, blank=True)
    permit_decided_on = models.DateField(null=True, blank=True)
    # Assisted return (Art. 16).
    return_kind = models.CharField(max_length=10, choices=ReturnKind.choices, default=ReturnKind.NONE)
    return_on = models.DateField(null=True, blank=True)
    return_country = models.CharField(max_length=2, blank=True)
    return_risk_assessed = models.CharField(max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    # Non-punishment provision (Art. 26).
    non_punishment = models.CharField(max_length=14, choices=NonPunishment.choices, blank=True)
    non_punishment_on = models.DateField(null=True, blank=True)
    non_punishment_authority = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "protection measures"
        constraints = [
            models.UniqueConstraint(fields=["case"], name="protection_one_per_case"),
            _not_before("reflection_decided_on", "reflection_requested_on", "protection_reflection_decided_after"),
            _not_before("reflection_ends_on", "reflection_decided_on", "protection_reflection_ends_after"),
            _not_before("permit_decided_on", "permit_applied_on", "protection_permit_decided_after"),
        ]

    def __str__(self) -> str:
        return f"Protection measures of case {self.case_id}"
