"""The prevention pages and API against the outsiders: anonymous, another organisation, the wrong role.

The records (an event linked to an action-plan task, an awareness action, a survey) belong to the
Belgrade police (``police``); the indicator feed to the Coordinator's office. The shared harness
(``tests/matrix.py``) asserts for everyone but the right role that the answer is the one a missing
record gets, that nothing leaked and nothing changed; ``test_api.py`` and ``test_views.py`` keep the
rules particular to prevention (national readers, the organiser field, stale edits, the CSV).

Personas: ``other_org`` is a case worker of another NGO (who records prevention work for their own
organisation), ``wrong_role`` an administrator of the Belgrade police (no prevention role);
``analyst`` and ``coordinator`` read every organisation's records but record none of the police's;
``admin`` (the Coordinator's office administrator) has no prevention role at all.
"""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.actionplan.models import Task
from nrm.cases.tests.helpers import member, org
from nrm.prevention import services
from nrm.prevention.tests import test_api as api_bodies
from nrm.programmes.models import Indicator
from tests.matrix import AREA, LIST, OPEN, Route, Scene, matrix_tests

EVENT_TITLE = "Zlatibor border training for Vukodrag officers"
EVALUATION = "Participants of Vukodrag asked for more case studies"
AWARENESS_TITLE = "Campaign Safe work abroad Qelmira"
MATERIAL_TITLE = "Leaflet Know your rights Qelmira"
SURVEY_TITLE = "KAP survey of Trnovac police officers"
STATEMENT = "Knows the Trnovac indicators"
PROGRAMME = "rs-irc-anti-trafficking"


def build_scene(world) -> Scene:
    """Return the police's event (linked to task 3.2.3), awareness action and survey, and a feed."""
    police = world["police"]
    task = Task.objects.get(number="3.2.3")
    event = services.event_record(
        actor=fresh(police),
        organiser=org("pu-bg"),
        kind="training",
        title=EVENT_TITLE,
        topic="Indicators of trafficking",
        starts_on=dt.date(2024, 3, 5),
        ends_on=dt.date(2024, 3, 6),
        location="Police academy",
        task=task,
        attendance=[{"profession": "police", "sex": "F", "count": 7}, {"profession": "police", "sex": "M", "count": 9}],
        forms_returned=14,
        average_score="4.40",
        evaluation_summary=EVALUATION,
    )
    awareness = services.awareness_record(
        actor=fresh(police),
        organiser=org("pu-bg"),
        kind="campaign",
        title=AWARENESS_TITLE,
        starts_on=dt.date(2024, 5, 1),
        materials=[
            {
                "kind": "leaflet",
                "language": "sr",
                "title": MATERIAL_TITLE,
                "copies_produced": 100,
                "copies_distributed": 80,
            }
        ],
    )
    survey = services.survey_record(
        actor=fresh(police),
        organiser=org("pu-bg"),
        title=SURVEY_TITLE,
        conducted_from=dt.date(2024, 6, 1),
        conducted_to=dt.date(2024, 6, 30),
        population="Police officers in Belgrade",
        sample_size=90,
        results=[{"domain": "knowledge", "statement": STATEMENT, "measure": "percent", "result": "71.5"}],
    )
    indicators = Indicator.objects.filter(programme__code=PROGRAMME).order_by("pk")
    feed = services.indicator_feed_define(
        actor=fresh(world["coordinator"]),
        indicator=indicators.get(code="roundtables"),
        measure="events",
        event_kind="round_table",
    )
    return Scene(
        users={
            **world,
            "other_org": world["ngo2"],
            "wrong_role": member("pu-admin", "pu-bg", Role.ADMIN),
        },
        ids={
            "event": event,
            "awareness": awareness,
            "survey": survey,
            "feed": feed,
            "task": task,
            "pu_bg": org("pu-bg"),
            "indicator": indicators.exclude(code="roundtables").first(),
        },
        secrets=[EVENT_TITLE, EVALUATION, AWARENESS_TITLE, MATERIAL_TITLE, SURVEY_TITLE, STATEMENT],
    )


def management(prefix: str, total: int = 1) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}


EVENT_FORM = {
    "organiser": "{pu_bg}",
    "kind": "training",
    "title": "Posted training",
    "starts_on": "2024-09-10",
    "ends_on": "2024-09-11",
    "version": "1",
    **management("attendance", 2),
    "attendance-0-profession": "teacher",
    "attendance-0-sex": "F",
    "attendance-0-count": "12",
    "attendance-1-profession": "",
    "attendance-1-count": "",
}
AWARENESS_FORM = {
    "organiser": "{pu_bg}",
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
SURVEY_FORM = {
    "organiser": "{pu_bg}",
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
# The API's create bodies (``test_api``), made for the police's Belgrade directorate.
NEW_EVENT = {"organiser": "{pu_bg}", **api_bodies.NEW_EVENT}
NEW_AWARENESS = {"organiser": "{pu_bg}", **api_bodies.NEW_AWARENESS}
NEW_SURVEY = {"organiser": "{pu_bg}", **api_bodies.NEW_SURVEY}
MATERIAL = api_bodies.MATERIAL

# Readers: the police's own records, refused to another organisation, the wrong role and the
# administrator (who has no prevention role); national readers read them (see test_views/test_api).
READ = ("other_org", "wrong_role", "admin")
# Lists and pages of the area: another organisation gets its own (empty) list; no prevention role: 404.
AREA_LIST = {"other_org": 200, "wrong_role": 404, "admin": 404}
# Writes on the police's records: national readers record none of them either.
WRITE = ("other_org", "wrong_role", "analyst", "coordinator", "admin")
# The forms that create: another organisation and the Coordinator's office get their own form
# (the police's organisation is refused on the field); no prevention role, or an analyst: 404.
FORM = {"other_org": 200, "coordinator": 200}

ROUTES = [
    # --- Pages -------------------------------------------------------------------------------
    Route("get", "/prevention/", "police", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/prevention/events/", "police", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/prevention/events/export/", "police", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/prevention/events/new/", "police", kind=AREA, outsiders=WRITE, refused=FORM),
    Route("post", "/prevention/events/new/", "police", 302, data=EVENT_FORM, kind=AREA, outsiders=WRITE, refused=FORM),
    Route(
        "get",
        "/prevention/events/{event}/",
        "police",
        outsiders=READ,
    ),
    Route(
        "get",
        "/prevention/events/{event}/edit/",
        "police",
        outsiders=WRITE,
    ),
    Route(
        "post",
        "/prevention/events/{event}/edit/",
        "police",
        302,
        data=EVENT_FORM,
        outsiders=WRITE,
    ),
    Route("get", "/prevention/awareness/", "police", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/prevention/awareness/new/", "police", kind=AREA, outsiders=WRITE, refused=FORM),
    Route(
        "post",
        "/prevention/awareness/new/",
        "police",
        302,
        data=AWARENESS_FORM,
        kind=AREA,
        outsiders=WRITE,
        refused=FORM,
    ),
    Route(
        "get",
        "/prevention/awareness/{awareness}/",
        "police",
        outsiders=READ,
    ),
    Route("get", "/prevention/surveys/", "police", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/prevention/surveys/new/", "police", kind=AREA, outsiders=WRITE, refused=FORM),
    Route(
        "post", "/prevention/surveys/new/", "police", 302, data=SURVEY_FORM, kind=AREA, outsiders=WRITE, refused=FORM
    ),
    Route(
        "get",
        "/prevention/surveys/{survey}/",
        "police",
        outsiders=READ,
    ),
    # --- API ---------------------------------------------------------------------------------
    Route("get", "/api/v1/prevention/professions/", "police", kind=OPEN, outsiders=READ),
    Route("get", "/api/v1/prevention/events/", "police", kind=LIST, outsiders=READ),
    Route(
        "get",
        "/api/v1/prevention/events/{event}/",
        "police",
        outsiders=READ,
    ),
    # Recording for the police is refused on the field that names them (a 400, nothing stored).
    Route("post", "/api/v1/prevention/events/", "police", 201, data=NEW_EVENT, outsiders=WRITE, refused=400),
    Route(
        "patch",
        "/api/v1/prevention/events/{event}/",
        "police",
        data={"version": 1, "title": "Changed"},
        outsiders=WRITE,
    ),
    Route("get", "/api/v1/prevention/awareness/", "police", kind=LIST, outsiders=READ),
    Route(
        "get",
        "/api/v1/prevention/awareness/{awareness}/",
        "police",
        outsiders=READ,
    ),
    Route("post", "/api/v1/prevention/awareness/", "police", 201, data=NEW_AWARENESS, outsiders=WRITE, refused=400),
    # The national readers see the action, and their attempt to add to it is an audited denial
    # (the service); for the others the action does not exist (an audited 404 of the selector).
    Route(
        "post",
        "/api/v1/prevention/awareness/{awareness}/materials/",
        "police",
        201,
        data=MATERIAL,
        outsiders=("analyst", "coordinator"),
    ),
    Route(
        "post",
        "/api/v1/prevention/awareness/{awareness}/materials/",
        "police",
        201,
        data=MATERIAL,
        outsiders=READ,
        name="POST /api/v1/prevention/awareness/{awareness}/materials/ (no reader)",
    ),
    Route("get", "/api/v1/prevention/surveys/", "police", kind=LIST, outsiders=READ),
    Route(
        "get",
        "/api/v1/prevention/surveys/{survey}/",
        "police",
        outsiders=READ,
    ),
    Route("post", "/api/v1/prevention/surveys/", "police", 201, data=NEW_SURVEY, outsiders=WRITE, refused=400),
    # The feeds are the Coordinator's office's: ``analyst`` is its wrong role for writes, ``admin`` for reads.
    Route(
        "get",
        "/api/v1/prevention/indicator-feeds/",
        "coordinator",
        kind=LIST,
        outsiders=("other_org", "police", "admin"),
    ),
    Route(
        "get",
        "/api/v1/prevention/indicator-feeds/{feed}/",
        "coordinator",
        outsiders=("other_org", "police", "admin"),
    ),
    Route(
        "post",
        "/api/v1/prevention/indicator-feeds/",
        "coordinator",
        201,
        data={"indicator": "{indicator}", "measure": "events", "event_kind": "training"},
        outsiders=("other_org", "police", "analyst", "admin"),
    ),
    Route(
        "post",
        "/api/v1/prevention/indicator-feeds/{feed}/apply/",
        "coordinator",
        201,
        data={"period_start": "2024-01-01", "period_end": "2024-12-31"},
        outsiders=("analyst",),
    ),
    Route(
        "post",
        "/api/v1/prevention/indicator-feeds/{feed}/apply/",
        "coordinator",
        201,
        data={"period_start": "2024-01-01", "period_end": "2024-12-31"},
        outsiders=("other_org", "police", "admin"),
        name="POST /api/v1/prevention/indicator-feeds/{feed}/apply/ (no national reader)",
    ),
    # Evidence is what the caller may see: another organisation gets the month without the police's work.
    Route("get", "/api/v1/prevention/task-evidence/?task={task}&month=2024-03", "police", kind=LIST, outsiders=READ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


def test_the_right_role_sees_the_records(scene):
    """The secrets are in what the police receive: the outsiders' checks above can fail."""
    from tests.matrix import request

    by_id = {r.id: r for r in ROUTES}
    for route_id, secret in [
        ("GET /prevention/events/{event}/", EVALUATION),
        ("GET /prevention/events/export/", EVENT_TITLE),
        ("GET /api/v1/prevention/awareness/{awareness}/", MATERIAL_TITLE),
        ("GET /api/v1/prevention/surveys/{survey}/", STATEMENT),
        ("GET /api/v1/prevention/task-evidence/?task={task}&month=2024-03", EVENT_TITLE),
    ]:
        response = request(scene, by_id[route_id], scene.users["police"])
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert secret.encode() in content, route_id
