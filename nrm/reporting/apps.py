from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "nrm.reporting"
    label = "reporting"
