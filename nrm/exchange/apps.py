from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "nrm.exchange"
    label = "exchange"
