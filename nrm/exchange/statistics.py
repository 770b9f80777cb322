"""The external data sets (CTDC and the like) as populations of the statistics engine.

Registered with ``nrm.reporting.engine.register_external_source`` from ``ExchangeConfig.ready``:
an imported data set is counted by the same populations and dimensions as the national records
it has (registered, identified and presumed victims, all records).
"""

from __future__ import annotations

from django.db.models import Case as CaseWhen
from django.db.models import CharField, F, Value, When
from django.utils.translation import gettext as _

from nrm.cases.statistics import form_groups, victims
from nrm.core.errors import invalid
from nrm.exchange.models import ExternalDataset, ExternalRecord
from nrm.reporting.engine import UNKNOWN, Source, category, citizenship_group, victim_status

EXTERNAL_DEFINITIONS = {
    "registered": "Records of the external data set except those whose decision is 'not_identified'.",
    "identified": "Records of the external data set whose decision is 'identified'.",
    "presumed": "Records of the external data set whose decision is neither 'identified' nor 'not_identified'.",
    "cases": "All records of the external data set.",
}


def external_source(dataset_name: str, population: str) -> Source:
    """Return ``population`` of the external data set ``dataset_name`` (``register_external_source``)."""
    dataset = ExternalDataset.objects.filter(name=dataset_name).first()
    if dataset is None:
        raise invalid("dataset", _("No external data set of this name."))
    qs = victims(ExternalRecord.objects.filter(dataset=dataset), population, "decision")
    exprs = {
        "year": F("year"),
        "sex": category(F("sex")),
        "age_band": category(F("age_group")),
        "age_group": CaseWhen(
            When(is_child=True, then=Value("child")),
            When(is_child=False, then=Value("adult")),
            When(age_group__in=["child", "minor"], then=Value("child")),
            When(age_group="adult", then=Value("adult")),
            default=Value(UNKNOWN),
            output_field=CharField(),
        ),
        "citizenship": category(F("citizenship")),
        "citizenship_group": citizenship_group("citizenship"),
        "country_of_exploitation": category(F("country_of_exploitation")),
        "exploitation": None,  # a JSON list: expanded after the GROUP BY, see _external_counts
        "form_group": None,  # worked out from the same list, see _external_counts
        "referral_source": category(F("referral_source")),
        "decision": category(F("decision")),
        "victim_status": victim_status("decision"),
    }
    definition = f"{EXTERNAL_DEFINITIONS[population]} Data set: {dataset.name} ({dataset.source}, {dataset.file_name})."
    return Source(qs, exprs, None, "records", definition, json_list="exploitation", list_groups=form_groups)
