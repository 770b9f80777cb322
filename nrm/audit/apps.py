from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _partitions_ahead(sender, using: str, **kwargs) -> None:
    """Each ``nrm migrate`` (once per release) creates next year's audit partition (PostgreSQL)."""
    from django.db import connections

    from nrm.audit.partitions import ensure

    ensure(connections[using])


class AuditConfig(AppConfig):
    name = "nrm.audit"
    label = "audit"

    def ready(self) -> None:
        from nrm.audit import partitions, triggers
        from nrm.core.backup import RestoreSteps, register_restore_steps

        post_migrate.connect(_partitions_ahead, sender=self, dispatch_uid="nrm.audit.partitions")
        register_restore_steps(RestoreSteps(before=triggers.remove, after=partitions.after_restore))
