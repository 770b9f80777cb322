from django.apps import AppConfig


class JusticeConfig(AppConfig):
    name = "nrm.justice"
    label = "justice"

    def ready(self) -> None:
        from nrm.justice import access  # noqa: F401  (registers the access rules of its models)

        # The justice populations and standard tables join the statistics engine (family "justice").
        from nrm.justice.statistics import register_all

        register_all()
