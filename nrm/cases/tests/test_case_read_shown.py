"""A case is read for what shows it: the API's case reads none of the relations only the case page shows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrm.cases.tests.helpers import api, rich_case, statements

# Tables no access rule reads: in a read's SQL only as relations loaded with the case.
PAGE_ONLY = ('"documents_document"', '"protection_protectionmeasures"')


def _sql_of(client, path: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
    assert answer.status_code == 200
    return "\n".join(statements(captured))


def test_the_api_case_reads_no_relation_only_the_case_page_shows(world):
    case = rich_case(world)
    owner = world["socialwork"]
    api_sql = _sql_of(api(owner), f"/api/v1/cases/{case.pk}/")
    assert not [table for table in PAGE_ONLY if table in api_sql]
    assert '"referrals_referral"' in api_sql and '"cases_consent"' in api_sql  # what it shows is still read

    page = api(owner)
    page.force_login(owner)
    page_sql = _sql_of(page, f"/cases/{case.pk}/")
    assert [table for table in PAGE_ONLY if table in page_sql] == list(PAGE_ONLY)


def test_the_api_case_shows_what_it_showed(world):
    """Read for the API, a case leaves the relations only the page shows, and answers the same."""
    from nrm.cases import selectors
    from nrm.cases.api import case_detail
    from nrm.protection.selectors import LOADED as PROTECTION

    case = rich_case(world)
    owner = world["socialwork"]
    page, api_view = (selectors.case_get(owner, case.pk, reason="test", shown=shown) for shown in ("page", "api"))
    loaded = {shown: set(view.case._prefetched_objects_cache) for shown, view in (("page", page), ("api", api_view))}
    assert loaded["page"] - loaded["api"] == {"documents", "transfers"}
    assert hasattr(page.case, PROTECTION) and not hasattr(api_view.case, PROTECTION)  # loaded as an attribute
    as_api = case_detail(api_view)
    assert as_api == case_detail(page) and as_api["timeline"] and as_api["consents"]


def test_a_childs_case_read_for_the_api_leaves_the_best_interests_records_and_answers_the_same(world):
    """The API's case shows a child's current guardian, not the best-interests records the page shows."""
    import datetime as dt

    from nrm.accounts.choices import Role
    from nrm.cases import selectors
    from nrm.cases.api import case_detail
    from nrm.cases.tests.helpers import fresh, member, open_child_case
    from nrm.children import services as children
    from nrm.children.models import BestInterestsAssessment

    police = world["police"]
    case = open_child_case(police)
    caseworker = member("shown-cw", "pu-bg", Role.CASEWORKER)  # who manages a child's records
    children.assessment_record(
        actor=fresh(caseworker),
        case=case,
        assessed_by="CSR Beograd",
        assessed_on=dt.date(2024, 5, 2),
        options_weighed="A safe place with a guardian",
    )
    assert BestInterestsAssessment.objects.filter(case=case).exists()
    assert '"children_bestinterestsassessment"' not in _sql_of(api(police), f"/api/v1/cases/{case.pk}/")
    page, api_view = (selectors.case_get(police, case.pk, reason="test", shown=shown) for shown in ("page", "api"))
    loaded = {shown: set(view.case._prefetched_objects_cache) for shown, view in (("page", page), ("api", api_view))}
    both = {"best_interests_assessments", "best_interests_determinations"}
    assert loaded["page"] - loaded["api"] == {*both, "documents", "transfers"}
    as_api = case_detail(api_view)
    assert as_api == case_detail(page) and as_api["guardian"]
