from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "nrm.referrals"
    label = "referrals"

    def ready(self) -> None:
        from nrm.referrals import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
        )
