"""The early-warning pages and API against the outsiders: anonymous, another organisation, the wrong role.

The scene: three observations of police Novi Sad (``novisad``, Vojvodina) raised an alert to the
Coordinator's office and the organisations of Vojvodina concerned; three more raised a second alert,
which the Coordinator's office closed with a note. The shared harness (``tests/matrix.py``) asserts
for everyone but the right role that the answer is the one a missing record gets, that nothing
leaked and nothing changed, and that a refused record is an audited denial; ``test_api.py`` and
``test_views.py`` keep the rules particular to early warning (national readers, list counts, forms).

Personas: ``other_org`` is police Belgrade (takes part in early warning, observed nothing here, no
alert raised to it), ``wrong_role`` the reporting focal point of police Novi Sad (no early-warning
role); ``analyst`` reads everything but acts on nothing; ``admin`` has no early-warning role.
"""

from __future__ import annotations

from conftest import fresh
from nrm.cases.tests.helpers import org
from nrm.earlywarning import services
from nrm.earlywarning.models import Alert
from nrm.earlywarning.tests.conftest import NOTE, REGION, make_people, make_threshold, observe
from tests import matrix
from tests.matrix import AREA, LIST, OPEN, Route, Scene, matrix_tests

CLOSE_NOTE = "Closed after the Vrbljanac agency was shut down"


def build_scene(world) -> Scene:
    """Return an open alert on migrants in Vojvodina, a closed one on workers abroad, an observation."""
    people = make_people(world)
    threshold = make_threshold()
    for _ in range(3):
        obs = observe(people["novisad"], likelihood=4, note=NOTE)
    alert = Alert.objects.get()
    for _ in range(3):
        observe(people["novisad"], indicator="agencies_not_registered", likelihood=5, impact=5)
    closed = Alert.objects.exclude(pk=alert.pk).get()
    services.alert_close(actor=fresh(people["coordinator"]), alert=closed, note=CLOSE_NOTE)
    return Scene(
        users={**people, "other_org": people["police"], "wrong_role": people["ns_reporter"]},
        ids={"obs": obs, "alert": alert, "closed": closed, "threshold": threshold, "pu_ns": org("pu-ns")},
        secrets=[NOTE, CLOSE_NOTE],
    )


# Lists and pages of the area: another organisation gets its own (empty) view; no early-warning role: 404.
READ = ("other_org", "wrong_role", "admin")
AREA_LIST = {"other_org": 200, "wrong_role": 404, "admin": 404}
# The Coordinator's office's steps: the observing organisation and analysts may not take them either.
MANAGE = ("other_org", "wrong_role", "novisad", "analyst", "admin")
NEW_OBSERVATION_FORM = {
    "organisation": "{pu_ns}",
    "observed_on": "2024-01-15",
    "indicator": "agencies_not_registered",
    "region": REGION,
    "likelihood": "2",
    "impact": "",
    "persons_concerned": "",
    "note": "",
}
THRESHOLD_FORM = {
    "group": "",
    "region": "",
    "min_score": "9",
    "min_observations": "2",
    "window_days": "60",
    "is_active": "on",
}
NEW_OBSERVATION = {
    "organisation": "{pu_ns}",
    "indicator": "child_with_unrelated_adults",
    "region": REGION,
    "likelihood": 2,
}

ROUTES = [
    # --- Pages -------------------------------------------------------------------------------
    Route("get", "/early-warning/", "novisad", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/early-warning/observations/", "novisad", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/early-warning/observations/export.csv", "novisad", kind=LIST, outsiders=READ, refused=AREA_LIST),
    # Another organisation gets its own form; the analyst observes nothing.
    Route(
        "get",
        "/early-warning/observations/new/",
        "novisad",
        kind=AREA,
        outsiders=(*READ, "analyst"),
        refused={"other_org": 200},
    ),
    # Recording for police Novi Sad: another organisation is refused on the field (the form again).
    Route(
        "post",
        "/early-warning/observations/new/",
        "novisad",
        302,
        kind=AREA,
        data=NEW_OBSERVATION_FORM,
        outsiders=(*READ, "analyst"),
        refused={"other_org": 200},
    ),
    Route("get", "/early-warning/observations/{obs}/", "novisad", outsiders=READ),
    Route("get", "/early-warning/alerts/", "novisad", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/early-warning/alerts/{alert}/", "novisad", outsiders=READ),
    Route(
        "post",
        "/early-warning/alerts/{alert}/acknowledge/",
        "novisad",
        302,
        data={"note": "Seen"},
        outsiders=(*READ, "analyst"),
    ),
    Route(
        "post", "/early-warning/alerts/{alert}/close/", "coordinator", 302, data={"note": "Handled"}, outsiders=MANAGE
    ),
    Route(
        "post", "/early-warning/alerts/{closed}/reopen/", "coordinator", 302, data={"note": "Again"}, outsiders=MANAGE
    ),
    Route("get", "/early-warning/thresholds/", "coordinator", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route(
        "post",
        "/early-warning/thresholds/",
        "coordinator",
        302,
        kind=AREA,
        data=THRESHOLD_FORM,
        outsiders=MANAGE,
    ),
    # A threshold's page: no early-warning role is an audited denial (the gate); so is a participant
    # who does not manage (the selector's get_or_deny).
    Route("get", "/early-warning/thresholds/{threshold}/", "coordinator", outsiders=("wrong_role", "admin")),
    Route(
        "get",
        "/early-warning/thresholds/{threshold}/",
        "coordinator",
        outsiders=("other_org", "novisad", "analyst"),
        name="GET /early-warning/thresholds/{threshold}/ (participant)",
    ),
    Route(
        "post",
        "/early-warning/thresholds/{threshold}/",
        "coordinator",
        302,
        data=THRESHOLD_FORM,
        outsiders=("wrong_role", "admin"),
    ),
    Route(
        "post",
        "/early-warning/thresholds/{threshold}/",
        "coordinator",
        302,
        data=THRESHOLD_FORM,
        outsiders=("other_org", "novisad", "analyst"),
        name="POST /early-warning/thresholds/{threshold}/ (participant)",
    ),
    # --- API ---------------------------------------------------------------------------------
    Route("get", "/api/v1/early-warning/groups/", "novisad", kind=OPEN, outsiders=READ),
    Route("get", "/api/v1/early-warning/indicators/?group=workers_abroad", "novisad", kind=OPEN, outsiders=READ),
    Route("get", "/api/v1/early-warning/observations/", "novisad", kind=LIST, outsiders=READ),
    # Recording for police Novi Sad is refused on the field that names it (a 400, nothing stored).
    Route(
        "post",
        "/api/v1/early-warning/observations/",
        "novisad",
        201,
        kind=AREA,
        data=NEW_OBSERVATION,
        outsiders=(*READ, "analyst"),
        refused=400,
    ),
    Route("get", "/api/v1/early-warning/observations/{obs}/", "novisad", outsiders=READ),
    Route("get", "/api/v1/early-warning/matrix/", "novisad", kind=LIST, outsiders=READ, refused=AREA_LIST),
    Route("get", "/api/v1/early-warning/alerts/", "novisad", kind=LIST, outsiders=READ),
    Route("get", "/api/v1/early-warning/alerts/{alert}/", "novisad", outsiders=READ),
    Route(
        "post",
        "/api/v1/early-warning/alerts/{alert}/acknowledge/",
        "novisad",
        data={"note": "On it"},
        outsiders=(*READ, "analyst"),
    ),
    Route(
        "post", "/api/v1/early-warning/alerts/{alert}/close/", "coordinator", data={"note": "Handled"}, outsiders=MANAGE
    ),
    # Thresholds are settings every participant reads (another organisation too); others get none.
    Route("get", "/api/v1/early-warning/thresholds/", "coordinator", kind=LIST, outsiders=READ),
    Route(
        "get",
        "/api/v1/early-warning/thresholds/{threshold}/",
        "coordinator",
        outsiders=READ,
        refused={"other_org": 200},
    ),
    Route(
        "post",
        "/api/v1/early-warning/thresholds/",
        "coordinator",
        201,
        data={"min_score": 10, "min_observations": 2, "group": "asylum_seekers"},
        outsiders=MANAGE,
    ),
    # Changing one: a participant's attempt is an audited denial (the service); without an
    # early-warning role the threshold does not exist for them (an audited 404 of the selector).
    Route(
        "put",
        "/api/v1/early-warning/thresholds/{threshold}/",
        "coordinator",
        data={"min_score": 20, "min_observations": 2, "window_days": 60},
        outsiders=("other_org", "novisad", "analyst"),
    ),
    Route(
        "put",
        "/api/v1/early-warning/thresholds/{threshold}/",
        "coordinator",
        data={"min_score": 20, "min_observations": 2, "window_days": 60},
        outsiders=("wrong_role", "admin"),
        name="PUT /api/v1/early-warning/thresholds/{threshold}/ (no early-warning role)",
    ),
    Route(
        "patch",
        "/api/v1/early-warning/thresholds/{threshold}/",
        "coordinator",
        data={"min_score": 20},
        outsiders=("other_org", "novisad", "analyst"),
    ),
    Route(
        "patch",
        "/api/v1/early-warning/thresholds/{threshold}/",
        "coordinator",
        data={"min_score": 20},
        outsiders=("wrong_role", "admin"),
        name="PATCH /api/v1/early-warning/thresholds/{threshold}/ (no early-warning role)",
    ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)


def test_the_right_role_receives_the_secrets(scene):
    """The secrets are in what the right personas receive: the outsiders' checks above can fail."""
    by_id = {r.id: r for r in ROUTES}
    for route_id, who, secret in [
        ("GET /early-warning/observations/{obs}/", "novisad", NOTE),
        ("GET /api/v1/early-warning/observations/{obs}/", "novisad", NOTE),
    ]:
        assert secret.encode() in matrix.request(scene, by_id[route_id], scene.users[who]).content, route_id
    closed = f"/api/v1/early-warning/alerts/{scene.ids['closed'].pk}/"
    from nrm.cases.tests.helpers import api

    assert CLOSE_NOTE.encode() in api(scene.users["novisad"]).get(closed).content
