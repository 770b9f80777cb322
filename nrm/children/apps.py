from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    name = "nrm.children"
    label = "children"

    def ready(self) -> None:
        from nrm.cases.retention import register_erasure
        from nrm.cases.selectors import register_case_extras, register_case_relations
        from nrm.children import access  # noqa: F401  (registers the access rules of its models)
        from nrm.children.selectors import case_best_interests, case_extras, case_guardians
        from nrm.children.services import child_identity_erase

        register_case_relations(case_guardians)
        register_case_relations(case_best_interests, api=False)  # the case page's, not the API's case
        register_case_extras(case_extras)
        register_erasure(child_identity_erase)

        # A guardian named when a case is opened, alone or in bulk.
        from nrm.cases import signals
        from nrm.children.services import guardian_named_at_opening, guardians_named_in_bulk

        signals.case_opened.connect(guardian_named_at_opening, dispatch_uid="children.guardian_named_at_opening")
        signals.cases_opened_in_bulk.connect(guardians_named_in_bulk, dispatch_uid="children.guardians_named_in_bulk")
