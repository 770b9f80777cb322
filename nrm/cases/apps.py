from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "nrm.cases"
    label = "cases"

    def ready(self) -> None:
        from nrm.cases import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
        )

        # The populations of victims' cases and screenings join the statistics engine.
        from nrm.cases.statistics import register_all

        register_all()
