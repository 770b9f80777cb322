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
        Case.objects.values_list("pk", "version", "place_of_exploitation", "region", "best_interests_note", "person_id")
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
    return api(world["ngo"]).patch(f"/api/v1/cases/{case.pk}/", body, format="json", HTTP_IF_MATCH="*")


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


# --- The services themselves ----------------------------------------------------------------
# Whatever calls them (a page, the API, an import, a command), the services refuse the same input.


def _justice_open(world, **kwargs):
    from nrm.justice import services as justice_services

    values = {"reference": "KTO 1/24", "investigation_on": dt.date(2024, 5, 1), **kwargs}
    return justice_services.proceeding_open(actor=fresh(world["police"]), organisation=org("pu-bg"), **values)


def _defendant(world, **kwargs):
    from nrm.justice import services as justice_services
    from nrm.justice.models import Proceeding

    proceeding = Proceeding.objects.get(reference="KTO 9/24")
    values = {"name": "Borivoje Qwentik", **kwargs}
    return justice_services.defendant_add(actor=fresh(world["police"]), proceeding=proceeding, **values)


def _referral(world, **kwargs):
    from nrm.cases.tests.helpers import refer, share

    case = Case.objects.get(place_of_exploitation="Kept")
    share(world["ngo"], case, "csr-bg")
    return refer(world["ngo"], case, "csr-bg", **kwargs)


def _note(world, text):
    from nrm.cases import services as case_services

    case = Case.objects.get(place_of_exploitation="Kept")
    return case_services.note_add(actor=fresh(world["ngo"]), case=case, text=text)


def _observation(world, note):
    from nrm.earlywarning import services as warning_services

    return warning_services.observation_record(
        actor=fresh(world["police"]),
        organisation=org("pu-bg"),
        indicator="migrants_held_in_houses",
        region=org("pu-bg").region,
        likelihood=2,
        note=note,
    )


def _call(world, **kwargs):
    from nrm.helpline import services as helpline_services

    values = {"channel": "sms", "topic": "job_offer", **kwargs}
    return helpline_services.call_log(actor=fresh(world["helpline"]), organisation=org("helpline"), **values)


def _stored_rows():
    from nrm.cases.models import CaseNote
    from nrm.earlywarning.models import Observation
    from nrm.justice.models import Defendant, Proceeding
    from nrm.referrals.models import Referral

    return [m.objects.count() for m in (CaseNote, Observation, Defendant, Proceeding, Referral, Call)]


NEXT_YEAR = today().year + 1
SERVICE_CASES = {
    "proceeding court nul": (lambda w: _justice_open(w, court="Court\x00"), "court"),
    "proceeding court long": (lambda w: _justice_open(w, court="c" * 201), "court"),
    "proceeding notes nul": (lambda w: _justice_open(w, notes="\x00"), "notes"),
    "defendant name nul": (lambda w: _defendant(w, name="Bori\x00voje"), "name"),
    "defendant born 1899": (lambda w: _defendant(w, birth_year=1899), "birth_year"),
    "defendant born next year": (lambda w: _defendant(w, birth_year=NEXT_YEAR), "birth_year"),
    "referral message nul": (lambda w: _referral(w, message="Hello\x00"), "message"),
    "referral message long": (lambda w: _referral(w, message="m" * 20001), "message"),
    "case note nul": (lambda w: _note(w, "note\x00"), "text"),
    "observation note nul": (lambda w: _observation(w, "seen\x00"), "note"),
    "call notes nul": (lambda w: _call(w, notes="\x00"), "notes"),
    "call region long": (lambda w: _call(w, region="r" * 81), "region"),
}


@pytest.mark.parametrize("name", list(SERVICE_CASES))
def test_services_refuse_bad_input_naming_the_field(existing, world, name):
    from django.core.exceptions import ValidationError

    call, field = SERVICE_CASES[name]
    if name.startswith("defendant"):
        _justice_open(world, reference="KTO 9/24")
    before = _stored_rows()
    with pytest.raises(ValidationError) as caught:
        call(world)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert _stored_rows() == before
