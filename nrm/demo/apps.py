from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "nrm.demo"
    label = "demo"
