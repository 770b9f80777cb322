from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "nrm.programmes"
    label = "programmes"
    verbose_name = "Donor programmes"
