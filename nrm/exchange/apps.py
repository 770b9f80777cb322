from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "nrm.exchange"
    label = "exchange"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from nrm.cases.models import Case
        from nrm.cases.retention import register_erasure
        from nrm.cases.selectors import register_case_relations
        from nrm.cases.signals import cases_opened_in_bulk
        from nrm.exchange import access  # noqa: F401  (registers the access rules of its models)
        from nrm.exchange.dedup import on_case_saved, on_cases_opened_in_bulk
        from nrm.exchange.merge import case_relations
        from nrm.exchange.received import received_history_erase

        register_case_relations(case_relations)

        # Imported data sets are counted by the statistics engine like the national records.
        from nrm.exchange.statistics import external_source
        from nrm.reporting.engine import register_external_source

        register_external_source(external_source)
        register_erasure(received_history_erase)

        # Proposing probable duplicates where the case is opened, whichever path opened it.
        post_save.connect(on_case_saved, sender=Case, dispatch_uid="exchange.propose_links")
        cases_opened_in_bulk.connect(on_cases_opened_in_bulk, dispatch_uid="exchange.propose_links_in_bulk")
