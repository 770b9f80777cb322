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

        # Tasks and notifications follow what case work and referrals say happened.
        from nrm.cases import signals as cases
        from nrm.referrals import signals as referrals
        from nrm.tasks import services

        for signal, receiver in (
            (referrals.referral_sent, services.on_referral_sent),
            (referrals.referral_moved, services.on_referral_moved),
            (referrals.referral_suspended, services.on_referral_suspended),
            (cases.service_recorded, services.on_service_recorded),
            (cases.case_closed, services.on_case_closed),
            (cases.decision_made, services.on_decision),
            (cases.consent_withdrawn, services.on_consent_withdrawn),
        ):
            signal.connect(receiver, dispatch_uid=f"tasks.{receiver.__name__}")
