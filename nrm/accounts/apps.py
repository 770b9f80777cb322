from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nrm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from nrm.accounts import signals  # noqa: F401 - connects the sign-in audit receivers
        from nrm.accounts.access import administration_rule, api_token_rule, register_rule
        from nrm.accounts.models import ApiToken, Membership, User

        register_rule(User, administration_rule)
        register_rule(Membership, administration_rule)
        register_rule(ApiToken, api_token_rule)
