from django.apps import AppConfig


class JusticeConfig(AppConfig):
    name = "nrm.justice"
    label = "justice"
