"""Enumerations of the victim's journey. Lists that a country changes are models, not these."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")
    UNKNOWN = "U", _("Unknown")


class AgeBand(models.TextChoices):
    """Age at identification, in bands used by the Centre, Eurostat and GLOTIP tables."""

    B0_13 = "0-13", _("0-13")
    B14_17 = "14-17", _("14-17")
    B18_24 = "18-24", _("18-24")
    B25_34 = "25-34", _("25-34")
    B35_44 = "35-44", _("35-44")
    B45_PLUS = "45+", _("45+")
    UNKNOWN = "unknown", _("Unknown")


class MigrationStatus(models.TextChoices):
    NATIONAL = "national", _("National")
    REGULAR_MIGRANT = "regular_migrant", _("Regular migrant")
    IRREGULAR_MIGRANT = "irregular_migrant", _("Irregular migrant")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUGEE = "refugee", _("Refugee")
    STATELESS = "stateless", _("Stateless")
    UNKNOWN = "unknown", _("Unknown")


class AsylumStatus(models.TextChoices):
    """Where the person stands in the asylum procedure (issue K: the asylum/trafficking nexus)."""

    NOT_APPLIED = "not_applied", _("Not applied for")
    ONGOING = "ongoing", _("Applied: procedure ongoing")
    REFUGEE = "refugee", _("Granted refugee status")
    SUBSIDIARY = "subsidiary", _("Granted subsidiary protection")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn or discontinued")
    UNKNOWN = "unknown", _("Unknown")


class ScreeningResult(models.TextChoices):
    NOT_INDICATED = "not_indicated", _("Not indicated")
    PRESUMED_VICTIM = "presumed_victim", _("Presumed victim")
    # Not every group of the rule, but enough that someone must assess (see cases.screening).
    REFER_FOR_ASSESSMENT = "refer_for_assessment", _("Refer for assessment")


# The indicator lists by form of exploitation (an indicator's "forms"), as shown to users.
FORM_LIST_LABELS = {"labour": _("Labour exploitation"), "sexual": _("Sexual exploitation")}
# The groups of dimensions of an indicator list, as shown to users.
GROUP_LABELS = {"recruitment": _("Recruitment"), "exploitation": _("Exploitation"), "coercion": _("Coercion")}


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    REINTEGRATED = "reintegrated", _("Reintegrated; goals of the plan reached")
    RETURNED = "returned", _("Safe return to country of origin")
    NOT_VICTIM = "not_victim", _("Not identified as a victim")
    DECLINED = "declined", _("Person declined further support")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    TRANSFERRED = "transferred", _("Transferred to another organisation")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class ConsentPurpose(models.TextChoices):
    SHARE = "share", _("Share with a named organisation")
    SERVICES = "services", _("Receive services")
    STATISTICS = "statistics", _("Use in statistics")


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    IDENTIFIED = "identified", _("Identified as a victim")
    NOT_IDENTIFIED = "not_identified", _("Not identified (not a victim)")
    DISCONTINUED = "discontinued", _("Discontinued")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class FlagReason(models.TextChoices):
    """Why a case is flagged: what everyone who works on it must know before acting."""

    SECURITY_RISK = "security_risk", _("Security risk")
    TRAFFICKER_CONTACT = "trafficker_contact", _("Contact with the trafficker")
    URGENT_MEDICAL = "urgent_medical", _("Urgent medical need")


class ChildStatus(models.TextChoices):
    """Whether a child is unaccompanied or separated (UNHCR/UNICEF definitions), for the child's protection."""

    UNACCOMPANIED = "unaccompanied", _("Unaccompanied")
    SEPARATED = "separated", _("Separated")
    NO = "no", _("Neither: with a parent or usual caregiver")
    UNKNOWN = "unknown", _("Unknown")


class RecruiterRelationship(models.TextChoices):
    """Who recruited the person into an episode of exploitation, as the person knew them.

    HTCDS v2.0 keeps three values (``vic_RelationshipToTrafficker``): family maps to Familial,
    the people the person knew to Acquainted, a stranger to Unaquainted (sic); other and unknown
    have no HTCDS value (``nrm/exchange/HTCDS.md``).
    """

    STRANGER = "stranger", _("Stranger")
    ACQUAINTANCE = "acquaintance", _("Acquaintance")
    FRIEND = "friend", _("Friend")
    PARTNER = "partner", _("Intimate partner")
    FAMILY = "family", _("Family member")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class EurostatFormGroup(models.TextChoices):
    """Eurostat's groups of forms of exploitation; each country's forms are mapped to one in reference data."""

    SEXUAL = "sexual", _("Sexual exploitation")
    LABOUR = "labour", _("Labour exploitation")
    OTHER = "other", _("Other forms")


class ReferralSource(models.TextChoices):
    """Who brought the person to the case: an organisation (the owner's type), or someone who is not one."""

    ORGANISATION = "organisation", _("An organisation")
    SELF = "self", _("Self-referral")
    FAMILY_CITIZEN = "family_citizen", _("Family member or citizen")
    FOREIGN_AUTHORITY = "foreign_authority", _("Foreign authority or embassy")
    OTHER = "other", _("Other")
