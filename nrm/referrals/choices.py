"""Referral enumerations and the allowed state transitions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralKind(models.TextChoices):
    SERVICE = "service", _("Service")
    IDENTIFICATION = "identification", _("Identification")
    ASYLUM = "asylum", _("Asylum procedure")


class Urgency(models.TextChoices):
    """How soon the receiver must answer: it sets the due date (see referrals.services.due_date)."""

    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent: an answer within one working day")
    IMMEDIATE = "immediate", _("Immediate: today (shelter or safety needed now)")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    # The person withdrew the consent the referral relied on: the receiver no longer sees the case.
    SUSPENDED = "suspended", _("Suspended")


class LegalGround(models.TextChoices):
    """Grounds on which a referral may be made without the person's consent."""

    NONE = "", _("Consent given")
    CHILD = "child", _("Child: best interests, by law")
    EMERGENCY = "emergency", _("Emergency: danger to life or health")


class GroundReview(models.TextChoices):
    """What the owner's case worker found when reviewing a referral sent on a legal ground."""

    UPHELD = "upheld", _("The ground was justified")
    NOT_UPHELD = "not_upheld", _("The ground was not justified")


S = ReferralStatus
# Who may move a referral: "receiver" or "sender". Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.SENT, S.ACCEPTED): "receiver",
    (S.SENT, S.DECLINED): "receiver",
    (S.SENT, S.CLOSED): "sender",  # withdrawn before an answer
    (S.ACCEPTED, S.IN_PROGRESS): "receiver",
    (S.ACCEPTED, S.COMPLETED): "receiver",
    (S.IN_PROGRESS, S.COMPLETED): "receiver",
    (S.ACCEPTED, S.CLOSED): "sender",
    (S.IN_PROGRESS, S.CLOSED): "sender",
    (S.COMPLETED, S.CLOSED): "sender",
    (S.DECLINED, S.CLOSED): "sender",
    # A referral suspended by a withdrawal of consent is sent again once consent is recorded
    # again (the receiver answers anew), or closed. Suspension itself is not a transition anyone
    # asks for: ``consent_withdraw`` makes it (``referrals.services.suspend_for_withdrawal``).
    (S.SUSPENDED, S.SENT): "sender",
    (S.SUSPENDED, S.CLOSED): "sender",
}
# States a withdrawal of the consent a referral relied on suspends.
SUSPENDABLE_STATES = (S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED)
# States in which the receiver works on the case and so may see it (never SUSPENDED).
ACTIVE_STATES = (S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED)
