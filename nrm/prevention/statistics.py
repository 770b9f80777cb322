"""Prevention counts in the one statistics engine: participants, events and materials distributed.

Registered at start-up (``PreventionConfig.ready``), so they get the engine's disclosure control
and appear on /statistics/, in /api/v1/stats/ and in ``nrm stats --table NAME``. Nothing is read
from the database at import time.
"""

from __future__ import annotations

import json

from django.db.models import F, Sum
from django.utils.translation import gettext_lazy

from nrm.accounts.access import unrestricted
from nrm.prevention.choices import EventKind, MaterialKind
from nrm.prevention.reference import DATA
from nrm.reporting.engine import Population, Source, Year, category, register_dimension, register_population
from nrm.reporting.tables import REPORTS, Report, register


def _profession_labels() -> dict[str, str]:
    from nrm.prevention.models import Profession

    return {p.code: str(p) for p in Profession.objects.all()}  # in the current language


def _organisation_type_labels() -> dict[str, str]:
    from nrm.accounts.models import OrganisationType

    return {t.code: str(t) for t in OrganisationType.objects.all()}  # in the current language


def _profession_order() -> list[str]:
    """The professions' order of the reference file: read from the file, not the database, at import."""
    try:
        rows = json.loads((DATA / "reference_rs.json").read_text(encoding="utf-8"))["professions"]
    except (OSError, ValueError, KeyError):
        return []
    return [r["code"] for r in sorted(rows, key=lambda r: r.get("sort_order", 0))]


register_dimension("profession", "Profession of participants", order=_profession_order(), labels=_profession_labels)
register_dimension(
    "training_kind",
    "Kind of training or event",
    order=EventKind.values,
    labels=lambda: {str(k): str(v) for k, v in EventKind.choices},
)
register_dimension(
    "material_kind",
    "Kind of awareness material",
    order=MaterialKind.values,
    labels=lambda: {str(k): str(v) for k, v in MaterialKind.choices},
)
register_dimension("organiser_type", "Type of the organising organisation", labels=_organisation_type_labels)

PARTICIPANTS = (
    "Participants in trainings, round tables, seminars and conferences, counted from the groups recorded "
    "per event by profession, organisation and sex (nobody is named; a person at two events counts twice). "
    "Year: the year the event began; region: the event's region; organiser type: the type of the organising "
    "organisation."
)
EVENTS = (
    "Trainings, round tables, seminars and conferences recorded, each event once. Year: the year the event "
    "began; region: the event's region."
)
MATERIALS = (
    "Copies of awareness materials (leaflets, info cards, posters...) distributed, as recorded per material "
    "of an awareness action. Year: the year the awareness action began; region: the action's region."
)


def _participants() -> Source:
    from nrm.prevention.models import Attendance

    exprs = {
        "year": Year("event__starts_on"),
        "profession": category(F("profession__code")),
        "training_kind": category(F("event__kind")),
        "sex": category(F("sex")),
        "region": category(F("event__region")),
        "organiser_type": category(F("event__organiser__type__code")),
    }
    return Source(
        unrestricted(Attendance, "national statistics"), exprs, None, "participants", PARTICIPANTS, measure=Sum("count")
    )


def _events() -> Source:
    from nrm.prevention.models import Event

    exprs = {
        "year": Year("starts_on"),
        "training_kind": category(F("kind")),
        "region": category(F("region")),
        "organiser_type": category(F("organiser__type__code")),
    }
    return Source(unrestricted(Event, "national statistics"), exprs, None, "events", EVENTS)


def _materials() -> Source:
    from nrm.prevention.models import Material

    exprs = {
        "year": Year("action__starts_on"),
        "material_kind": category(F("kind")),
        "region": category(F("action__region")),
    }
    return Source(
        unrestricted(Material, "national statistics"),
        exprs,
        None,
        "copies",
        MATERIALS,
        measure=Sum("copies_distributed"),
    )


register_population(
    Population("training_participants", "Participants in trainings and other events", PARTICIPANTS, external=False),
    _participants,
)
register_population(Population("trainings", "Trainings and other events", EVENTS, external=False), _events)
register_population(
    Population("materials_distributed", "Awareness materials distributed (copies)", MATERIALS, external=False),
    _materials,
)

for _report in [
    Report(
        "prevention_participants_by_profession",
        gettext_lazy("Participants in trainings and other events, by year and profession"),
        ("year", "profession"),
        "training_participants",
        family="prevention",
    ),
    Report(
        "prevention_participants_by_kind_sex",
        gettext_lazy("Participants in trainings and other events, by kind of event and sex"),
        ("training_kind", "sex"),
        "training_participants",
        family="prevention",
        description=gettext_lazy("Add a year filter for one year's table."),
    ),
    Report(
        "prevention_participants_by_organiser",
        gettext_lazy("Participants in trainings and other events, by year and type of organiser"),
        ("year", "organiser_type"),
        "training_participants",
        family="prevention",
    ),
    Report(
        "prevention_events_by_kind",
        gettext_lazy("Trainings and other events, by year and kind"),
        ("year", "training_kind"),
        "trainings",
        family="prevention",
    ),
    Report(
        "prevention_events_by_region",
        gettext_lazy("Trainings and other events, by year and region"),
        ("year", "region"),
        "trainings",
        family="prevention",
    ),
    Report(
        "prevention_materials_by_kind",
        gettext_lazy("Awareness materials distributed (copies), by year and kind"),
        ("year", "material_kind"),
        "materials_distributed",
        family="prevention",
    ),
]:
    if _report.name not in REPORTS:  # a reload of the app (tests) registers nothing twice
        register(_report)
