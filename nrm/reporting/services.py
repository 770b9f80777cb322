"""Writes of the statistics: publishing standard tables, recorded as a :class:`Publication`.

Reading a table is not publishing it; publishing is the deliberate act of the Coordinator's
office or an analyst releasing a set of standard tables for a period. The tables are computed
exactly as readers get them (the protected family, the configured threshold), and the record
keeps what was released, so the analyst's home can tell what is new since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import reads_national_statistics
from nrm.accounts.models import User
from nrm.audit.services import atomic_audited, audit_record, denied
from nrm.core.errors import invalid
from nrm.reporting import engine
from nrm.reporting.models import Publication
from nrm.reporting.tables import REPORTS


def _period(year_from: int | None, year_to: int | None) -> tuple[int, int]:
    if year_from is None:
        raise invalid("year_from", _("Enter the first year published."))
    year_to = year_from if year_to is None else year_to
    if not 1900 <= year_from <= 9999:
        raise invalid("year_from", _("Enter a year such as 2024."))
    if not 1900 <= year_to <= 9999:
        raise invalid("year_to", _("Enter a year such as 2024."))
    if year_to < year_from:
        raise invalid("year_to", _("The last year comes before the first."))
    return year_from, year_to


@atomic_audited
def publication_record(
    *,
    actor: User | None,
    tables: Sequence[str],
    year_from: int | None,
    year_to: int | None = None,
    note: str = "",
    via: str = "web",
    at: dt.datetime | None = None,
) -> Publication:
    """Publish the standard ``tables`` for ``year_from``-``year_to`` and record it; return the record.

    For the Coordinator's office and analysts (``actor`` None: the local command line, ``via``
    naming its user). Each table is computed as readers get it, narrowed to the years, with the
    configured threshold, and its published grand total kept. A bad field raises a
    ValidationError naming it and records nothing; anyone else gets an audited NotFound.
    """
    if actor is not None and not reads_national_statistics(actor):
        raise denied(
            actor=actor,
            action="stats.publish",
            object_type="stats_publication",
            reason="role without national statistics",
        )
    names = list(dict.fromkeys(t.strip() for t in tables if t and t.strip()))
    if not names:
        raise invalid("tables", _("Choose at least one table to publish."))
    unknown = [n for n in names if n not in REPORTS]
    if unknown:
        raise invalid("tables", _("Unknown table %(name)s.") % {"name": unknown[0]})
    year_from, year_to = _period(year_from, year_to)
    from nrm.reporting.selectors import run_report  # selectors read; this module writes

    threshold = engine.threshold_default()
    published = []
    for name in names:
        report = REPORTS[name]
        filters = {} if "year" in report.filters else {"year": list(range(year_from, year_to + 1))}
        try:
            table = run_report(report, filters=filters)
        except ValidationError as exc:
            message = exc.messages[0] if exc.messages else str(exc)
            raise invalid("tables", f"{report.title}: {message}") from None
        total = table.grand_total()
        published.append(
            {
                "name": name,
                "title": str(report.title),
                "total": total.display(),
                "cells": len(table.cells),
                "suppressed": table.suppressed_count,
            }
        )
    publication = Publication.objects.create(
        published_at=at or timezone.now(),
        published_by=actor,
        published_via=via[:80],
        tables=published,
        year_from=year_from,
        year_to=year_to,
        threshold=threshold,
        basis=settings.NRM_STATISTICS_BASIS,
        note=note.strip(),
    )
    audit_record(
        actor=actor or via,
        action="stats.publish",
        object_type="stats_publication",
        object_id=publication.pk,
        detail={"tables": names, "years": publication.years, "threshold": threshold},
    )
    return publication
