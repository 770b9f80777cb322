from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "nrm.tasks"
    label = "tasks"

    def ready(self) -> None:
        from nrm.accounts.access import register_membership_extra
        from nrm.cases.retention import register_erasure
        from nrm.tasks import (
            access,  # noqa: F401  (registers the access rules of its models)
            home,  # noqa: F401  (registers its blocks of the home page)
        )
        from nrm.tasks.selectors import unread_expression
        from nrm.tasks.services import erase_task_titles

        # The header's unread count comes with the memberships every page reads: no statement of its own.
        register_membership_extra("unread_notifications", unread_expression)
        register_erasure(erase_task_titles)
