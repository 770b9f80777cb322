"""Users, organisations and memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from nrm.accounts.choices import Role
from nrm.core.i18n import localized, translations_field


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships.

    ``must_change_password``: the password was set by someone else (an administrator creating or
    resetting the account, or the command line); until its owner sets their own, the web sends
    them to the change-password page and the API issues no token.
    """

    must_change_password = models.BooleanField(default=False)

    class Meta:
        db_table = "accounts_user"


class OrganisationType(models.Model):
    """A kind of organisation (police, centre for social work, NGO...): reference data, extensible.

    ``is_identification_authority`` marks the type whose organisations decide identification
    (in Serbia, the Centre for Human Trafficking Victims Protection).
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    is_identification_authority = models.BooleanField(default=False)
    is_asylum_authority = models.BooleanField(default=False)
    name_i18n = translations_field("name")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return localized(self, "name")


class Region(models.Model):
    """A region of the country (reference data): records store its name, pages show it translated."""

    name = models.CharField(max_length=80, unique=True)
    name_i18n = translations_field("name")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return localized(self, "name")


_regions: dict[str, Region] | None = None


def region_label(value: str) -> str:
    """Return a stored region name in the active language; a name the reference data lacks as it is."""
    global _regions
    if not value:
        return ""
    if _regions is None:
        _regions = {r.name: r for r in Region.objects.all()}
    region = _regions.get(value)
    return localized(region, "name") if region else value


@receiver([post_save, post_delete], sender=Region)
def _forget_regions(**kwargs) -> None:
    global _regions
    _regions = None


class Organisation(models.Model):
    """An institution or civil-society organisation taking part in the referral mechanism."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    type = models.ForeignKey(OrganisationType, on_delete=models.PROTECT, related_name="organisations")
    region = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation; a user has at most one membership per organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ApiToken(models.Model):
    """An API token (``Authorization: Token <secret>``): only the SHA-256 of its secret is stored.

    The secret is 32 random bytes, so a plain hash is enough: nobody can guess it back from the
    hash (a slow or keyed hash protects low-entropy secrets such as passwords), and the lookup is
    one indexed equality. A token works until ``expires_at`` (``NRM_API_TOKEN_TTL``) unless
    ``revoked_at`` is set: by its owner, an administrator, a password change or reset,
    deactivation, signing out, setting up an authenticator app, or a newer sign-in beyond
    ``NRM_API_TOKENS_MAX``.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user_id}"
