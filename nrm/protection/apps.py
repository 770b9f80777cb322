from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "nrm.protection"
    label = "protection"

    def ready(self) -> None:
        from nrm.cases.selectors import register_case_extras, register_case_relations
        from nrm.protection import access  # noqa: F401  (registers the access rule of its model)
        from nrm.protection.selectors import case_extras, case_relations

        register_case_relations(case_relations, api=False)  # the case page's, not the API's case
        register_case_extras(case_extras)

        # The GRETA populations and standard tables join the statistics engine (family "greta").
        from nrm.protection.statistics import register_all

        register_all()
