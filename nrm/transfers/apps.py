from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "nrm.transfers"
    label = "transfers"

    def ready(self) -> None:
        from nrm.cases.selectors import register_case_extras, register_case_relations
        from nrm.transfers import access  # noqa: F401  (registers the access rules of its models)
        from nrm.transfers.selectors import case_relations, case_transfer_context

        register_case_relations(case_relations, api=False)  # the case page's, not the API's case
        register_case_extras(case_transfer_context)
