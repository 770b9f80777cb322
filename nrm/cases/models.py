"""The victim's record: screening, person, case, consent, identification and assistance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from nrm.accounts.models import Organisation
from nrm.cases.choices import (
    AgeBand,
    AsylumStatus,
    CaseStatus,
    ChildStatus,
    ClosureReason,
    ConsentPurpose,
    Decision,
    EurostatFormGroup,
    FlagReason,
    MigrationStatus,
    RecruiterRelationship,
    ReferralSource,
    ScreeningResult,
    ServiceStatus,
    Sex,
)
from nrm.core.fields import EncryptedTextField
from nrm.core.i18n import localized, translations_field
from nrm.core.models import Bound, TimeStamped, Versioned


class IndicatorList(models.Model):
    """A versioned list of trafficking indicators and the rule that combines them, as data.

    ``definition`` holds dimensions, indicators (with strength) and the dimension and victim
    rules; see ``nrm/cases/screening.py`` for how it is read. Old versions stay so that old
    screenings can always be explained.
    """

    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="indicator_list_version")]
        ordering = ["code", "-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ExploitationForm(models.Model):
    """A form of exploitation (reference data; in Serbia, Art. 388 of the Criminal Code)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    legal_basis = models.CharField(max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    name_i18n = translations_field("name")
    # Eurostat's group of the form (reference data, per country's forms): the statistics' form_group.
    eurostat_group = models.CharField(max_length=10, choices=EurostatFormGroup.choices, blank=True)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Person(Bound, TimeStamped):
    """A person in the mechanism. Identity is encrypted; the rest is safe for statistics."""

    given_name = EncryptedTextField(blank=True)
    family_name = EncryptedTextField(blank=True)
    date_of_birth = EncryptedTextField(blank=True, help_text=_("YYYY-MM-DD"))
    document_number = EncryptedTextField(blank=True)
    contact = EncryptedTextField(blank=True)
    address = EncryptedTextField(blank=True)
    # HMAC of normalised name, date of birth and sex: exact search and de-duplication without decrypting.
    linkage_key = models.CharField(max_length=64, blank=True, db_index=True)
    # Keyed search tokens of the full name with the date of birth, and with the birth year
    # (``crypto.search_tokens``): search by name without decrypting, without sex.
    search_key_date = models.CharField(max_length=64, blank=True, db_index=True)
    search_key_year = models.CharField(max_length=64, blank=True, db_index=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    citizenship = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 alpha-2"))
    migration_status = models.CharField(max_length=20, choices=MigrationStatus.choices, default=MigrationStatus.UNKNOWN)

    IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth", "document_number", "contact", "address")

    def __str__(self) -> str:
        return f"Person {self.pk}"


class Case(Bound, TimeStamped, Versioned):
    """A presumed or identified victim's case, owned by the organisation that opened it."""

    reference = models.CharField(max_length=20, unique=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="owned_cases")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField()
    # Who brought the person: an organisation (the owner, by its type, is the source in statistics)
    # or someone who is not one (self-referral, family or citizen, a foreign authority or embassy).
    referral_source = models.CharField(
        max_length=20, choices=ReferralSource.choices, default=ReferralSource.ORGANISATION
    )
    # The case worker answerable for the case: a member of the owner, the opener at first.
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cases_responsible"
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    is_child = models.BooleanField(default=False)
    # Unaccompanied or separated: asked of a child's case only. The guardian is a record of its
    # own (``children.Guardian``), which replaced a free-text field here.
    child_status = models.CharField(max_length=14, choices=ChildStatus.choices, default=ChildStatus.UNKNOWN)
    best_interests_note = EncryptedTextField(blank=True)
    # The asylum procedure, if any, and the date of its latest step (application or decision):
    # the Action Plan's indicators on migrant victims are counted from it.
    asylum_status = models.CharField(max_length=12, choices=AsylumStatus.choices, default=AsylumStatus.UNKNOWN)
    asylum_status_on = models.DateField(null=True, blank=True)
    forms = models.ManyToManyField(ExploitationForm, blank=True, related_name="cases")
    country_of_exploitation = models.CharField(max_length=2, blank=True)
    place_of_exploitation = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=80, blank=True)
    exploitation_start = models.DateField(null=True, blank=True)
    exploitation_end = models.DateField(null=True, blank=True)
    # Latest identification decision, kept here so lists and statistics need no subquery.
    identification_status = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    # The date of the decision 'identified' while the case is identified (the latest-dated such
    # decision), else null: "identified in year Y" (``cases.statistics.victim_year``) reads it
    # instead of looking the decisions up. Only ``cases.services.identified_on_follow`` and the
    # bulk writers that insert a decision with its case set it; ``nrm stats --check`` compares.
    identified_on = models.DateField(null=True, blank=True, editable=False)
    plan_goals = models.TextField(blank=True, help_text=_("Goals of the assistance plan"))
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closure_note = models.TextField(blank=True)
    retain_until = models.DateField(null=True, blank=True)
    # A duplicate merged into another case (``nrm.exchange.merge``): kept, with its person, for
    # an administrator's undo, and outside every access rule and statistic meanwhile.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["opened_on"]),
            models.Index(fields=["identification_status"]),
            models.Index(fields=["identified_on"]),
            # An owner's list, newest first; and its child filter (core/tests/test_list_filter_indexes.py).
            models.Index(fields=["owner", "opened_on"]),
            models.Index(fields=["owner", "is_child"]),
        ]

    def __str__(self) -> str:
        return self.reference


class Episode(Bound, TimeStamped, Versioned):
    """One episode of exploitation of a case: one form, where, when, and who recruited the person.

    The episodes are the source of a case's forms: ``Case.forms`` is their union, kept by the
    episode services only (lists and filters read it without a join per episode). The place is
    encrypted like notes: a town is harmless, but a free text can name a house, a farm or an
    employer, which points at the person and at witnesses; statistics never group by it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="episodes")
    form = models.ForeignKey(ExploitationForm, on_delete=models.PROTECT, related_name="episodes")
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 alpha-2"))
    place = EncryptedTextField(blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    recruiter_relationship = models.CharField(
        max_length=20, choices=RecruiterRelationship.choices, default=RecruiterRelationship.UNKNOWN
    )
    notes = EncryptedTextField(blank=True)

    # Longest place and notes the services accept (encrypted text has no column length).
    PLACE_MAX_LENGTH = 200

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(started_on=None) | models.Q(ended_on=None) | models.Q(ended_on__gte=F("started_on")),
                name="episode_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk}"


class CaseFlag(Bound, TimeStamped):
    """A warning on a case (security risk, trafficker contact, urgent medical need); lifted, never deleted.

    The optional ``note`` says in a few words what the warning is about. It is free text and may
    name someone (a trafficker, a relative), so it is encrypted like a case note and erased with
    the identity at the end of retention; it is shown to whoever sees the case, like the flag.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = EncryptedTextField(blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            # One standing flag per reason: raising it again says nothing new.
            models.UniqueConstraint(
                fields=["case", "reason"], condition=models.Q(lifted_at=None), name="case_flag_one_active"
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class Screening(Bound, TimeStamped):
    """A screening against an indicator list; anonymous screenings have no case yet."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="screenings")
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_on = models.DateField()
    indicator_list = models.ForeignKey(IndicatorList, on_delete=models.PROTECT, related_name="screenings")
    is_child = models.BooleanField(default=False)
    answers = models.JSONField(default=list, help_text=_("Codes of the indicators observed"))
    suspected_forms = models.JSONField(
        default=list, blank=True, help_text=_("Forms of exploitation suspected: the lists evaluated (none: all)")
    )
    result = models.CharField(max_length=20, choices=ScreeningResult.choices)
    reasons = models.JSONField(default=dict)
    anonymous = models.BooleanField(default=False)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    citizenship = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=80, blank=True)
    channel = models.CharField(max_length=40, blank=True, help_text=_("outreach, helpline, border, ..."))
    notes = EncryptedTextField(blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="screenings")

    class Meta:
        ordering = ["-screened_on", "-id"]
        indexes = [models.Index(fields=["organisation", "screened_on"]), models.Index(fields=["result"])]

    def __str__(self) -> str:
        return f"Screening {self.pk}"


class CaseNote(Bound, TimeStamped):
    """A note on a case, visible to the owning organisation only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()

    class Meta:
        ordering = ["created_at"]


class Consent(TimeStamped):
    """Informed consent for one purpose; withdrawal is recorded, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For sharing: the organisation the person agreed to share with"),
    )
    given_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["given_on", "id"]

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class Identification(TimeStamped):
    """A decision of the identification authority on a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="identifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    decided_on = models.DateField()
    grounds = models.TextField()
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="identifications"
    )

    class Meta:
        ordering = ["decided_on", "id"]


class ServiceDelivery(TimeStamped, Versioned):
    """One service of a case's assistance plan, delivered by an organisation."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    service_type = models.ForeignKey("referrals.ServiceType", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        # services_due: an organisation's late services, oldest first.
        indexes = [models.Index(fields=["organisation", "status", "started_on"])]
