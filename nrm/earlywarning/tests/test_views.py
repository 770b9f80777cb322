"""The early-warning pages beyond the access matrix: the other users allowed, forms naming the field, the grid, the CSV.

Anonymous users, another organisation and the wrong role are in the shared access matrix (``test_access_matrix.py``).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation
from nrm.earlywarning.tests.conftest import NOTE, REGION, observe, today

USERS = ["novisad", "police", "analyst", "coordinator", "ns_reporter", "admin"]
FULL = {"novisad": 200, "police": 200, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404}


@pytest.fixture
def scene(people, threshold):
    for _ in range(3):
        obs = observe(people["novisad"], likelihood=4, note=NOTE)
    return {"obs": obs, "alert": Alert.objects.get(), "threshold": threshold}


def state() -> tuple:
    return (
        sorted(Observation.objects.values_list("pk", flat=True)),
        sorted(Alert.objects.values_list("pk", "status")),
        AlertEvent.objects.count(),
        sorted(AlertThreshold.objects.values_list("pk", "min_score", "is_active")),
    )


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def new_observation(**extra) -> dict:
    return {
        "observed_on": today().isoformat(),
        "indicator": "agencies_not_registered",
        "region": REGION,
        "likelihood": "2",
        "impact": "",
        "persons_concerned": "",
        "note": "",
        **extra,
    }


# page -> (method, path, body, {user: status})
PAGES = {
    "matrix": ("get", "/early-warning/", None, FULL),
    "matrix-group": ("get", "/early-warning/?group=migrants_in_transit&window_days=30", None, FULL),
    "observations": ("get", "/early-warning/observations/?group=migrants_in_transit&year=2026", None, FULL),
    "observations-csv": ("get", "/early-warning/observations/export.csv", None, FULL),
    "observation": (
        "get",
        "/early-warning/observations/{obs}/",
        None,
        {"novisad": 200, "police": 404, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "observation-new": (
        "get",
        "/early-warning/observations/new/",
        None,
        {"novisad": 200, "police": 200, "analyst": 404, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "observation-post": (
        "post",
        "/early-warning/observations/new/",
        "new",
        {"novisad": 302, "police": 302, "analyst": 404, "coordinator": 302, "ns_reporter": 404, "admin": 404},
    ),
    "alerts": ("get", "/early-warning/alerts/", None, FULL),
    "alert": (
        "get",
        "/early-warning/alerts/{alert}/",
        None,
        {"novisad": 200, "police": 404, "analyst": 200, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
    "alert-acknowledge": (
        "post",
        "/early-warning/alerts/{alert}/acknowledge/",
        {"note": "Seen"},
        {"novisad": 302, "police": 404, "analyst": 404, "coordinator": 302, "ns_reporter": 404, "admin": 404},
    ),
    "alert-close": (
        "post",
        "/early-warning/alerts/{alert}/close/",
        {"note": "Handled"},
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 302, "ns_reporter": 404, "admin": 404},
    ),
    "thresholds": ("get", "/early-warning/thresholds/", None, FULL),
    "thresholds-post": (
        "post",
        "/early-warning/thresholds/",
        {"group": "", "region": "", "min_score": "9", "min_observations": "2", "window_days": "60", "is_active": "on"},
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 302, "ns_reporter": 404, "admin": 404},
    ),
    "threshold-edit": (
        "get",
        "/early-warning/thresholds/{threshold}/",
        None,
        {"novisad": 404, "police": 404, "analyst": 404, "coordinator": 200, "ns_reporter": 404, "admin": 404},
    ),
}


def visit(name: str, scene: dict, user, people):
    method, path, body, _expected = PAGES[name]
    url = path.format(obs=scene["obs"].pk, alert=scene["alert"].pk, threshold=scene["threshold"].pk)
    client = as_user(user)
    if method == "get":
        return client.get(url)
    if body == "new":
        from nrm.accounts.access import WarningAction, warning_organisations

        mine = warning_organisations(fresh(user), WarningAction.OBSERVE) if user else []
        body = new_observation(organisation=mine[0] if mine else scene["obs"].organisation_id)
    return client.post(url, body)


HARNESS_NAMES = {"other_org": "police", "wrong_role": "ns_reporter"}


def in_the_matrix(name: str) -> set[str]:
    """Return the personas the shared access matrix already tries on page ``name``."""
    from nrm.earlywarning.tests.test_access_matrix import ROUTES

    method, path, _body, _expected = PAGES[name]
    return {
        HARNESS_NAMES.get(p, p) for r in ROUTES if (r.method, r.path) == (method, path) for p in (r.right, *r.outsiders)
    }


# The (page, persona) pairs the access matrix does not try: the other personas allowed, the
# filtered pages; the matrix's other organisation posts for police Novi Sad, here for its own.
OTHERS = [(name, who) for name in PAGES for who in USERS if who not in in_the_matrix(name)] + [
    ("observation-post", "police")
]


@pytest.mark.parametrize(("name", "who"), OTHERS, ids=[f"{n}-{w}" for n, w in OTHERS])
def test_the_others(people, scene, name, who):
    method = PAGES[name][0]
    user = fresh(people[who])
    before = state()
    response = visit(name, scene, user, people)
    assert response.status_code == PAGES[name][3][who]
    if method == "get" or response.status_code == 404:
        assert state() == before
    else:
        assert state() != before
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if name != "observation":
        assert b"Quorbatek" not in content


def test_the_matrix_page_places_regions_and_has_a_table(people, scene):
    response = as_user(fresh(people["coordinator"])).get("/early-warning/?group=migrants_in_transit")
    html = response.content.decode()
    assert "<caption>" in html and 'scope="row"' in html
    assert html.count('class="level-very_high"') == 3  # 20 and 25 twice (4x5, 5x4, 5x5)
    assert f"<li>{REGION}</li>" in html
    assert "Very high" in html and "earlywarning.css" in html


def test_the_observation_form_names_the_field_and_stores_nothing(people, scene):
    before = state()
    client = as_user(fresh(people["novisad"]))
    response = client.post(
        "/early-warning/observations/new/",
        new_observation(organisation=scene["obs"].organisation_id, observed_on="2999-01-01"),
    )
    assert response.status_code == 200
    assert 'id="id_observed_on_error"' in response.content.decode()
    assert state() == before


def test_a_new_observation_that_raises_an_alert_says_so(people, threshold, django_capture_on_commit_callbacks):
    for _ in range(2):
        observe(people["novisad"], likelihood=4)
    client = as_user(fresh(people["novisad"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/early-warning/observations/new/",
            new_observation(
                organisation=fresh(people["novisad"]).memberships.get().organisation_id,
                indicator="migrants_held_in_houses",
                likelihood="4",
            ),
            follow=True,
        )
    assert "raised an early-warning alert" in response.content.decode()
    assert Alert.objects.count() == 1 and len(mail.outbox) == 1


def test_the_csv_export_is_filtered_without_notes_and_audited(people, scene):
    observe(people["novisad"], indicator="agencies_not_registered", likelihood=1)
    response = as_user(fresh(people["novisad"])).get("/early-warning/observations/export.csv?group=workers_abroad")
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,observed_on,organisation,group,indicator")
    assert len(lines) == 2 and "agencies_not_registered" in lines[1]
    assert AuditEntry.objects.filter(action="earlywarning.observation_export", actor="novisad").exists()


def test_alerts_close_needs_a_note_and_history_is_shown(people, scene):
    client = as_user(fresh(people["coordinator"]))
    response = client.post(f"/early-warning/alerts/{scene['alert'].pk}/close/", {"note": ""})
    assert response.status_code == 400 and 'id="id_note_error"' in response.content.decode()
    assert Alert.objects.get().status == "open"
    client.post(f"/early-warning/alerts/{scene['alert'].pk}/close/", {"note": "Handled by police"})
    page = client.get(f"/early-warning/alerts/{scene['alert'].pk}/").content.decode()
    assert "Handled by police" in page and "Closed" in page and "Reopen" in page


def test_nav_link_for_early_warning_readers_only(people, scene):
    assert "/early-warning/" in as_user(fresh(people["novisad"])).get("/early-warning/alerts/").content.decode()
    from django.template import Context, Template
    from django.test import RequestFactory

    for who, shown in [("analyst", True), ("police", True), ("ns_reporter", False), ("admin", False)]:
        request = RequestFactory().get("/")
        request.user = fresh(people[who])
        items = Template("{% load earlywarning_nav %}{% earlywarning_nav_items as i %}{{ i|length }}").render(
            Context({"request": request})
        )
        assert items == ("1" if shown else "0")
