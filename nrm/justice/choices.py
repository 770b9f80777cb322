"""Enumerations of criminal proceedings. Lists a country changes (offences, protection measures) are models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """How far a proceeding has gone, in procedural order; it only moves forward."""

    INVESTIGATION = "investigation", _("Investigation")
    CHARGES = "charges", _("Charges brought")
    INDICTMENT = "indictment", _("Indictment")
    FIRST_INSTANCE_VERDICT = "first_instance_verdict", _("First-instance verdict")
    FINAL_VERDICT = "final_verdict", _("Final verdict")


STAGE_ORDER = [s.value for s in Stage]
# The date field of the proceeding that records when each stage was reached.
STAGE_DATE = {
    Stage.INVESTIGATION: "investigation_on",
    Stage.CHARGES: "charged_on",
    Stage.INDICTMENT: "indicted_on",
    Stage.FIRST_INSTANCE_VERDICT: "first_verdict_on",
    Stage.FINAL_VERDICT: "final_verdict_on",
}


class Instance(models.TextChoices):
    """The instance of a verdict; a final verdict can no longer be appealed."""

    FIRST = "first", _("First instance")
    FINAL = "final", _("Final")


# The stage a proceeding reaches when a verdict of each instance is recorded.
INSTANCE_STAGE = {Instance.FIRST: Stage.FIRST_INSTANCE_VERDICT, Instance.FINAL: Stage.FINAL_VERDICT}


class Outcome(models.TextChoices):
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    DISMISSED = "dismissed", _("Charges dismissed")


class VictimRole(models.TextChoices):
    """The victim's part in the proceeding."""

    WITNESS = "witness", _("Witness")
    INJURED_PARTY = "injured_party", _("Injured party")
    BOTH = "witness_injured_party", _("Witness and injured party")


class AssetKind(models.TextChoices):
    """What was done to assets of the proceeding: seized for now, or confiscated for good."""

    SEIZED = "seized", _("Seized provisionally")
    CONFISCATED = "confiscated", _("Confiscated by a final decision")
