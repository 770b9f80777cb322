from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "nrm.documents"
    label = "documents"

    def ready(self) -> None:
        from nrm.cases.retention import register_erasure
        from nrm.cases.selectors import register_case_relations
        from nrm.documents import access  # noqa: F401  (registers the access rules of its models)
        from nrm.documents.selectors import case_relations
        from nrm.documents.services import documents_retention_erase

        register_case_relations(case_relations, api=False)  # the case page's, not the API's case
        register_erasure(documents_retention_erase)
