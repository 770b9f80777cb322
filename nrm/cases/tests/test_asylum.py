"""The asylum procedure on the case (issue K): service, API field, case form and case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.api.tests.test_api import assert_problem
from nrm.audit.models import AuditEntry
from nrm.cases import services
from nrm.cases.choices import AsylumStatus
from nrm.cases.models import Case
from nrm.cases.tests.helpers import api, open_case
from nrm.core.errors import NotFound


def _stored(case: Case) -> tuple:
    return Case.objects.filter(pk=case.pk).values_list("asylum_status", "asylum_status_on", "version").get()


def test_a_new_case_has_an_unknown_asylum_status(world):
    case = open_case(world["socialwork"], "csr-bg")
    assert _stored(case) == (AsylumStatus.UNKNOWN, None, 1)


def test_the_case_worker_records_the_asylum_status_with_its_date_and_it_is_audited(world):
    case = open_case(world["socialwork"], "csr-bg")
    services.case_update(
        actor=fresh(world["socialwork"]),
        case=case,
        expected_version=1,
        asylum_status=AsylumStatus.SUBSIDIARY,
        asylum_status_on=dt.date(2024, 6, 3),
    )
    assert _stored(case) == ("subsidiary", dt.date(2024, 6, 3), 2)
    entry = AuditEntry.objects.filter(action="case.update", object_id=str(case.pk)).latest("id")
    assert entry.detail["fields"] == ["asylum_status", "asylum_status_on"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"asylum_status": "granted"}, "asylum_status", ""),
        ({"asylum_status": "ongoing", "asylum_status_on": dt.date(2999, 1, 1)}, "asylum_status_on", ""),
        ({"asylum_status": "not_applied", "asylum_status_on": dt.date(2024, 1, 1)}, "asylum_status_on", "status"),
        ({"asylum_status_on": dt.date(2024, 1, 1)}, "asylum_status_on", "status"),  # still unknown
    ],
)
def test_bad_asylum_input_names_the_field_and_changes_nothing(world, changes, field, message):
    case = open_case(world["socialwork"], "csr-bg")
    with pytest.raises(ValidationError) as exc:
        services.case_update(actor=fresh(world["socialwork"]), case=case, expected_version=1, **changes)
    assert field in exc.value.message_dict
    assert message in exc.value.message_dict[field][0]
    assert _stored(case) == ("unknown", None, 1)


def test_the_frontline_worker_may_not_set_the_asylum_status(world):
    """The procedure is the case workers' (Action.MANAGE), like the assistance plan."""
    case = open_case(world["police"])
    with pytest.raises(NotFound):
        services.case_update(actor=fresh(world["police"]), case=case, expected_version=1, asylum_status="ongoing")
    assert _stored(case) == ("unknown", None, 1)


def test_the_api_reads_and_writes_the_asylum_status(world):
    case = open_case(world["socialwork"], "csr-bg")
    client = api(world["socialwork"])
    url = f"/api/v1/cases/{case.pk}/"
    response = client.patch(url, {"version": 1, "asylum_status": "nonsense"}, format="json", HTTP_IF_MATCH="*")
    assert_problem(response, 400, "asylum_status")
    assert _stored(case) == ("unknown", None, 1)
    response = client.patch(
        url,
        {"version": 1, "asylum_status": "ongoing", "asylum_status_on": "2024-05-02"},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert response.status_code == 200, response.content
    body = client.get(url).json()
    assert (body["asylum_status"], body["asylum_status_on"]) == ("ongoing", "2024-05-02")


def test_the_case_form_saves_the_asylum_status_and_the_page_shows_it(client, world):
    case = open_case(world["socialwork"], "csr-bg")
    client.force_login(world["socialwork"])
    form = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert 'name="asylum_status"' in form
    response = client.post(
        f"/cases/{case.pk}/edit/",
        {"version": 1, "forms": ["sexual"], "asylum_status": "refugee", "asylum_status_on": "2024-07-01"},
    )
    assert response.status_code == 302
    assert _stored(case) == ("refugee", dt.date(2024, 7, 1), 2)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Granted refugee status (2024-07-01)" in page


def test_the_case_form_shows_the_service_error_on_the_date(client, world):
    case = open_case(world["socialwork"], "csr-bg")
    client.force_login(world["socialwork"])
    response = client.post(
        f"/cases/{case.pk}/edit/",
        {"version": 1, "forms": ["sexual"], "asylum_status": "not_applied", "asylum_status_on": "2024-07-01"},
    )
    assert response.status_code == 200
    assert 'id="id_asylum_status_on_error"' in response.content.decode()
    assert _stored(case) == ("unknown", None, 1)
