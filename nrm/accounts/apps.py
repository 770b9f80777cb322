from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nrm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from nrm.accounts import signals  # noqa: F401 - connects the sign-in audit receivers
        from nrm.accounts.access import administration_rule, api_token_rule, register_rule, roles_in
        from nrm.accounts.models import ApiToken, Membership, User
        from nrm.audit.services import register_roles

        register_roles(roles_in)  # each audit entry records its actor's roles
        register_rule(User, administration_rule)
        register_rule(Membership, administration_rule)
        register_rule(ApiToken, api_token_rule)
