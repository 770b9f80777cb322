from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "nrm.protection"
    label = "protection"

    def ready(self) -> None:
        from nrm.protection import access  # noqa: F401  (registers the access rule of its model)

        # The GRETA populations and standard tables join the statistics engine (family "greta").
        from nrm.protection.statistics import register_all

        register_all()
