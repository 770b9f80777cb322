"""Fixed lists of the programmes app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerRole(models.TextChoices):
    """An organisation's part in a programme; the first four are IATI's OrganisationRole codes."""

    FUNDING = "funding", _("Funding")  # IATI 1
    ACCOUNTABLE = "accountable", _("Accountable")  # IATI 2
    EXTENDING = "extending", _("Extending")  # IATI 3
    IMPLEMENTING = "implementing", _("Implementing")  # IATI 4
    PARTNER = "partner", _("National partner")  # named as a partner; no IATI role


IATI_ROLE = {
    PartnerRole.FUNDING: "1",
    PartnerRole.ACCOUNTABLE: "2",
    PartnerRole.EXTENDING: "3",
    PartnerRole.IMPLEMENTING: "4",
}
