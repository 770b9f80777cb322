from django.apps import AppConfig
from django.db.models.signals import pre_save

# The audit trail stores what happened, including what was refused; it is never user input as such.
UNCHECKED_APPS = frozenset({"audit"})


def _check_before_save(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """Run the shared field checks on every record of the project's apps before it is stored."""
    from nrm.core.validation import check_record

    meta = sender._meta
    # Fixtures (raw) are the project's own reference data, loaded as they are.
    if raw or not sender.__module__.startswith("nrm.") or meta.app_label in UNCHECKED_APPS:
        return
    check_record(instance, update_fields)


class CoreConfig(AppConfig):
    name = "nrm.core"
    label = "core"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from nrm.core import display
        from nrm.core.dbstats import after_migrate
        from nrm.core.pgloaders import use_fast_timestamptz

        pre_save.connect(_check_before_save, dispatch_uid="nrm.core.check_before_save")
        connection_created.connect(use_fast_timestamptz, dispatch_uid="nrm.core.fast_timestamptz")
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="nrm.core.statistics_after_migrate")
        display.install(apps.get_models(include_auto_created=True))
