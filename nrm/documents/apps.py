from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "nrm.documents"
    label = "documents"

    def ready(self) -> None:
        from nrm.documents import access  # noqa: F401  (registers the access rules of its models)
