"""Every route is in an access matrix: a URL pattern or API operation no matrix names fails here.

The matrices live in each app's ``tests/test_access_matrix*.py`` and are built with the shared
harness (``tests/matrix.py``); importing them registers their routes.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.matrix import REGISTERED, route_of

ROOT = Path(__file__).resolve().parents[3]
METHODS = ("get", "post", "put", "patch", "delete")

# Routes not yet in a matrix (issue G): each app's matrix takes its routes off these lists, and
# the guard fails when a listed route is covered, so the lists only shrink.
PENDING_URLS = {
    "",
    "accounts/login/",
    "accounts/logout/",
    "accounts/totp/",
    "actionplan/",
    "actionplan/annual/<int:year>/",
    "actionplan/annual/<int:year>/report.pdf",
    "actionplan/annual/<int:year>/report.xlsx",
    "actionplan/briefings/",
    "actionplan/briefings/<int:pk>/",
    "actionplan/evaluation/",
    "actionplan/evaluation/<int:pk>/<int:year>/",
    "actionplan/reports/",
    "actionplan/reports/<int:pk>/",
    "actionplan/reports/<int:pk>/edit/",
    "actionplan/reports/<int:pk>/report.pdf",
    "actionplan/reports/<int:pk>/report.xlsx",
    "actionplan/reports/<int:pk>/review/",
    "actionplan/reports/<int:pk>/submit/",
    "actionplan/reports/new/",
    "api/v1/",
    "api/v1/<drf_format_suffix:format>",
    "api/v1/actionplan/briefings/$",
    "api/v1/actionplan/budget/$",
    "api/v1/actionplan/completeness/$",
    "api/v1/actionplan/evaluations/$",
    "api/v1/actionplan/objectives/$",
    "api/v1/actionplan/objectives/(?P<pk>[^/.]+)/$",
    "api/v1/actionplan/overdue/$",
    "api/v1/actionplan/plans/$",
    "api/v1/actionplan/plans/(?P<pk>[^/.]+)/$",
    "api/v1/actionplan/plans/(?P<pk>[^/.]+)/budget/$",
    "api/v1/actionplan/plans/(?P<pk>[^/.]+)/export/$",
    "api/v1/actionplan/reports/$",
    "api/v1/actionplan/reports/(?P<pk>[^/.]+)/$",
    "api/v1/actionplan/reports/(?P<pk>[^/.]+)/accept/$",
    "api/v1/actionplan/reports/(?P<pk>[^/.]+)/return/$",
    "api/v1/actionplan/reports/(?P<pk>[^/.]+)/submit/$",
    "api/v1/duplicates/$",
    "api/v1/duplicates/(?P<pk>\\d+)/confirm/$",
    "api/v1/duplicates/(?P<pk>\\d+)/reject/$",
    "api/v1/early-warning/alerts/$",
    "api/v1/early-warning/alerts/(?P<pk>\\d+)/$",
    "api/v1/early-warning/alerts/(?P<pk>\\d+)/acknowledge/$",
    "api/v1/early-warning/alerts/(?P<pk>\\d+)/close/$",
    "api/v1/early-warning/groups/$",
    "api/v1/early-warning/indicators/$",
    "api/v1/early-warning/matrix/$",
    "api/v1/early-warning/observations/$",
    "api/v1/early-warning/observations/(?P<pk>\\d+)/$",
    "api/v1/early-warning/thresholds/$",
    "api/v1/early-warning/thresholds/(?P<pk>\\d+)/$",
    "api/v1/helpline/calls/$",
    "api/v1/helpline/calls/(?P<pk>\\d+)/$",
    "api/v1/helpline/calls/(?P<pk>\\d+)/to-screening/$",
    "api/v1/helpline/statistics/$",
    "api/v1/helpline/topics/$",
    "api/v1/justice/offences/$",
    "api/v1/justice/proceedings/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/advance/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/charges/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/defendants/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/share/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/verdicts/$",
    "api/v1/justice/proceedings/(?P<pk>\\d+)/victims/$",
    "api/v1/justice/protection-measures/$",
    "api/v1/justice/statistics/$",
    "api/v1/justice/victims/$",
    "api/v1/justice/victims/(?P<pk>\\d+)/$",
    "api/v1/prevention/awareness/$",
    "api/v1/prevention/awareness/(?P<pk>\\d+)/$",
    "api/v1/prevention/awareness/(?P<pk>\\d+)/materials/$",
    "api/v1/prevention/events/$",
    "api/v1/prevention/events/(?P<pk>\\d+)/$",
    "api/v1/prevention/indicator-feeds/$",
    "api/v1/prevention/indicator-feeds/(?P<pk>\\d+)/$",
    "api/v1/prevention/indicator-feeds/(?P<pk>\\d+)/apply/$",
    "api/v1/prevention/professions/$",
    "api/v1/prevention/surveys/$",
    "api/v1/prevention/surveys/(?P<pk>\\d+)/$",
    "api/v1/prevention/task-evidence/$",
    "api/v1/programmes/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/documents/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/funding/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/iati-xml/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/iati/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/indicators/$",
    "api/v1/programmes/(?P<pk>[^/.]+)/values/$",
    "api/v1/auth/token/",
    "api/v1/docs/",
    "api/v1/schema/",
    "api/v1/stats/",
    "api/v1/stats/datasets/",
    "api/v1/stats/dimensions/",
    "api/v1/stats/tables/",
    "api/v1/stats/tables/<slug:name>/",
    "cases/",
    "cases/<int:pk>/",
    "cases/<int:pk>/close/",
    "cases/<int:pk>/consents/<int:consent_id>/withdraw/",
    "cases/<int:pk>/consents/new/",
    "cases/<int:pk>/edit/",
    "cases/<int:pk>/identify/",
    "cases/<int:pk>/notes/",
    "cases/<int:pk>/refer/",
    "cases/<int:pk>/services/<int:service_id>/",
    "cases/<int:pk>/services/new/",
    "cases/export.csv",
    "cases/new/",
    "directory/",
    "early-warning/",
    "early-warning/alerts/",
    "early-warning/alerts/<int:pk>/",
    "early-warning/alerts/<int:pk>/acknowledge/",
    "early-warning/alerts/<int:pk>/close/",
    "early-warning/alerts/<int:pk>/reopen/",
    "early-warning/observations/",
    "early-warning/observations/<int:pk>/",
    "early-warning/observations/export.csv",
    "early-warning/observations/new/",
    "early-warning/thresholds/",
    "early-warning/thresholds/<int:pk>/",
    "healthz",
    "helpline/",
    "helpline/calls/<int:pk>/",
    "helpline/calls/<int:pk>/screening/",
    "helpline/calls/new/",
    "helpline/statistics/",
    "i18n/setlang/",
    "justice/",
    "justice/<int:pk>/",
    "justice/<int:pk>/advance/",
    "justice/<int:pk>/charges/new/",
    "justice/<int:pk>/defendants/new/",
    "justice/<int:pk>/share/",
    "justice/<int:pk>/verdicts/new/",
    "justice/<int:pk>/victims/<int:part_id>/",
    "justice/<int:pk>/victims/new/",
    "justice/new/",
    "justice/statistics/",
    "prevention/",
    "prevention/awareness/",
    "prevention/awareness/<int:pk>/",
    "prevention/awareness/new/",
    "prevention/events/",
    "prevention/events/<int:pk>/",
    "prevention/events/<int:pk>/edit/",
    "prevention/events/export/",
    "prevention/events/new/",
    "prevention/surveys/",
    "prevention/surveys/<int:pk>/",
    "prevention/surveys/new/",
    "programmes/",
    "programmes/<int:pk>/",
    "programmes/<int:pk>/documents/new/",
    "programmes/<int:pk>/edit/",
    "programmes/<int:pk>/funding/new/",
    "programmes/<int:pk>/iati.xml",
    "programmes/<int:pk>/indicators/<int:indicator_id>/targets/",
    "programmes/<int:pk>/indicators/<int:indicator_id>/values/new/",
    "programmes/<int:pk>/indicators/new/",
    "programmes/<int:pk>/partners/new/",
    "programmes/<int:pk>/values.csv",
    "programmes/<int:pk>/values.xlsx",
    "programmes/export.csv",
    "programmes/new/",
    "referrals/<int:pk>/",
    "referrals/<int:pk>/transition/",
    "referrals/in/",
    "referrals/out/",
    "screenings/",
    "screenings/<int:pk>/",
    "screenings/evaluate/",
    "screenings/new/",
    "statistics/",
    "statistics/custom/",
    "statistics/custom/table.csv",
    "statistics/custom/table.pdf",
    "statistics/custom/table.xlsx",
    "statistics/tables/<slug:name>/",
    "statistics/tables/<slug:name>/table.csv",
    "statistics/tables/<slug:name>/table.pdf",
    "statistics/tables/<slug:name>/table.xlsx",
}

PENDING_OPERATIONS = {
    ("GET", "api/v1/actionplan/briefings/$"),
    ("GET", "api/v1/actionplan/budget/$"),
    ("GET", "api/v1/actionplan/completeness/$"),
    ("GET", "api/v1/actionplan/evaluations/$"),
    ("GET", "api/v1/actionplan/objectives/$"),
    ("GET", "api/v1/actionplan/objectives/(?P<pk>[^/.]+)/$"),
    ("GET", "api/v1/actionplan/overdue/$"),
    ("GET", "api/v1/actionplan/plans/$"),
    ("GET", "api/v1/actionplan/plans/(?P<pk>[^/.]+)/$"),
    ("GET", "api/v1/actionplan/plans/(?P<pk>[^/.]+)/budget/$"),
    ("GET", "api/v1/actionplan/plans/(?P<pk>[^/.]+)/export/$"),
    ("GET", "api/v1/actionplan/reports/$"),
    ("GET", "api/v1/actionplan/reports/(?P<pk>[^/.]+)/$"),
    ("GET", "api/v1/duplicates/$"),
    ("GET", "api/v1/early-warning/alerts/$"),
    ("GET", "api/v1/early-warning/alerts/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/early-warning/groups/$"),
    ("GET", "api/v1/early-warning/indicators/$"),
    ("GET", "api/v1/early-warning/matrix/$"),
    ("GET", "api/v1/early-warning/observations/$"),
    ("GET", "api/v1/early-warning/observations/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/early-warning/thresholds/$"),
    ("GET", "api/v1/early-warning/thresholds/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/helpline/calls/$"),
    ("GET", "api/v1/helpline/calls/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/helpline/statistics/$"),
    ("GET", "api/v1/helpline/topics/$"),
    ("GET", "api/v1/justice/offences/$"),
    ("GET", "api/v1/justice/proceedings/$"),
    ("GET", "api/v1/justice/proceedings/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/justice/protection-measures/$"),
    ("GET", "api/v1/justice/statistics/$"),
    ("GET", "api/v1/justice/victims/$"),
    ("GET", "api/v1/justice/victims/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/prevention/awareness/$"),
    ("GET", "api/v1/prevention/awareness/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/prevention/events/$"),
    ("GET", "api/v1/prevention/events/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/prevention/indicator-feeds/$"),
    ("GET", "api/v1/prevention/indicator-feeds/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/prevention/professions/$"),
    ("GET", "api/v1/prevention/surveys/$"),
    ("GET", "api/v1/prevention/surveys/(?P<pk>\\d+)/$"),
    ("GET", "api/v1/prevention/task-evidence/$"),
    ("GET", "api/v1/programmes/$"),
    ("GET", "api/v1/programmes/(?P<pk>[^/.]+)/$"),
    ("GET", "api/v1/programmes/(?P<pk>[^/.]+)/iati-xml/$"),
    ("GET", "api/v1/programmes/(?P<pk>[^/.]+)/iati/$"),
    ("GET", "api/v1/stats/"),
    ("GET", "api/v1/stats/datasets/"),
    ("GET", "api/v1/stats/dimensions/"),
    ("GET", "api/v1/stats/tables/"),
    ("GET", "api/v1/stats/tables/<slug:name>/"),
    ("PATCH", "api/v1/actionplan/reports/(?P<pk>[^/.]+)/$"),
    ("PATCH", "api/v1/early-warning/thresholds/(?P<pk>\\d+)/$"),
    ("PATCH", "api/v1/justice/proceedings/(?P<pk>\\d+)/$"),
    ("PATCH", "api/v1/justice/victims/(?P<pk>\\d+)/$"),
    ("PATCH", "api/v1/prevention/events/(?P<pk>\\d+)/$"),
    ("POST", "api/v1/actionplan/briefings/$"),
    ("POST", "api/v1/actionplan/evaluations/$"),
    ("POST", "api/v1/actionplan/reports/$"),
    ("POST", "api/v1/actionplan/reports/(?P<pk>[^/.]+)/accept/$"),
    ("POST", "api/v1/actionplan/reports/(?P<pk>[^/.]+)/return/$"),
    ("POST", "api/v1/actionplan/reports/(?P<pk>[^/.]+)/submit/$"),
    ("POST", "api/v1/auth/token/"),
    ("POST", "api/v1/duplicates/(?P<pk>\\d+)/confirm/$"),
    ("POST", "api/v1/duplicates/(?P<pk>\\d+)/reject/$"),
    ("POST", "api/v1/early-warning/alerts/(?P<pk>\\d+)/acknowledge/$"),
    ("POST", "api/v1/early-warning/alerts/(?P<pk>\\d+)/close/$"),
    ("POST", "api/v1/early-warning/observations/$"),
    ("POST", "api/v1/early-warning/thresholds/$"),
    ("POST", "api/v1/helpline/calls/$"),
    ("POST", "api/v1/helpline/calls/(?P<pk>\\d+)/to-screening/$"),
    ("POST", "api/v1/justice/proceedings/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/advance/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/charges/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/defendants/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/share/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/verdicts/$"),
    ("POST", "api/v1/justice/proceedings/(?P<pk>\\d+)/victims/$"),
    ("POST", "api/v1/prevention/awareness/$"),
    ("POST", "api/v1/prevention/awareness/(?P<pk>\\d+)/materials/$"),
    ("POST", "api/v1/prevention/events/$"),
    ("POST", "api/v1/prevention/indicator-feeds/$"),
    ("POST", "api/v1/prevention/indicator-feeds/(?P<pk>\\d+)/apply/$"),
    ("POST", "api/v1/prevention/surveys/$"),
    ("POST", "api/v1/programmes/$"),
    ("POST", "api/v1/programmes/(?P<pk>[^/.]+)/documents/$"),
    ("POST", "api/v1/programmes/(?P<pk>[^/.]+)/funding/$"),
    ("POST", "api/v1/programmes/(?P<pk>[^/.]+)/indicators/$"),
    ("POST", "api/v1/programmes/(?P<pk>[^/.]+)/values/$"),
    ("PUT", "api/v1/early-warning/thresholds/(?P<pk>\\d+)/$"),
}


def _import_matrices() -> None:
    for path in sorted(ROOT.glob("nrm/*/tests/test_access_matrix*.py")):
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


def url_routes() -> set[str]:
    """Return every route of the URLconf, as ``ResolverMatch.route`` spells it.

    The API router's format-suffix twins (``.json``) serve the same views and are left out.
    """

    def walk(patterns, prefix: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, URLResolver._join_route(prefix, str(p.pattern)))
            elif isinstance(p, URLPattern) and "(?P<format>" not in str(p.pattern):
                yield URLResolver._join_route(prefix, str(p.pattern))

    return set(walk(get_resolver().url_patterns))


def api_operations() -> set[tuple[str, str]]:
    """Return every operation of the OpenAPI schema as (METHOD, URLconf route)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), route_of(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_url_pattern_is_in_a_matrix():
    _import_matrices()
    covered = {route for _method, route in (r.pattern() for r in REGISTERED)}
    missing = sorted(url_routes() - covered - PENDING_URLS)
    assert not missing, f"{len(missing)} URL patterns are in no access matrix:\n" + "\n".join(missing)
    done = sorted(PENDING_URLS & covered)
    assert not done, "now in a matrix, take off PENDING_URLS:\n" + "\n".join(done)


def test_every_api_operation_is_in_a_matrix():
    _import_matrices()
    covered = {r.pattern() for r in REGISTERED}
    missing = sorted(api_operations() - covered - PENDING_OPERATIONS)
    assert not missing, f"{len(missing)} API operations are in no access matrix:\n" + "\n".join(
        f"{m} {r}" for m, r in missing
    )
    done = sorted(PENDING_OPERATIONS & covered)
    assert not done, "now in a matrix, take off PENDING_OPERATIONS:\n" + "\n".join(f"{m} {r}" for m, r in done)


def test_the_guard_sees_routes():
    """The guard could fail: the URLconf and the schema it reads are not empty."""
    assert len(url_routes()) > 150
    assert len(api_operations()) > 100
