from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    name = "nrm.children"
    label = "children"

    def ready(self) -> None:
        from nrm.children import access  # noqa: F401  (registers the access rules of its models)
