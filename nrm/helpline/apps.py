from django.apps import AppConfig


class HelplineConfig(AppConfig):
    name = "nrm.helpline"
    label = "helpline"

    def ready(self) -> None:
        from nrm.helpline import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
        )

        # The helpline populations and standard tables join the statistics engine (family "helpline").
        from nrm.helpline.statistics import register_all

        register_all()
