from django.apps import AppConfig


class ActionPlanConfig(AppConfig):
    name = "nrm.actionplan"
    label = "actionplan"
    verbose_name = "Strategy and Action Plan monitoring"

    def ready(self) -> None:
        from nrm.actionplan import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
        )
