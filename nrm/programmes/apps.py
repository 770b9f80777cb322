from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "nrm.programmes"
    label = "programmes"
    verbose_name = "Donor programmes"

    def ready(self) -> None:
        from nrm.programmes import access  # noqa: F401  (registers the access rules of its models)

        # The programme populations and standard tables join the statistics engine (family "programmes").
        from nrm.programmes.statistics import register_all

        register_all()
