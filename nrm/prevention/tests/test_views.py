"""The prevention pages beyond the access matrix: national readers, the organiser field, edits, the CSV.

Anonymous users, another organisation and the wrong role are in the shared access matrix
(``test_access_matrix.py``); bad input names the field (or the row) and stores nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import member, org
from nrm.prevention.models import Attendance, AwarenessAction, Event, KapSurvey, Material


def state() -> tuple:
    return (
        sorted(Event.objects.values_list("pk", "version", "title")),
        sorted(Attendance.objects.values_list("event_id", "count")),
        sorted(AwarenessAction.objects.values_list("pk", "title")),
        Material.objects.count(),
        KapSurvey.objects.count(),
    )


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def management(prefix: str, total: int = 1) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}


def event_post(organiser, **changes) -> dict:
    body = {
        "organiser": organiser.pk,
        "kind": "training",
        "title": "Posted training",
        "starts_on": "2024-09-10",
        "ends_on": "2024-09-11",
        **management("attendance", 2),
        "attendance-0-profession": "teacher",
        "attendance-0-sex": "F",
        "attendance-0-count": "12",
        "attendance-1-profession": "",
        "attendance-1-count": "",
    }
    body.update(changes)
    return body


def awareness_post(organiser) -> dict:
    return {
        "organiser": organiser.pk,
        "kind": "campaign",
        "title": "Posted campaign",
        "starts_on": "2024-09-10",
        **management("materials"),
        "materials-0-kind": "leaflet",
        "materials-0-language": "ar",
        "materials-0-title": "Leaflet",
        "materials-0-copies_produced": "100",
        "materials-0-copies_distributed": "90",
    }


def survey_post(organiser) -> dict:
    return {
        "organiser": organiser.pk,
        "title": "Posted survey",
        "conducted_from": "2024-09-01",
        "conducted_to": "2024-09-05",
        "population": "Pupils",
        "sample_size": "50",
        **management("results"),
        "results-0-domain": "knowledge",
        "results-0-statement": "Knows the helpline",
        "results-0-measure": "percent",
        "results-0-result": "44",
    }


# (method, path, kind): kind "read" a record, "list", "form" (new), "edit" a record
PAGES = [
    ("get", "/prevention/", "list"),
    ("get", "/prevention/events/", "list"),
    ("get", "/prevention/events/export/", "list"),
    ("get", "/prevention/events/new/", "form"),
    ("post", "/prevention/events/new/", "form"),
    ("get", "/prevention/events/{event}/", "read"),
    ("get", "/prevention/events/{event}/edit/", "edit"),
    ("post", "/prevention/events/{event}/edit/", "edit"),
    ("get", "/prevention/awareness/", "list"),
    ("get", "/prevention/awareness/new/", "form"),
    ("post", "/prevention/awareness/new/", "form"),
    ("get", "/prevention/awareness/{awareness}/", "read"),
    ("get", "/prevention/surveys/", "list"),
    ("get", "/prevention/surveys/new/", "form"),
    ("post", "/prevention/surveys/new/", "form"),
    ("get", "/prevention/surveys/{survey}/", "read"),
]


def hit(client: Client, method: str, path: str, objects: dict):
    url = path.format(**objects)
    if method == "get":
        return client.get(url)
    police = org("pu-bg")
    if "awareness" in url:
        body = awareness_post(police)
    elif "surveys" in url:
        body = survey_post(police)
    else:
        body = event_post(police, version="1")
    return client.post(url, body)


@pytest.fixture
def objects(event, awareness, survey):
    return {"event": event.pk, "awareness": awareness.pk, "survey": survey.pk}


READS = [(m, p) for m, p, kind in PAGES if kind in ("list", "read")]


@pytest.mark.parametrize(("method", "path"), READS, ids=[p for _m, p in READS])
def test_national_readers_read_everything_of_the_police(people, objects, method, path):
    """The Coordinator's office and analysts read every page (the matrix refuses their edits and forms)."""
    for who in ("analyst", "coordinator"):
        before = state()
        response = hit(as_user(people[who]), method, path, objects)
        assert response.status_code == 200, who
        assert state() == before


@pytest.mark.parametrize("path", ["/prevention/events/new/", "/prevention/awareness/new/", "/prevention/surveys/new/"])
def test_a_form_for_the_police_by_another_organisation_is_refused_on_the_organiser(people, objects, path):
    """The form offers only the user's own organisation: the police's is refused on the field."""
    for who in ("ngo2", "coordinator"):
        before = state()
        response = hit(as_user(people[who]), "post", path, objects)
        assert response.status_code == 200 and b"organiser_error" in response.content, who
        assert state() == before


def test_the_lists_show_the_police_records_to_a_national_reader(people, objects):
    client = as_user(people["analyst"])
    assert b"Identifying victims at the border" in client.get("/prevention/events/").content
    assert b"Safe work abroad" in client.get("/prevention/awareness/").content
    assert b"KAP survey of police officers" in client.get("/prevention/surveys/").content
    detail = client.get(f"/prevention/events/{objects['event']}/")
    assert b"Police officer" in detail.content and b"4.40" in detail.content
    assert b'href="/prevention/events/%d/edit/"' % objects["event"] not in detail.content


def test_the_police_record_edit_and_export(people, objects):
    client = as_user(people["police"])
    response = client.post("/prevention/events/new/", event_post(org("pu-bg")))
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="Posted training")
    assert list(event.attendance.values_list("profession__code", "count")) == [("teacher", 12)]
    edit = client.post(
        f"/prevention/events/{event.pk}/edit/",
        event_post(org("pu-bg"), title="Posted training (edited)", version="1", **{"attendance-0-count": "15"}),
    )
    assert edit.status_code == 302
    event.refresh_from_db()
    assert event.title == "Posted training (edited)" and event.version == 2
    stale = client.post(f"/prevention/events/{event.pk}/edit/", event_post(org("pu-bg"), title="Lost", version="1"))
    assert stale.status_code == 409
    event.refresh_from_db()
    assert event.title == "Posted training (edited)"
    assert client.post("/prevention/awareness/new/", awareness_post(org("pu-bg"))).status_code == 302
    assert client.post("/prevention/surveys/new/", survey_post(org("pu-bg"))).status_code == 302
    export = client.get("/prevention/events/export/?kind=training&year=2024")
    text = b"".join(export.streaming_content).decode()
    assert export["Content-Type"].startswith("text/csv")
    assert "Posted training (edited)" in text and "Identifying victims at the border" in text
    assert text.splitlines()[0].startswith("id,kind,title")
    filtered = client.get("/prevention/events/?year=2023")
    assert b"Posted training" not in filtered.content


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"ends_on": "2024-09-01"}, b"id_ends_on_error"),
        ({"attendance-0-count": "0"}, b"id_attendance-0-count_error"),
        ({"average_score": "6", "forms_returned": "3"}, b"id_average_score_error"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(people, changes, error):
    before = state()
    response = as_user(people["police"]).post("/prevention/events/new/", event_post(org("pu-bg"), **changes))
    assert response.status_code == 200 and error in response.content
    assert b"error-summary" in response.content and state() == before


def test_materials_beyond_produced_are_refused_on_the_row(people):
    before = state()
    body = {**awareness_post(org("ngo-sigurna")), "materials-0-copies_distributed": "101"}
    response = as_user(people["ngo"]).post("/prevention/awareness/new/", body)
    assert response.status_code == 200 and b"id_materials-0-copies_distributed_error" in response.content
    assert state() == before


def test_a_colleague_of_the_organiser_edits(people, objects):
    colleague = member("colleague", "pu-bg", Role.CASEWORKER)
    response = as_user(colleague).get(f"/prevention/events/{objects['event']}/edit/")
    assert response.status_code == 200 and b"Identifying victims" in response.content


def test_the_navigation_links_prevention_for_readers_only(people):
    for who, shown in [("police", True), ("analyst", True), ("coordinator", True), ("admin", False)]:
        response = as_user(fresh(people[who])).get("/prevention/" if shown else "/")
        assert (b'href="/prevention/"' in response.content) is shown, who
