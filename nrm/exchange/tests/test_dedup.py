"""Probable duplicates across organisations: proposed by linkage key, decided by the owners."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.models import Case
from nrm.cases.tests.helpers import api, denials, org
from nrm.exchange import dedup
from nrm.exchange.models import PersonLink

LATIN = {"given_name": "Marija", "family_name": "Jovanović", "date_of_birth": "1990-05-17"}
CYRILLIC = {"given_name": "Марија", "family_name": "Јовановић", "date_of_birth": "1990-05-17"}


def open_for(user, org_code: str, identity: dict, **kwargs) -> Case:
    return case_services.case_open(
        actor=fresh(user),
        organisation=org(org_code),
        identity=identity,
        sex="F",
        opened_on=dt.date(2024, 4, 2),
        **kwargs,
    )


@pytest.fixture
def pair(world):
    """The same woman, entered by an NGO in Latin script and by a social work centre in Cyrillic."""
    a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    b = open_for(world["socialwork"], "csr-bg", CYRILLIC)
    return a, b


def test_same_person_in_cyrillic_and_latin_is_proposed(pair):
    a, b = pair

    link = PersonLink.objects.get()

    assert (link.case_a_id, link.case_b_id, link.status) == (a.pk, b.pk, "proposed")
    assert link.key == a.person.linkage_key == b.person.linkage_key != ""


def test_different_people_are_not_proposed(world):
    open_for(world["ngo"], "ngo-sigurna", LATIN)
    open_for(world["socialwork"], "csr-bg", dict(CYRILLIC, date_of_birth="1990-05-18"))
    open_for(world["ngo2"], "ngo-most", {"given_name": "", "family_name": ""})
    open_for(world["ngo2"], "ngo-most", {"given_name": "", "family_name": ""})

    assert not PersonLink.objects.exists()


def test_bulk_proposal_finds_pairs_made_without_the_signal(pair, world):
    a, b = pair
    c = open_for(world["ngo2"], "ngo-most", LATIN)
    PersonLink.objects.all().delete()  # as after a bulk load, which sends no signals

    assert dedup.propose_links() == 3
    assert dedup.propose_links() == 0
    assert sorted(PersonLink.objects.values_list("case_a", "case_b")) == [(a.pk, b.pk), (a.pk, c.pk), (b.pk, c.pk)]


def test_list_shows_only_ones_own_case_and_that_the_other_side_was_told(pair, world):
    a, b = pair

    response = api(world["ngo"]).get("/api/v1/duplicates/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": PersonLink.objects.get().pk,
            "status": "proposed",
            "case": {"id": a.pk, "reference": a.reference, "owner": a.owner.name},
            "other_case": {"owner": None, "notified": True},
            "contact": {"ours": False, "theirs": False},
            "decided_by": None,
            "decided_by_other": False,
            "decided_at": None,
            "created_at": response.json()["results"][0]["created_at"],
            "merge": None,
        }
    ]
    body = json.dumps(response.json(), ensure_ascii=False)
    for secret in ("Марија", "Јовановић", "Marija", "1990-05-17", b.reference, b.owner.name):
        assert secret not in body
    # Seen from the other side, the other way round.
    other = api(world["socialwork"]).get("/api/v1/duplicates/").json()["results"][0]
    assert (other["case"]["id"], other["other_case"]) == (b.pk, {"owner": None, "notified": True})
    assert a.reference not in json.dumps(other) and a.owner.name not in json.dumps(other)


def test_both_owners_case_workers_are_notified_of_their_own_case_only(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    for name in ("ngo", "socialwork", "police"):
        type(world[name]).objects.filter(pk=world[name].pk).update(email=f"{name}@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        b = open_for(world["socialwork"], "csr-bg", CYRILLIC)

    link = PersonLink.objects.get()
    assert link.notified_at is not None
    entry = AuditEntry.objects.get(action="duplicate.propose")
    assert entry.detail == {"links": [link.pk], "notified": sorted([a.owner_id, b.owner_id])}
    by_case = {}
    for message in mailoutbox:
        for case in (a, b):
            if case.reference in message.body:
                by_case[case.pk] = message
    assert set(by_case) == {a.pk, b.pk} and len(mailoutbox) == 2
    for case, other in ((a, b), (b, a)):
        message = by_case[case.pk]
        text = message.subject + message.body
        assert other.reference not in text and other.owner.name not in text and "Marija" not in text
    assert "ngo@example.org" in by_case[a.pk].bcc and "socialwork@example.org" in by_case[b.pk].bcc
    assert "ngo@example.org" not in by_case[b.pk].bcc
    assert "police@example.org" not in by_case[a.pk].bcc + by_case[b.pk].bcc  # frontline: not a decider


def test_the_other_organisation_is_shown_only_once_both_agree_to_contact(pair, world):
    a, b = pair
    link = PersonLink.objects.get()

    # The shelter agrees first: the centre learns only that contact is offered.
    mine = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/contact/")
    assert mine.status_code == 200
    assert mine.json()["contact"] == {"ours": True, "theirs": False} and mine.json()["other_case"]["owner"] is None
    theirs = api(world["socialwork"]).get("/api/v1/duplicates/").json()["results"][0]
    assert theirs["contact"] == {"ours": False, "theirs": True} and theirs["other_case"]["owner"] is None
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/contact/").status_code == 409

    # The centre agrees too: each now sees the other's organisation, never its case.
    both = api(world["socialwork"]).post(f"/api/v1/duplicates/{link.pk}/contact/").json()
    assert both["other_case"] == {"owner": a.owner.name, "notified": True}
    seen = api(world["ngo"]).get("/api/v1/duplicates/").json()["results"][0]
    assert seen["other_case"] == {"owner": b.owner.name, "notified": True}
    assert b.reference not in json.dumps(seen)
    entries = list(AuditEntry.objects.filter(action="duplicate.contact").values_list("actor", "detail__agreed"))
    assert entries == [("ngo", False), ("socialwork", True)]
    # A frontline worker and an outsider may not agree for anyone: not found, audited.
    assert api(world["ngo2"]).post(f"/api/v1/duplicates/{link.pk}/contact/").status_code == 404
    assert [d.actor for d in denials(object_type="person_link")] == ["ngo2"]


def test_a_decision_by_the_other_side_does_not_name_its_decider(pair, world):
    link = PersonLink.objects.get()
    api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/confirm/")

    seen = api(world["socialwork"]).get("/api/v1/duplicates/").json()["results"][0]

    assert (seen["status"], seen["decided_by"], seen["decided_by_other"]) == ("confirmed", None, True)


@pytest.mark.parametrize("username", ["ngo2", "coordinator", "analyst", "admin"])
def test_outsiders_see_no_links(pair, world, username):
    assert api(world[username]).get("/api/v1/duplicates/").json()["results"] == []


def test_anonymous_is_refused(pair):
    assert api().get("/api/v1/duplicates/").status_code == 401
    link = PersonLink.objects.get()
    assert api().post(f"/api/v1/duplicates/{link.pk}/confirm/").status_code == 401
    assert PersonLink.objects.get().status == "proposed"


def test_caseworker_of_an_owner_confirms_and_it_is_audited(pair, world):
    link = PersonLink.objects.get()

    response = api(world["socialwork"]).post(f"/api/v1/duplicates/{link.pk}/confirm/")

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed" and response.json()["decided_by"] == "socialwork"
    assert response.json()["other_case"]["owner"] is None
    link.refresh_from_db()
    assert (link.status, link.decided_by.username) == ("confirmed", "socialwork")
    entry = AuditEntry.objects.get(action="duplicate.confirm")
    assert (entry.actor, entry.organisation_id, entry.detail["to"]) == ("socialwork", org("csr-bg").pk, "confirmed")
    # Deciding the same again is a conflict; changing one's mind is allowed and audited.
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/confirm/").status_code == 409
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/reject/").json()["status"] == "rejected"
    assert AuditEntry.objects.get(action="duplicate.reject").detail["from"] == "confirmed"


def test_only_case_managers_of_an_owner_decide(world):
    a = open_for(world["police"], "pu-bg", LATIN)  # police: a frontline worker owns one case
    open_for(world["socialwork"], "csr-bg", CYRILLIC)
    link = PersonLink.objects.get()
    assert link.case_a_id == a.pk

    # Frontline of an owner sees the link but may not decide it; another organisation's case
    # worker does not even see it. Both are told "not found", and both are audited.
    assert len(api(world["police"]).get("/api/v1/duplicates/").json()["results"]) == 1
    assert api(world["police"]).post(f"/api/v1/duplicates/{link.pk}/confirm/").status_code == 404
    assert api(world["ngo2"]).post(f"/api/v1/duplicates/{link.pk}/reject/").status_code == 404
    assert api(world["ngo2"]).post("/api/v1/duplicates/999999/reject/").status_code == 404
    assert PersonLink.objects.get().status == "proposed"
    assert [d.actor for d in denials(object_type="person_link")] == ["police", "ngo2", "ngo2"]


def test_list_queries_do_not_grow_with_links(world):
    for i in range(3):
        open_for(world["ngo"], "ngo-sigurna", dict(LATIN, given_name=f"Ana{i}"))
        open_for(world["socialwork"], "csr-bg", dict(LATIN, given_name=f"Ana{i}"))
    client = api(world["ngo"])
    client.get("/api/v1/duplicates/")
    with CaptureQueriesContext(connection) as three:
        assert len(client.get("/api/v1/duplicates/").json()["results"]) == 3
    for i in range(3, 6):
        open_for(world["ngo"], "ngo-sigurna", dict(LATIN, given_name=f"Ana{i}"))
        open_for(world["socialwork"], "csr-bg", dict(LATIN, given_name=f"Ana{i}"))
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/duplicates/").json()["results"]) == 6
    assert len(six) == len(three)


def test_confirmed_links_count_a_person_once(pair, world):
    a, b = pair
    c = open_for(world["ngo2"], "ngo-most", LATIN)
    links = {(link.case_a_id, link.case_b_id): link for link in PersonLink.objects.all()}
    dedup.link_confirm(actor=fresh(world["ngo"]), link_id=links[(a.pk, b.pk)].pk)
    dedup.link_confirm(actor=fresh(world["ngo2"]), link_id=links[(b.pk, c.pk)].pk)
    dedup.link_reject(actor=fresh(world["ngo"]), link_id=links[(a.pk, c.pk)].pk)

    clusters = dedup.person_clusters()

    assert clusters == {a.pk: a.pk, b.pk: a.pk, c.pk: a.pk}
    assert len({clusters.get(pk, pk) for pk in (a.pk, b.pk, c.pk)}) == 1


def test_a_probe_case_does_not_tell_the_police_where_the_victim_is(world):
    """Regression (H, finding 1): the duplicates list was a location oracle.

    Police may not open the shelter's case; a probe case with the victim's name and date of birth
    must not reveal the shelter's case reference or the shelter itself, and the read is audited.
    """
    shelter = open_for(world["ngo"], "ngo-sigurna", LATIN)
    probe = open_for(world["police"], "pu-bg", CYRILLIC)
    assert api(world["police"]).get(f"/api/v1/cases/{shelter.pk}/").status_code == 404
    link = PersonLink.objects.get()

    response = api(world["police"]).get("/api/v1/duplicates/")

    assert response.status_code == 200
    body = response.content.decode()
    assert shelter.reference not in body
    assert shelter.owner.name not in body and "Safe Harbour" not in body
    [row] = response.json()["results"]
    assert row["case"]["reference"] == probe.reference
    entry = AuditEntry.objects.filter(action="duplicate.list").get()
    assert (entry.actor, entry.outcome, entry.detail["links"]) == ("police", "allowed", [link.pk])
