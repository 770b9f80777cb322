from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "nrm.prevention"
    label = "prevention"

    def ready(self) -> None:
        # Registers the populations, dimensions and standard tables with the statistics engine.
        from nrm.prevention import (
            access,  # noqa: F401  (registers the access rules of its models)
            statistics,  # noqa: F401
        )
