"""A case's protection measures: the service, bad input, the API's ETag, the page, and the derived scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import IDENTITY, api, member, open_case
from nrm.core.errors import Conflict
from nrm.protection import services
from nrm.protection.models import ProtectionMeasures
from nrm.protection.selectors import case_scope

D = dt.date
GRANTED = {
    "reflection_requested_on": D(2024, 4, 3),
    "reflection_decision": "granted",
    "reflection_decided_on": D(2024, 4, 10),
    "reflection_days": 30,
}


@pytest.fixture
def cw(world):
    return member("p-cw", "pu-bg", Role.CASEWORKER)


@pytest.fixture
def case(world):
    return open_case(world["police"], citizenship="UA", country_of_exploitation="RS")


def test_a_first_write_creates_the_record_derives_the_end_and_is_audited(cw, case):
    record = services.protection_set(actor=fresh(cw), case=case, expected_version=0, **GRANTED)
    assert record.version == 1
    assert record.reflection_ends_on == D(2024, 5, 10)  # 30 days from the decision
    assert record.return_kind == "none" and record.permit_decision == ""
    entry = AuditEntry.objects.filter(action="case.protection", object_id=str(case.pk)).get()
    assert entry.detail["reflection"] == "granted"
    assert "reflection_days" in entry.detail["fields"]


def test_a_write_replaces_the_record_and_a_stale_version_changes_nothing(cw, case):
    services.protection_set(actor=fresh(cw), case=case, **GRANTED)
    record = services.protection_set(
        actor=fresh(cw), case=case, expected_version=1, return_kind="voluntary", return_country="ua"
    )
    assert record.version == 2
    assert record.reflection_decision == "" and record.return_country == "UA"  # PUT: what is not given is cleared
    with pytest.raises(Conflict):
        services.protection_set(actor=fresh(cw), case=case, expected_version=1, **GRANTED)
    assert ProtectionMeasures.objects.get(case=case).reflection_decision == ""


BAD = [
    ({"reflection_decision": "granted"}, "reflection_requested_on"),
    ({**GRANTED, "reflection_decided_on": D(2024, 4, 1)}, "reflection_decided_on"),
    ({**GRANTED, "reflection_decided_on": None}, "reflection_decided_on"),
    ({**GRANTED, "reflection_days": 0}, "reflection_days"),
    ({**GRANTED, "reflection_days": None, "reflection_ends_on": D(2024, 4, 9)}, "reflection_ends_on"),
    ({**GRANTED, "reflection_decision": "refused"}, "reflection_days"),
    ({**GRANTED, "reflection_decision": "pending"}, "reflection_decided_on"),
    ({"reflection_decision": "maybe", "reflection_requested_on": D(2024, 4, 3)}, "reflection_decision"),
    ({"reflection_days": 10}, "reflection_days"),
    ({"reflection_requested_on": D(2999, 1, 1)}, "reflection_requested_on"),
    (
        {"permit_applied_on": D(2024, 5, 1), "permit_decision": "granted", "permit_decided_on": D(2024, 6, 1)},
        "permit_kind",
    ),
    (
        {"permit_applied_on": D(2024, 5, 1), "permit_decision": "refused", "permit_decided_on": D(2024, 4, 1)},
        "permit_decided_on",
    ),
    ({"permit_kind": "humanitarian"}, "permit_kind"),
    ({"return_on": D(2024, 5, 1)}, "return_on"),
    ({"return_kind": "voluntary", "return_country": "XX"}, "return_country"),
    ({"return_kind": "deported"}, "return_kind"),
    ({"return_kind": "forced", "return_risk_assessed": "perhaps"}, "return_risk_assessed"),
    ({"non_punishment": "not_relevant", "non_punishment_authority": "Court"}, "non_punishment_authority"),
    ({"non_punishment": "yes", "non_punishment_authority": "x" * 201}, "non_punishment_authority"),
    ({"non_punishment": "yes", "non_punishment_authority": "Court\x00"}, "non_punishment_authority"),
    ({"updated_by": 3}, "updated_by"),
]


@pytest.mark.parametrize(("values", "field"), BAD, ids=[f for _v, f in BAD])
def test_bad_input_names_the_field_and_changes_nothing(cw, case, values, field):
    services.protection_set(actor=fresh(cw), case=case, non_punishment="yes", non_punishment_authority="Court")
    with pytest.raises(ValidationError) as e:
        services.protection_set(actor=fresh(cw), case=case, expected_version=1, **values)
    assert field in e.value.message_dict
    stored = ProtectionMeasures.objects.get(case=case)
    assert (stored.version, stored.non_punishment_authority) == (1, "Court")


def test_only_the_owners_case_workers_write(world, cw, case):
    for outsider in (world["police"], world["ngo2"], world["analyst"]):  # frontline of the owner, others
        with pytest.raises(Exception) as e:
            services.protection_set(actor=fresh(outsider), case=case, **GRANTED)
        assert e.value.__class__.__name__ == "NotFound"
    assert not ProtectionMeasures.objects.filter(case=case).exists()
    assert AuditEntry.objects.filter(action="case.protection", outcome=AuditEntry.Outcome.DENIED).count() == 3


def test_a_closed_case_is_refused(cw, case):
    case_services.case_close(actor=fresh(cw), case=case, reason="returned", expected_version=case.version)
    case.refresh_from_db()
    with pytest.raises(Conflict):
        services.protection_set(actor=fresh(cw), case=case, **GRANTED)


def test_the_api_reads_and_replaces_with_if_match(world, cw, case):
    url = f"/api/v1/cases/{case.pk}/protection/"
    client = api(cw)
    got = client.get(url)
    assert got.status_code == 200 and got["ETag"] == f'"protection-{case.pk}-v0"'
    assert got.json()["version"] == 0 and got.json()["trafficking_scope"] == "cross_border"
    body = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in GRANTED.items()}
    assert client.put(url, body, format="json").status_code == 428
    assert client.put(url, body, format="json", HTTP_IF_MATCH='"protection-1-v7"').status_code == 412
    done = client.put(url, body, format="json", HTTP_IF_MATCH=got["ETag"])
    assert done.status_code == 200, done.content
    assert done["ETag"] == f'"protection-{case.pk}-v1"' and done.json()["reflection_ends_on"] == "2024-05-10"
    # The old tag is stale now, and bad input is a 400 naming the field, nothing written.
    assert client.put(url, body, format="json", HTTP_IF_MATCH=got["ETag"]).status_code == 412
    bad = client.put(url, {**body, "reflection_decided_on": "2024-04-01"}, format="json", HTTP_IF_MATCH=done["ETag"])
    assert bad.status_code == 400 and "reflection_decided_on" in bad.content.decode()
    assert ProtectionMeasures.objects.get(case=case).version == 1
    # The owner's frontline reads the record with the case, and may not write it.
    assert api(world["police"]).get(url).json()["reflection_decision"] == "granted"
    assert api(world["police"]).put(url, body, format="json", HTTP_IF_MATCH="*").status_code == 404


def test_the_page_saves_and_shows_errors_on_the_field(world, cw, case):
    client = Client()
    client.force_login(cw)
    url = f"/cases/{case.pk}/protection/"
    page = client.get(url)
    assert page.status_code == 200 and b"reflection_requested_on" in page.content
    form = {"version": 0, "return_kind": "none", "return_risk_assessed": "unknown", "reflection_decision": "granted"}
    bad = client.post(url, form)
    assert bad.status_code == 200 and b"Enter the date the reflection period was requested." in bad.content
    form.update(
        reflection_requested_on="2024-04-03", reflection_decided_on="2024-04-10", reflection_ends_on="2024-05-03"
    )
    assert client.post(url, form).status_code == 302
    record = ProtectionMeasures.objects.get(case=case)
    assert record.reflection_days == 23
    shown = client.get(f"/cases/{case.pk}/")
    assert b"data-protection" in shown.content and b"Granted" in shown.content and url.encode() in shown.content
    # The owner's frontline sees the section without the link.
    police = Client()
    police.force_login(world["police"])
    assert url.encode() not in police.get(f"/cases/{case.pk}/").content


def _identity(name: str) -> dict:
    return dict(IDENTITY, given_name=name)


@pytest.mark.parametrize(
    ("kwargs", "episode", "expected"),
    [
        ({"citizenship": "RS", "country_of_exploitation": "RS"}, None, "internal"),
        ({"citizenship": "RS", "country_of_exploitation": ""}, "RS", "internal"),
        ({"citizenship": "", "country_of_exploitation": "RS"}, None, "internal"),
        ({"citizenship": "RS", "country_of_exploitation": "RS"}, "DE", "cross_border"),
        ({"citizenship": "RS", "country_of_exploitation": "DE"}, None, "cross_border"),
        ({"citizenship": "UA", "country_of_exploitation": "RS"}, None, "cross_border"),
        ({"citizenship": "UA", "country_of_exploitation": ""}, None, "cross_border"),
        ({"citizenship": "RS", "country_of_exploitation": ""}, None, "unknown"),
        ({"citizenship": "", "country_of_exploitation": ""}, None, "unknown"),
    ],
)
def test_the_scope_is_derived_from_the_countries(world, kwargs, episode, expected):
    c = open_case(world["police"], identity=_identity("Scope"), forms=[], **kwargs)
    if episode:
        case_services.episode_add(actor=fresh(world["police"]), case=c, form="labour", country=episode)
    assert case_scope(c) == expected
