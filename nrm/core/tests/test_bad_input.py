"""Bad input is refused alike on every write path, naming the field, and leaves stored data as it was.

The matrix: each write path (a page's form, an API POST or PATCH, a row of an imported file) is
sent each bad input it can carry (a NUL byte, text over the field's length, a date of birth
before 1900 or tomorrow). PostgreSQL refuses NUL in text and over-long text outright, so there an
unchecked value would be a 500; the matrix runs on both databases.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from conftest import PRESUMED_ADULT, fresh
from nrm.cases.models import Case, Person, Screening
from nrm.cases.tests.helpers import IDENTITY, api, open_case, org
from nrm.core.validation import today
from nrm.exchange import ctdc, htcds
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.models import ExternalDataset, ExternalRecord
from nrm.helpline.models import Call
from nrm.prevention.models import Event

NUL, LONG, BORN_1899, BORN_TOMORROW = "nul", "long", "born 1899-12-31", "born tomorrow"


def bad_value(bad: str, max_length: int) -> str:
    if bad == NUL:
        return "Ana\x00Test"
    if bad == LONG:
        return "x" * (max_length + 1)
    if bad == BORN_1899:
        return "1899-12-31"
    return (today() + dt.timedelta(days=1)).isoformat()


@dataclass
class WritePath:
    """One way of writing records: ``send(world, bad)`` makes the attempt and returns what answered."""

    name: str
    kind: str  # web, api or import
    field: Callable[[str], str]  # the field (or file column) the refusal must name, per bad input
    send: Callable[[dict, str], object]
    state: Callable[[], object]
    bads: tuple[str, ...] = (NUL, LONG)


def _web(user, url: str, data: dict):
    client = Client()
    client.force_login(fresh(user))
    return client.post(url, data)


# --- Cases -----------------------------------------------------------------------------------


def _case_state():
    return sorted(
        Case.objects.values_list("pk", "version", "place_of_exploitation", "region", "guardian", "person_id")
    ), sorted((p.pk, p.given_name, p.date_of_birth, p.birth_year) for p in Person.objects.all())


def _case_field(bad: str, text: str) -> str:
    return "date_of_birth" if bad in (BORN_1899, BORN_TOMORROW) else text


def web_case_open(world, bad):
    data = {"organisation": org("ngo-sigurna").pk, "sex": "F", "migration_status": "unknown", "given_name": "Ana"}
    if bad in (NUL, LONG):
        data["place_of_exploitation"] = bad_value(bad, 120)
    else:
        data["date_of_birth"] = bad_value(bad, 0)
    return _web(world["ngo"], "/cases/new/", data)


def web_case_edit(world, bad):
    case = Case.objects.get(place_of_exploitation="Kept")
    data = {"version": case.version, "forms": ["sexual"], "place_of_exploitation": bad_value(bad, 120)}
    return _web(world["ngo"], f"/cases/{case.pk}/edit/", data)


def api_case_post(world, bad):
    body = {"identity": dict(IDENTITY), "sex": "F", "citizenship": "RS", "forms": ["sexual"]}
    if bad == NUL:
        body["identity"]["given_name"] = bad_value(bad, 0)
    elif bad == LONG:
        body["region"] = bad_value(bad, 80)  # the serializer sets no length: the service's check answers
    else:
        body["identity"]["date_of_birth"] = bad_value(bad, 0)
    return api(world["police"]).post("/api/v1/cases/", body, format="json")


def api_case_patch(world, bad):
    case = Case.objects.get(place_of_exploitation="Kept")
    body = {"version": case.version, "place_of_exploitation": bad_value(bad, 120)}
    return api(world["ngo"]).patch(f"/api/v1/cases/{case.pk}/", body, format="json")


def _write_csv(path: Path, row: dict) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(row))
        writer.writeheader()
        writer.writerow(row)
    return path


def import_htcds(world, bad, tmp_path):
    row = {"prs_FirstName": "Ana", "hte_Type": "Exploitation", "hte_City": "Novi Sad"}
    if bad == NUL:
        row["prs_FirstName"] = bad_value(bad, 0)
    elif bad == LONG:
        row["hte_City"] = bad_value(bad, 120)
    else:
        row["prs_Birthdate"] = bad_value(bad, 0)
    path = _write_csv(tmp_path / "cases.csv", row)
    return htcds.htcds_import(actor=fresh(world["ngo"]), path=path, organisation=org("ngo-sigurna"))


def _htcds_column(bad: str) -> str:
    return {NUL: "prs_FirstName", LONG: "hte_City"}.get(bad, "prs_Birthdate")


# --- Screenings, helpline, prevention, CTDC --------------------------------------------------


def api_screening_post(world, bad):
    body = {"answers": PRESUMED_ADULT, "is_child": False, "region": bad_value(bad, 80)}
    return api(world["police"]).post("/api/v1/screenings/", body, format="json")


def web_helpline_call(world, bad):
    data = {"channel": "sms", "topic": "job_offer", "language": "en", "organisation": org("helpline").pk}
    data["referred_to_other" if bad == LONG else "notes"] = bad_value(bad, 200)
    return _web(world["helpline"], "/helpline/calls/new/", data)


def api_helpline_call(world, bad):
    body = {"channel": "sms", "topic": "job_offer", "organisation": org("helpline").pk}
    body["referred_to_other" if bad == LONG else "notes"] = bad_value(bad, 200)
    return api(world["helpline"]).post("/api/v1/helpline/calls/", body, format="json")


NEW_EVENT = {
    "kind": "round_table",
    "title": "Round table",
    "starts_on": "2024-10-01",
    "attendance": [{"profession": "labour_inspector", "sex": "F", "count": 6}],
}


def api_event_post(world, bad):
    body = {**NEW_EVENT, "organiser": org("pu-bg").pk, "location": bad_value(bad, 200)}
    return api(world["police"]).post("/api/v1/prevention/events/", body, format="json")


def api_event_patch(world, bad):
    event = Event.objects.get(title="Kept")
    body = {"version": event.version, "location": bad_value(bad, 200)}
    return api(world["police"]).patch(f"/api/v1/prevention/events/{event.pk}/", body, format="json")


def import_ctdc(world, bad, tmp_path):
    path = tmp_path / "ctdc.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["yearOfRegistration", "gender", "citizenship", "typeOfExploitConcatenated"])
        writer.writerow(["2019", "Female", "RS", "Sexual exploitation"])
        writer.writerow(["2020", "Male", "RS", bad_value(bad, 0) if bad == NUL else "y" * 5001])
    return ctdc.ctdc_import(path=path, name="checked")


PATHS = [
    WritePath(
        "web case open",
        "web",
        lambda bad: _case_field(bad, "place_of_exploitation"),
        web_case_open,
        _case_state,
        (NUL, LONG, BORN_1899, BORN_TOMORROW),
    ),
    WritePath("web case edit", "web", lambda bad: "place_of_exploitation", web_case_edit, _case_state),
    WritePath(
        "api case post",
        "api",
        lambda bad: {NUL: "identity.given_name", LONG: "region"}.get(bad, "date_of_birth"),
        api_case_post,
        _case_state,
        (NUL, LONG, BORN_1899, BORN_TOMORROW),
    ),
    WritePath("api case patch", "api", lambda bad: "place_of_exploitation", api_case_patch, _case_state),
    WritePath(
        "import htcds", "import", _htcds_column, import_htcds, _case_state, (NUL, LONG, BORN_1899, BORN_TOMORROW)
    ),
    WritePath(
        "api screening post",
        "api",
        lambda bad: "region",
        api_screening_post,
        lambda: sorted(Screening.objects.values_list("pk", "region")),
    ),
    WritePath(
        "web helpline call",
        "web",
        lambda bad: "referred_to_other" if bad == LONG else "notes",
        web_helpline_call,
        lambda: Call.objects.count(),
    ),
    WritePath(
        "api helpline call",
        "api",
        lambda bad: "referred_to_other" if bad == LONG else "notes",
        api_helpline_call,
        lambda: Call.objects.count(),
    ),
    WritePath(
        "api event post",
        "api",
        lambda bad: "location",
        api_event_post,
        lambda: sorted(Event.objects.values_list("pk", "version", "location")),
    ),
    WritePath(
        "api event patch",
        "api",
        lambda bad: "location",
        api_event_patch,
        lambda: sorted(Event.objects.values_list("pk", "version", "location")),
    ),
    WritePath(
        "import ctdc",
        "import",
        lambda bad: "typeOfExploitConcatenated",
        import_ctdc,
        lambda: (ExternalDataset.objects.count(), ExternalRecord.objects.count()),
    ),
]


@pytest.fixture
def existing(world):
    """The records the PATCH and edit paths try to change."""
    from nrm.prevention import services as prevention_services

    case = open_case(world["ngo"], "ngo-sigurna", place_of_exploitation="Kept")
    event = prevention_services.event_record(
        actor=fresh(world["police"]),
        organiser=org("pu-bg"),
        kind="round_table",
        title="Kept",
        starts_on=dt.date(2024, 10, 1),
        location="Kept",
    )
    return case, event


@pytest.mark.parametrize(
    ("path", "bad"),
    [pytest.param(p, b, id=f"{p.name}: {b}") for p in PATHS for b in p.bads],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(existing, world, tmp_path, path, bad):
    field = path.field(bad)
    before = path.state()
    if path.kind == "import":
        with pytest.raises(ImportFailed) as caught:
            path.send(world, bad, tmp_path)
        columns = [e.column for e in caught.value.errors]
        assert field in columns, caught.value.errors
    else:
        response = path.send(world, bad)
        if path.kind == "web":
            assert response.status_code == 200, response.status_code
            assert field in response.context["form"].errors, response.context["form"].errors
        else:
            assert response.status_code == 400, response.content
            assert field in response.json()["errors"], response.json()
    assert path.state() == before
