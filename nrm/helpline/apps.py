from django.apps import AppConfig


class HelplineConfig(AppConfig):
    name = "nrm.helpline"
    label = "helpline"
