from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "nrm.reporting"
    label = "reporting"

    def ready(self) -> None:
        from nrm.core.backup import RestoreSteps, register_restore_steps
        from nrm.reporting import aggregates

        # The analytics tables are derived from the screenings: never backed up, recounted on restore.
        register_restore_steps(
            RestoreSteps(
                before=aggregates.remove,
                after=aggregates.after_restore,
                derived=frozenset({"reporting.ScreeningCount", "reporting.ScreeningCountCoarse"}),
            )
        )
        from nrm.reporting import home  # noqa: F401  (registers its blocks of the home page)
