"""Roles and organisation kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONTLINE = "frontline", _("Frontline worker")
    CASEWORKER = "caseworker", _("Case worker")
    IDENTIFIER = "identifier", _("Identification officer")
    COORDINATOR = "coordinator", _("Coordinator")
    REPORTER = "reporter", _("Reporting focal point")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


# Roles that work with victims' records at all, and those among them that may see identity.
CASE_ROLES = {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER}
IDENTITY_ROLES = {Role.FRONTLINE, Role.CASEWORKER, Role.IDENTIFIER}
# Roles that must sign in with an authenticator code when NRM_REQUIRE_2FA is on: those that see
# identity, and administrators, who can give anyone (themselves included) such a role.
SECOND_FACTOR_ROLES = IDENTITY_ROLES | {Role.ADMIN}
