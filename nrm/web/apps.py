from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nrm.web"
    label = "web"
