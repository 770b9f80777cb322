from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "nrm.transfers"
    label = "transfers"

    def ready(self) -> None:
        from nrm.transfers import access  # noqa: F401  (registers the access rules of its models)
