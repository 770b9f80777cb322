"""The one named way round the access rule: a read of whole tables names its reason.

A read of whole tables (national statistics, duplicate matching, retention, key rotation...)
passes no rule: it goes through :func:`unrestricted` and names one of
:data:`UNRESTRICTED_REASONS`, so that a search for ``unrestricted(`` finds every bypass
(``nrm/accounts/tests/test_access_registry.py`` lists them). It lives at the bottom layer so
that core's key rotation names its reason as every app does; the access rule
(``nrm.accounts.access``) offers it with the rest of its interface.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet

UNRESTRICTED_REASONS: frozenset[str] = frozenset(
    {
        "national statistics",  # populations of the statistics engine; published only through disclosure control
        "statistics consent",  # which cases statistics may use, and how many they leave out
        "duplicate matching",  # probable duplicates are found across organisations by the linkage key
        "retention",  # blanking identity of closed cases past the retention period
        "key rotation",  # re-encrypting every encrypted field under a new key
        "htcds export",  # the national HTCDS file of every case usable for statistics
        "demo data",  # synthetic data built over the demo's own records
        "early warning",  # thresholds evaluated over every organisation's observations (``nrm earlywarning evaluate``)
        "reminders",  # the daily job that reminds each organisation of what falls due (``nrm.tasks.reminders``)
    }
)


def unrestricted(queryset_or_model: QuerySet | type[Model], reason: str) -> QuerySet:
    """Return every row of ``queryset_or_model``, with no access rule, for one of the listed reasons.

    Raises ValueError for a reason not in :data:`UNRESTRICTED_REASONS`.
    """
    if reason not in UNRESTRICTED_REASONS:
        raise ValueError(f"not a listed reason to read without the access rule: {reason!r}")
    if isinstance(queryset_or_model, QuerySet):
        return queryset_or_model
    return queryset_or_model._default_manager.all()
