from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "nrm.prevention"
    label = "prevention"

    def ready(self) -> None:
        # Registers the populations, dimensions and standard tables with the statistics engine.
        from nrm.prevention import statistics  # noqa: F401
