from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "nrm.reporting"
    label = "reporting"

    def ready(self) -> None:
        from nrm.reporting import home  # noqa: F401  (registers its blocks of the home page)
