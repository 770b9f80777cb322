from django.apps import AppConfig


class EarlyWarningConfig(AppConfig):
    name = "nrm.earlywarning"
    label = "earlywarning"

    def ready(self) -> None:
        from nrm.earlywarning import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
            statistics,  # noqa: F401  (registers populations and tables)
        )
        from nrm.earlywarning.reminders import alerts_open
        from nrm.tasks.jobs import register_schedule
        from nrm.tasks.reminders import register_reminders

        register_reminders(alerts_open)
        register_schedule("nrm early-warning evaluate", "nrm.earlywarning.jobs.evaluate")
