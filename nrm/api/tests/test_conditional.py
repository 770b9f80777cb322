"""Conditional requests: case and referral responses carry an ETag; a PATCH needs If-Match (issue D)."""

from __future__ import annotations

from nrm.api.tests.test_api import assert_problem
from nrm.cases import services as case_services
from nrm.cases.models import Case, ServiceDelivery
from nrm.cases.tests.helpers import api, open_case, org, refer, share
from nrm.referrals.models import Referral, ServiceType


def case_url(case: Case) -> str:
    return f"/api/v1/cases/{case.pk}/"


def test_a_case_read_carries_a_strong_etag_of_its_version(world):
    case = open_case(world["socialwork"], "csr-bg")
    response = api(world["socialwork"]).get(case_url(case))
    assert response.status_code == 200
    tag = response["ETag"]
    assert not tag.startswith("W/") and tag.startswith('"') and tag.endswith('"')
    Case.objects.filter(pk=case.pk).update(version=2)
    assert api(world["socialwork"]).get(case_url(case))["ETag"] != tag


def test_a_patch_without_if_match_is_a_428_naming_the_header(world):
    case = open_case(world["socialwork"], "csr-bg")
    response = api(world["socialwork"]).patch(case_url(case), {"version": 1, "region": "A"}, format="json")
    assert_problem(response, 428, "If-Match")
    assert Case.objects.get(pk=case.pk).region != "A"


def test_a_patch_with_a_stale_etag_is_a_412_and_changes_nothing(world):
    case = open_case(world["socialwork"], "csr-bg")
    client = api(world["socialwork"])
    tag = client.get(case_url(case))["ETag"]
    first = client.patch(case_url(case), {"region": "A"}, format="json", HTTP_IF_MATCH=tag)
    assert first.status_code == 200, first.content
    assert first["ETag"] != tag
    stale = client.patch(case_url(case), {"region": "B"}, format="json", HTTP_IF_MATCH=tag)
    assert_problem(stale, 412, "If-Match")
    weak = client.patch(case_url(case), {"region": "B"}, format="json", HTTP_IF_MATCH=f"W/{first['ETag']}")
    assert_problem(weak, 412, "If-Match")
    assert Case.objects.filter(pk=case.pk).values_list("version", "region").get() == (2, "A")
    again = client.patch(case_url(case), {"region": "B"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert again.status_code == 200 and again.json()["version"] == 3


def test_the_current_etag_with_a_stale_body_version_is_still_a_409(world):
    case = open_case(world["socialwork"], "csr-bg")
    client = api(world["socialwork"])
    tag = client.patch(case_url(case), {"region": "A"}, format="json", HTTP_IF_MATCH="*")["ETag"]
    response = client.patch(case_url(case), {"version": 1, "region": "B"}, format="json", HTTP_IF_MATCH=tag)
    assert_problem(response, 409, "version")
    assert Case.objects.get(pk=case.pk).region == "A"


def test_another_organisations_case_is_a_404_before_any_precondition(world):
    case = open_case(world["socialwork"], "csr-bg")
    response = api(world["ngo2"]).patch(case_url(case), {"region": "A"}, format="json", HTTP_IF_MATCH='"x"')
    assert response.status_code == 404


def test_a_service_update_needs_if_match_too(world):
    case = open_case(world["socialwork"], "csr-bg")
    delivery = case_services.service_record(
        actor=world["socialwork"],
        case=case,
        organisation=org("csr-bg"),
        service_type=ServiceType.objects.first(),
    )
    url = f"/api/v1/cases/{case.pk}/services/{delivery.pk}/"
    client = api(world["socialwork"])
    assert_problem(client.patch(url, {"outcome": "x"}, format="json"), 428, "If-Match")
    assert_problem(client.patch(url, {"outcome": "x"}, format="json", HTTP_IF_MATCH='"nope"'), 412, "If-Match")
    tag = client.get(case_url(case)).json()["services"][0]["version"]
    ok = client.patch(url, {"outcome": "x"}, format="json", HTTP_IF_MATCH=f'"servicedelivery-{delivery.pk}-v{tag}"')
    assert ok.status_code == 200, ok.content
    assert ServiceDelivery.objects.get(pk=delivery.pk).outcome == "x"


def test_a_referral_carries_an_etag_and_a_transition_honours_if_match(world):
    case = open_case(world["police"])
    share(world["police"], case, "ngo-sigurna")
    referral = refer(world["police"], case, "ngo-sigurna")
    client = api(world["ngo"])
    url = f"/api/v1/referrals/{referral.pk}/"
    tag = client.get(url)["ETag"]
    body = {"status": "accepted", "version": 1}
    stale = client.post(f"{url}transition/", body, format="json", HTTP_IF_MATCH='"referral-0-v9"')
    assert_problem(stale, 412, "If-Match")
    assert Referral.objects.get(pk=referral.pk).status == "sent"
    done = client.post(f"{url}transition/", body, format="json", HTTP_IF_MATCH=tag)
    assert done.status_code == 200, done.content
    assert done["ETag"] == client.get(url)["ETag"] != tag
