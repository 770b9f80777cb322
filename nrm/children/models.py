"""A child's case: the appointed guardian and the best-interests assessments and determinations.

Records on a case, seen exactly as the case is (``case_record_rule``). The guardian's name and
contact are identity (shown only to who may see the person's identity); the options weighed and
the decision describe the child's family, so they are encrypted at rest too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.core.fields import EncryptedTextField
from nrm.core.models import Bound, TimeStamped


class Guardian(Bound, TimeStamped):
    """A guardian appointed for a child; a new appointment ends the previous one (kept, never deleted)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="guardians")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointing_authority = models.CharField(max_length=200, blank=True, help_text=_("Who appointed the guardian"))
    # Null only for guardians migrated from the old free-text field, which had no date.
    appointed_on = models.DateField(null=True, blank=True)
    name = EncryptedTextField()
    contact = EncryptedTextField(blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-appointed_on", "-id"]

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class BestInterestsAssessment(Bound, TimeStamped):
    """A best-interests assessment of a child: who assessed, when, and the options weighed."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="best_interests_assessments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_by = models.CharField(max_length=200, help_text=_("Who assessed (names and roles)"))
    assessed_on = models.DateField()
    options_weighed = EncryptedTextField(help_text=_("The options considered and what speaks for and against each"))

    class Meta:
        ordering = ["-assessed_on", "-id"]


class BestInterestsDetermination(Bound, TimeStamped):
    """The decision taken on an assessment: who decided, when, what, and when it is reviewed."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="best_interests_determinations")
    assessment = models.ForeignKey(BestInterestsAssessment, on_delete=models.PROTECT, related_name="determinations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    determined_by = models.CharField(max_length=200, help_text=_("Who decided (panel, authority)"))
    determined_on = models.DateField()
    decision = EncryptedTextField()
    review_on = models.DateField()

    class Meta:
        ordering = ["-determined_on", "-id"]
