from django.apps import AppConfig


class EarlyWarningConfig(AppConfig):
    name = "nrm.earlywarning"
    label = "earlywarning"
