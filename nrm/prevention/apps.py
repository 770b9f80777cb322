from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "nrm.prevention"
    label = "prevention"
