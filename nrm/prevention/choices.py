"""Prevention enumerations. Professions, which a country changes, are a model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    TRAINING = "training", _("Training")
    ROUND_TABLE = "round_table", _("Round table")
    SEMINAR = "seminar", _("Seminar or workshop")
    CONFERENCE = "conference", _("Conference")


class Sex(models.TextChoices):
    """The sex of a group of participants; the codes are those of the statistics' ``sex`` dimension."""

    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown")


class AwarenessKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    MEDIA = "media", _("Media content")
    PUBLIC_EVENT = "public_event", _("Public event")
    SCHOOL = "school", _("School programme")
    SOCIAL_MEDIA = "social_media", _("Social media")
    OTHER = "other", _("Other")


class MaterialKind(models.TextChoices):
    LEAFLET = "leaflet", _("Leaflet")
    INFO_CARD = "info_card", _("Info card")
    POSTER = "poster", _("Poster")
    BROCHURE = "brochure", _("Brochure")
    VIDEO = "video", _("Video")
    SPOT = "spot", _("Radio or TV spot")
    WEB_POST = "web_post", _("Web or social media post")


class KapDomain(models.TextChoices):
    KNOWLEDGE = "knowledge", _("Knowledge")
    ATTITUDE = "attitude", _("Attitude")
    PRACTICE = "practice", _("Practice")


class KapMeasure(models.TextChoices):
    PERCENT = "percent", _("Percent")
    MEAN_SCORE = "mean_score", _("Mean score (1-5)")


class FeedMeasure(models.TextChoices):
    """What of the prevention records a programme indicator is fed from."""

    PARTICIPANTS_TRAINED = "participants_trained", _("Participants trained (trainings)")
    EVENTS = "events", _("Events of a kind")
    EVENT_PARTICIPANTS = "event_participants", _("Participants in events of a kind")
    ROUND_TABLE_PARTICIPANTS = "round_table_participants", _("Round-table participants")
    MATERIALS_DISTRIBUTED = "materials_distributed", _("Copies of materials distributed (of a kind)")
    KAP_SURVEYS = "kap_surveys", _("KAP surveys conducted")
    KAP_RESPONDENTS = "kap_respondents", _("KAP survey respondents")
