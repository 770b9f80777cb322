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
        from nrm.actionplan.reminders import reports_due
        from nrm.tasks.reminders import register_reminders

        register_reminders(reports_due)
