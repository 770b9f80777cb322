"""The justice API: what the owner and the NGO read, writes that land, and queries that do not grow.

Who may use each endpoint, and what every outsider gets, is the access matrix's
(``test_access_matrix.py``). The proceeding belongs to the Belgrade police (pu-bg) and is shared
with the Belgrade prosecutor's office (rjt-bg).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import IDENTITY, SECRETS, api, move, open_case, org, refer, share
from nrm.justice import services
from nrm.justice.models import Proceeding
from nrm.justice.tests.helpers import DEFENDANT_SECRETS
from nrm.referrals.choices import ReferralStatus

PROBLEM = "application/problem+json"


def _no_secrets(response) -> None:
    for secret in [*SECRETS, *DEFENDANT_SECRETS]:
        assert secret.encode() not in response.content, secret


def test_the_owner_reads_the_whole_proceeding_and_the_read_is_audited(proceeding_scene):
    response = api(proceeding_scene.users["police"]).get(
        f"/api/v1/justice/proceedings/{proceeding_scene.proceeding.pk}/?reason=hearing"
    )
    data = response.json()
    assert data["defendants"][0]["name"] == "Dragoslav Xyvernik"
    assert data["defendants"][0]["charges"][0]["verdicts"][0]["outcome"] == "convicted"
    assert sorted(v["case"] for v in data["victims"]) == sorted(
        [proceeding_scene.case_a.pk, proceeding_scene.case_b.pk]
    )
    assert [s["organisation_name"] for s in data["shares"]] == ["Higher Public Prosecutor's Office Belgrade"]
    assert (data["is_owner"], data["can_edit"], data["defendant_count"], data["victim_count"]) == (True, True, 1, 2)
    entry = AuditEntry.objects.filter(action="proceeding.view").get()
    assert (entry.actor, entry.outcome, entry.reason, entry.detail) == (
        "police",
        "allowed",
        "hearing",
        {"identity": True},
    )
    assert entry.organisation_id == org("pu-bg").pk
    # The victims' identity is the case rule's business, not the proceeding's.
    for secret in IDENTITY.values():
        assert secret.encode() not in response.content


# --- The NGO's view: its case's part only ----------------------------------------------------


def test_ngo_sees_only_its_cases_part_and_never_a_defendant(proceeding_scene):
    client = api(proceeding_scene.users["ngo"])
    listing = client.get("/api/v1/justice/victims/")
    assert [row["id"] for row in listing.json()["results"]] == [proceeding_scene.part_a.pk]
    detail = client.get(f"/api/v1/justice/victims/{proceeding_scene.part_a.pk}/")
    data = detail.json()
    assert data["case"] == proceeding_scene.case_a.pk
    assert data["proceeding"]["reference"] == "KTO 17/24"
    assert data["proceeding"]["stage"] == "first_instance_verdict"
    assert data["protection_measures"] == ["video_link"]
    assert (data["compensation_claimed"], data["compensation_currency"]) == ("450000.00", "RSD")
    assert data["offences"] == [{"code": "388", "article": "Art. 388", "name": "Trafficking in human beings"}]
    assert data["verdicts"] == {"first": {"convicted": 1, "acquitted": 0, "dismissed": 0}}
    assert data["can_edit"] is False
    for response in (listing, detail):
        _no_secrets(response)
        assert b"Xyvernik" not in response.content
        assert proceeding_scene.case_b.reference.encode() not in response.content
    entry = AuditEntry.objects.filter(action="proceeding.victim.view").get()
    assert (entry.actor, entry.object_type, entry.object_id) == ("ngo", "case", str(proceeding_scene.case_a.pk))
    # The other victim's part does not exist for the NGO.
    other = client.get(f"/api/v1/justice/victims/{proceeding_scene.part_b.pk}/")
    assert other.status_code == 404
    assert AuditEntry.objects.filter(action="proceeding.victim.view", outcome="denied", actor="ngo").count() == 1


def test_ngo_loses_the_part_when_the_referral_closes(proceeding_scene):
    referral = proceeding_scene.case_a.referrals.get(to_org=org("ngo-sigurna"))
    move(proceeding_scene.users["police"], referral, ReferralStatus.CLOSED)
    response = api(proceeding_scene.users["ngo"]).get(f"/api/v1/justice/victims/{proceeding_scene.part_a.pk}/")
    assert response.status_code == 404


def test_victims_list_filters_by_case(proceeding_scene):
    client = api(proceeding_scene.users["police"])
    assert client.get("/api/v1/justice/victims/").json()["count"] == 2
    rows = client.get(f"/api/v1/justice/victims/?case={proceeding_scene.case_b.pk}").json()["results"]
    assert [r["id"] for r in rows] == [proceeding_scene.part_b.pk]


# --- Writes land -----------------------------------------------------------------------------


def test_writes_through_the_api(proceeding_scene):
    s = proceeding_scene
    prosecutor = api(s.users["prosecutor"])
    response = prosecutor.post(
        f"/api/v1/justice/proceedings/{s.proceeding.pk}/verdicts/",
        {"charge": s.charge.pk, "instance": "final", "outcome": "convicted", "decided_on": "2025-09-01"},
        format="json",
    )
    assert response.json()["outcome"] == "convicted"
    s.proceeding.refresh_from_db()
    assert (s.proceeding.stage, s.proceeding.version) == ("final_verdict", 4)
    stale = prosecutor.patch(
        f"/api/v1/justice/proceedings/{s.proceeding.pk}/", {"version": 3, "court": "X"}, format="json"
    )
    assert stale.status_code == 409 and stale["Content-Type"].startswith(PROBLEM)
    bad = prosecutor.patch(
        f"/api/v1/justice/victims/{s.part_a.pk}/",
        {"version": 2, "compensation_paid": "10.00", "paid_on": "2025-04-01"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"compensation_paid": ["Record the compensation awarded before any payment."]}
    created = api(s.users["police"]).post(
        "/api/v1/justice/proceedings/",
        {"reference": "KTO 5/25", "cases": [s.case_c.pk, 999999]},
        format="json",
    )
    assert created.status_code == 400 and list(created.json()["errors"]) == ["cases"]


def test_proceeding_create_is_idempotent(proceeding_scene):
    client = api(proceeding_scene.users["police"])
    body = {"reference": "KTO 77/25", "investigation_on": "2025-01-02", "cases": [proceeding_scene.case_c.pk]}
    first = client.post("/api/v1/justice/proceedings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/justice/proceedings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"


# --- Queries do not grow with rows -----------------------------------------------------------


def _more_proceedings(s, n: int) -> None:
    police = fresh(s.users["police"])
    start = Proceeding.objects.count()
    for i in range(start, start + n):
        case = open_case(police)
        share(police, case, "ngo-sigurna")
        move(s.users["ngo"], refer(police, case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
        p = services.proceeding_open(
            actor=fresh(police), organisation=org("pu-bg"), reference=f"KTO {100 + i}/24", cases=[case]
        )
        services.proceeding_share(actor=fresh(police), proceeding=p, organisation=org("rjt-bg"))
        services.defendant_add(actor=fresh(police), proceeding=p, name=f"Defendant {i}", offences=["388"])
        part = p.victims.get()
        services.victim_update(
            actor=fresh(police), part=part, expected_version=1, protection_measures=["video_link", "closed_hearing"]
        )


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/justice/proceedings/", "police"),
        ("/api/v1/justice/proceedings/", "prosecutor"),
        ("/api/v1/justice/victims/", "police"),
        ("/api/v1/justice/victims/", "ngo"),
    ],
)
def test_list_queries_do_not_grow_with_rows(proceeding_scene, path, who, django_assert_max_num_queries):
    client = api(proceeding_scene.users[who])
    _more_proceedings(proceeding_scene, 2)
    with CaptureQueriesContext(connection) as small:
        count = client.get(path).json()["count"]
    _more_proceedings(proceeding_scene, 12)
    with django_assert_max_num_queries(len(small)):
        response = client.get(path)
    assert response.json()["count"] > count


def test_detail_queries_do_not_grow_with_defendants_and_victims(proceeding_scene):
    client = api(proceeding_scene.users["police"])
    path = f"/api/v1/justice/proceedings/{proceeding_scene.proceeding.pk}/"
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    police = fresh(proceeding_scene.users["police"])
    for i in range(5):
        d = services.defendant_add(
            actor=fresh(police), proceeding=proceeding_scene.proceeding, name=f"D {i}", offences=["388", "350"]
        )
        services.verdict_record(actor=fresh(police), charge=d.charges.first(), instance="first", outcome="acquitted")
        services.victim_link(
            actor=police,
            proceeding=proceeding_scene.proceeding,
            case=open_case(police),
            protection_measures=["video_link"],
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200
    assert len(large) == len(small)
