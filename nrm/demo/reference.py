"""Loading reference data (organisation types, regions, organisations, forms, services, indicator lists).

Reference data is data, not code: a country supplies its own JSON file of the same shape.
Loading is idempotent: rows are matched by code (regions by name) and updated in place. A name
can carry its translations, ``"name_i18n": {"sr-latn": "...", "sr": "..."}`` (nrm/core/i18n.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from nrm.accounts.models import Organisation, OrganisationType, Region
from nrm.cases.indicator_lists import install_bundled
from nrm.cases.models import ExploitationForm
from nrm.programmes.loading import load_programmes
from nrm.referrals.models import ServiceOffer, ServiceType

DATA = Path(__file__).resolve().parent / "data"
INDICATORS = Path(__file__).resolve().parent.parent / "cases" / "data"


@transaction.atomic
def load_reference(path: Path | None = None) -> dict[str, int]:
    """Load a reference file (default: Serbia's) and the bundled indicator lists; return counts."""
    data = json.loads((path or DATA / "reference_rs.json").read_text(encoding="utf-8"))
    types = {}
    for row in data["organisation_types"]:
        types[row["code"]], _ = OrganisationType.objects.update_or_create(code=row["code"], defaults=row)
    for order, row in enumerate(data.get("regions", [])):
        Region.objects.update_or_create(name=row["name"], defaults={"sort_order": order, **row})
    orgs = {}
    for row in data["organisations"]:
        row = dict(row)
        row["type"] = types[row["type"]]
        orgs[row["code"]], _ = Organisation.objects.update_or_create(code=row["code"], defaults=row)
    for row in data["exploitation_forms"]:
        ExploitationForm.objects.update_or_create(code=row["code"], defaults=row)
    services = {}
    for row in data["service_types"]:
        services[row["code"]], _ = ServiceType.objects.update_or_create(code=row["code"], defaults=row)
    for row in data["service_offers"]:
        row = dict(row)
        org, service = orgs[row.pop("organisation")], services[row.pop("service_type")]
        ServiceOffer.objects.update_or_create(organisation=org, service_type=service, defaults=row)
    lists = 0
    for file in sorted(INDICATORS.glob("*.json")):
        definition = json.loads(file.read_text(encoding="utf-8"))
        if "dimensions" not in definition:
            continue
        install_bundled(definition)  # validated; a new version replaces the older ones as the active list
        lists += 1
    # Each domain's own reference lists (offences, protection measures, helpline topics).
    from nrm.earlywarning.reference import load_earlywarning_reference
    from nrm.helpline.reference import load_helpline_reference
    from nrm.justice.reference import load_justice_reference
    from nrm.prevention.reference import load_prevention_reference

    load_justice_reference()
    load_helpline_reference()
    load_prevention_reference()
    load_earlywarning_reference()
    load_programmes()
    return {
        "organisation_types": len(types),
        "organisations": len(orgs),
        "services": len(services),
        "indicator_lists": lists,
    }
