"""External data sets (CTDC and the like), kept apart from the country's own cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nrm.core.fields import EncryptedTextField
from nrm.core.models import Bound, TimeStamped


class ExternalDataset(models.Model):
    """A named, imported external data set; re-importing the name replaces it atomically."""

    name = models.SlugField(max_length=80, unique=True)
    source = models.CharField(max_length=20, help_text="ctdc, htcds, ...")
    file_name = models.CharField(max_length=255)
    imported_at = models.DateTimeField(auto_now=True)
    row_count = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=list, help_text="Known columns found in the file")
    warnings = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.name


class ExternalRecord(models.Model):
    """One record of an external data set, with the dimensions the statistics engine counts by.

    ``raw`` keeps every known column's normalised value (missing as null), so that per-column
    frequencies can be compared with the publisher's tables.
    """

    dataset = models.ForeignKey(ExternalDataset, on_delete=models.CASCADE, related_name="records")
    row_number = models.PositiveIntegerField()
    year = models.PositiveSmallIntegerField(null=True)
    sex = models.CharField(max_length=10, blank=True)
    age_group = models.CharField(max_length=20, blank=True)
    is_child = models.BooleanField(null=True)
    citizenship = models.CharField(max_length=2, blank=True)
    country_of_exploitation = models.CharField(max_length=2, blank=True)
    exploitation = models.JSONField(default=list)
    referral_source = models.CharField(max_length=40, blank=True)
    decision = models.CharField(max_length=20, blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["dataset", "year"])]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.row_number}"


class PersonLink(models.Model):
    """A probable duplicate: two cases whose people have the same linkage key.

    Proposed automatically when a case is opened (see ``nrm.exchange.dedup``), and both owners'
    case workers notified; a case worker of an owning organisation confirms or rejects it.
    ``case_a`` is always the lower id, so a pair is stored once. Confirmed links let statistics
    count the person once.

    Neither side learns the other's case or organisation (a probe case must not find a victim's
    shelter) until both have agreed to contact (``contact_a_at`` for ``case_a``'s owner,
    ``contact_b_at`` for ``case_b``'s); then each sees the other's organisation, nothing more.
    """

    class Side(models.TextChoices):
        A = "a", "Owner of case A"
        B = "b", "Owner of case B"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    key = models.CharField(max_length=64, db_index=True, help_text="The linkage key the two people share")
    case_a = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    case_b = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_side = models.CharField(
        max_length=1, choices=Side.choices, blank=True, help_text="Whose owner made the last decision"
    )
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When both owners' case workers were told")
    contact_a_at = models.DateTimeField(null=True, blank=True, help_text="When case A's owner agreed to contact")
    contact_b_at = models.DateTimeField(null=True, blank=True, help_text="When case B's owner agreed to contact")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="person_link_pair"),
            models.CheckConstraint(condition=models.Q(case_a__lt=models.F("case_b")), name="person_link_ordered"),
        ]
        # The duplicates list: by status, newest first.
        indexes = [models.Index(fields=["status", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_a_id}~{self.case_b_id} ({self.status})"

    @property
    def contact_agreed(self) -> bool:
        """Return True once both owners have agreed to contact: only then may each see the other's organisation."""
        return self.contact_a_at is not None and self.contact_b_at is not None


class CaseMerge(models.Model):
    """Two cases of one person merged into one: asked by an owner, agreed by the other (``nrm.exchange.merge``).

    Made on a confirmed :class:`PersonLink` whose owners both agreed to contact (one owner of both
    cases agrees alone). ``survivor`` keeps its person and receives every row that pointed at
    ``absorbed``; ``moved`` lists them (``[model label, field, pk]``) so that an administrator's
    undo, within ``NRM_MERGE_UNDO_DAYS``, puts exactly those back. ``kept`` lists the rows that
    could not move (a uniqueness the survivor already fills), which stay on the absorbed case.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for the other owner")
        DECLINED = "declined", _("Declined")
        MERGED = "merged", _("Merged")
        UNDONE = "undone", _("Undone")

    link = models.ForeignKey(PersonLink, on_delete=models.PROTECT, related_name="merges")
    survivor = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="merges_in")
    absorbed = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_side = models.CharField(max_length=1, choices=PersonLink.Side.choices)
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    moved = models.JSONField(default=list, help_text="[model label, field, pk] of every row moved to the survivor")
    kept = models.JSONField(default=list, help_text="[model label, field, pk] of rows left on the absorbed case")
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One merge under way or standing per link; after a decline or an undo, another may be asked.
            models.UniqueConstraint(
                fields=["link"], condition=models.Q(status__in=["requested", "merged"]), name="one_open_merge_per_link"
            ),
        ]
        # A case's merges by the survivor (its history), not every merge of that status first.
        indexes = [models.Index(fields=["status", "merged_at"]), models.Index(fields=["survivor", "status"])]
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.absorbed_id}->{self.survivor_id} ({self.status})"


class ReceivedKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    SERVICE = "service", _("Service")
    DECISION = "decision", _("Earlier identification decision")
    BEST_INTERESTS = "best_interests", _("Best-interests assessment")


class ReceivedRecord(Bound, TimeStamped):
    """A case's history as another deployment's HTCDS file gave it (``nrm_referrals``, ``nrm_services``,
    ``nrm_decisions``, ``nrm_best_interests``): kept as the file said it, exported again as it came.

    History, not live records: an imported referral made a Referral here would open the case to
    its receiver (the access rule follows accepted referrals) and every imported record would
    count a second time in this deployment's statistics of referrals, services and decisions.
    ``data`` is the item's JSON; it may hold grounds, outcomes and assessors' names, so it is
    encrypted like a note. Organisations are named by code and name as the file gave them.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="received_records")
    kind = models.CharField(max_length=20, choices=ReceivedKind.choices)
    position = models.PositiveSmallIntegerField(help_text="Order within its kind, as in the file")
    data = EncryptedTextField()
    source = models.CharField(max_length=255, help_text="The file it came from")

    class Meta:
        ordering = ["case", "kind", "position"]
        indexes = [models.Index(fields=["case", "kind", "position"])]
