"""Services: every rule, bad input naming the field and storing nothing, audit rows, the alert cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import org
from nrm.core.errors import Conflict, NotFound
from nrm.earlywarning import selectors, services
from nrm.earlywarning.choices import AlertStatus, EventKind
from nrm.earlywarning.models import Alert, AlertEvent, AlertThreshold, Observation, VulnerableGroup
from nrm.earlywarning.tests.conftest import NOTE, REGION, days_ago, observe, today


def snapshot() -> tuple:
    return (
        Observation.objects.count(),
        Alert.objects.count(),
        AlertEvent.objects.count(),
        list(AlertThreshold.objects.values_list("pk", "min_score", "is_active")),
    )


# --- Observations ----------------------------------------------------------------------------


def test_an_observation_is_stored_encrypted_with_the_indicator_impact_and_audited(people):
    obs = observe(people["novisad"], persons_concerned=7, note=NOTE)
    obs.refresh_from_db()
    assert (obs.group.code, obs.impact, obs.observed_on, obs.note) == ("migrants_in_transit", 5, today(), NOTE)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM earlywarning_observation WHERE id = %s", [obs.pk])
        assert "Quorbatek" not in cursor.fetchone()[0]
    entry = AuditEntry.objects.get(action="earlywarning.observe")
    assert (entry.actor, entry.object_id, entry.organisation_id) == ("novisad", str(obs.pk), org("pu-ns").pk)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"observed_on": dt.date.today() + dt.timedelta(days=2)}, "observed_on"),
        ({"likelihood": 0}, "likelihood"),
        ({"likelihood": 6}, "likelihood"),
        ({"likelihood": "3"}, "likelihood"),
        ({"impact": 9}, "impact"),
        ({"impact": 0}, "impact"),
        ({"region": "Atlantis"}, "region"),
        ({"region": ""}, "region"),
        ({"indicator": "no_such_indicator"}, "indicator"),
        ({"persons_concerned": -1}, "persons_concerned"),
        ({"org_code": "pu-bg"}, "organisation"),
    ],
)
def test_bad_observation_input_names_the_field_and_stores_nothing(people, threshold, kwargs, field):
    before, audits = snapshot(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        observe(people["novisad"], **kwargs)
    assert field in exc.value.message_dict
    assert snapshot() == before and AuditEntry.objects.count() == audits


@pytest.mark.parametrize("who", ["analyst", "ns_reporter", "admin"])
def test_roles_that_do_not_observe_cannot_record(people, who):
    user = people[who]
    code = "pu-ns" if who == "ns_reporter" else "coordinator"
    with pytest.raises(ValidationError) as exc:
        observe(user, org_code=code)
    assert "organisation" in exc.value.message_dict
    assert not Observation.objects.exists()


def test_the_coordinator_office_may_observe_for_itself(people):
    obs = observe(people["coordinator"], org_code="coordinator", region="Belgrade")
    assert obs.organisation.code == "coordinator"


# --- Threshold crossing, escalation, steps ----------------------------------------------------


def test_crossing_a_threshold_raises_exactly_one_alert_to_the_right_organisations(
    people, threshold, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        observe(people["novisad"], likelihood=3)  # score 3 x 5 = 15, but one observation only
        observe(people["csrns"], org_code="csr-ns", likelihood=3)
    assert not Alert.objects.exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        observe(people["novisad"], likelihood=3)
    alert = Alert.objects.get()
    assert (alert.group.code, alert.region, alert.status) == ("migrants_in_transit", REGION, AlertStatus.OPEN)
    assert (alert.likelihood, alert.impact, alert.score, alert.observations, alert.threshold) == (
        3,
        5,
        15,
        3,
        threshold,
    )
    # Coordinator's office + the observers + the group's concerned types (police, asylum, international)
    # in the region: police of Novi Sad and Subotica; no asylum or international body in Vojvodina.
    assert set(alert.recipients.values_list("code", flat=True)) == {"coordinator", "pu-ns", "csr-ns", "pu-su"}
    assert list(alert.events.values_list("kind", "score", "actor")) == [(EventKind.RAISED, 15, None)]
    assert AuditEntry.objects.filter(action="earlywarning.alert_raise", object_id=str(alert.pk)).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    # Coordinators and case/frontline staff of the recipients; not the analyst, admin or reporter.
    assert set(message.bcc) == {"coordinator@example.org", "novisad@example.org", "csrns@example.org"}
    assert "Quorbatek" not in message.body and REGION in message.subject
    # A fourth observation at the same score raises nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        observe(people["novisad"], likelihood=3)
    assert Alert.objects.count() == 1 and AlertEvent.objects.count() == 1 and len(mail.outbox) == 1


def test_an_open_alert_whose_score_rises_is_escalated(people, threshold, django_capture_on_commit_callbacks):
    for _ in range(3):
        observe(people["novisad"], likelihood=3)
    alert = Alert.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        observe(people["novisad"], likelihood=5, indicator="migrants_documents_taken")  # mean 14/4 -> 4
    alert.refresh_from_db()
    assert (alert.likelihood, alert.score, alert.observations) == (4, 20, 4)
    assert list(alert.events.values_list("kind", "score")) == [("raised", 15), ("escalated", 20)]
    assert "rising" in mail.outbox[0].subject
    assert Alert.objects.count() == 1


def test_acknowledge_close_and_a_new_alert_after_closing(people, threshold):
    observe(people["csrns"], org_code="csr-ns", likelihood=3)
    for _ in range(2):
        observe(people["novisad"], likelihood=3)
    alert = Alert.objects.get()
    # A recipient's staff may acknowledge; the analyst and an outsider may not.
    with pytest.raises(NotFound):
        services.alert_acknowledge(actor=fresh(people["analyst"]), alert=alert)
    with pytest.raises(NotFound):
        services.alert_acknowledge(actor=fresh(people["ngo"]), alert=alert)
    services.alert_acknowledge(actor=fresh(people["csrns"]), alert=alert, note="Outreach team informed")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(Conflict):
        services.alert_acknowledge(actor=fresh(people["coordinator"]), alert=alert)
    # Only the Coordinator's office closes, and with a note.
    with pytest.raises(NotFound):
        services.alert_close(actor=fresh(people["csrns"]), alert=alert, note="done")
    with pytest.raises(ValidationError) as exc:
        services.alert_close(actor=fresh(people["coordinator"]), alert=alert, note=" ")
    assert "note" in exc.value.message_dict
    services.alert_close(actor=fresh(people["coordinator"]), alert=alert, note="Police operation done")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    # The note is read from each event (values_list gives the stored ciphertext: it is bound to its row).
    events = [
        (e.kind, e.actor and e.actor.username, e.organisation and e.organisation.code, e.note)
        for e in alert.events.select_related("actor", "organisation")
    ]
    assert events == [
        ("raised", None, None, ""),
        ("acknowledged", "csrns", "csr-ns", "Outreach team informed"),
        ("closed", "coordinator", "coordinator", "Police operation done"),
    ]
    assert {"earlywarning.alert_acknowledged", "earlywarning.alert_closed"} <= set(
        AuditEntry.objects.filter(outcome="allowed").values_list("action", flat=True)
    )
    assert AuditEntry.objects.filter(action="earlywarning.alert_acknowledged", outcome="denied").count() == 2
    # The cell still crosses: the next observation raises a new alert.
    observe(people["novisad"], likelihood=3)
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1 and Alert.objects.count() == 2
    # Reopening the closed one is refused while the cell has an open alert.
    with pytest.raises(Conflict):
        services.alert_reopen(actor=fresh(people["coordinator"]), alert=alert, note="again")


def test_reopen_a_closed_alert(people, threshold):
    for _ in range(3):
        observe(people["novisad"], likelihood=3)
    alert = Alert.objects.get()
    services.alert_close(actor=fresh(people["coordinator"]), alert=alert, note="False alarm")
    with pytest.raises(NotFound):
        services.alert_reopen(actor=fresh(people["analyst"]), alert=alert, note="x")
    services.alert_reopen(actor=fresh(people["coordinator"]), alert=alert, note="New information")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.events.last().kind == EventKind.REOPENED


def test_inactive_or_narrower_thresholds_do_not_raise(people):
    AlertThreshold.objects.create(min_score=12, min_observations=3, window_days=90, is_active=False)
    AlertThreshold.objects.create(min_score=1, min_observations=1, region="Belgrade")
    AlertThreshold.objects.create(
        min_score=1,
        min_observations=1,
        group=VulnerableGroup.objects.get(code="workers_abroad"),
    )
    for _ in range(3):
        observe(people["novisad"], likelihood=3)
    assert not Alert.objects.exists()


def test_old_observations_outside_the_window_do_not_count(people, threshold):
    observe(people["novisad"], likelihood=3, observed_on=days_ago(90))  # just outside 90 days
    observe(people["novisad"], likelihood=3, observed_on=days_ago(89))  # the first day inside
    observe(people["novisad"], likelihood=3)
    assert not Alert.objects.exists()
    observe(people["novisad"], likelihood=3, observed_on=days_ago(30))
    assert Alert.objects.get().observations == 3


# --- Thresholds --------------------------------------------------------------------------------


def test_only_the_coordinator_office_sets_thresholds(people):
    for who in ("analyst", "novisad", "admin"):
        with pytest.raises(NotFound):
            services.threshold_set(actor=fresh(people[who]), min_score=10)
    assert not AlertThreshold.objects.exists()
    assert AuditEntry.objects.filter(action="earlywarning.threshold", outcome="denied").count() == 3
    t = services.threshold_set(
        actor=fresh(people["coordinator"]), min_score=10, min_observations=2, group="asylum_seekers", region="Belgrade"
    )
    assert (t.group.code, t.region, t.window_days, t.set_by.username) == (
        "asylum_seekers",
        "Belgrade",
        90,
        "coordinator",
    )
    services.threshold_set(actor=fresh(people["coordinator"]), threshold=t, min_score=16, is_active=False)
    t.refresh_from_db()
    assert (t.min_score, t.is_active, t.group) == (16, False, None)
    actions = list(
        AuditEntry.objects.filter(object_type="warning_threshold", outcome="allowed").values_list("action", flat=True)
    )
    assert actions == ["earlywarning.threshold_create", "earlywarning.threshold_update"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_score": 0}, "min_score"),
        ({"min_score": 26}, "min_score"),
        ({"min_score": 12, "min_observations": 0}, "min_observations"),
        ({"min_score": 12, "window_days": 0}, "window_days"),
        ({"min_score": 12, "window_days": 10000}, "window_days"),
        ({"min_score": 12, "group": "nobody"}, "group"),
        ({"min_score": 12, "region": "Atlantis"}, "region"),
    ],
)
def test_bad_threshold_input_names_the_field_and_stores_nothing(people, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.threshold_set(actor=fresh(people["coordinator"]), **kwargs)
    assert field in exc.value.message_dict
    assert not AlertThreshold.objects.exists()


# --- Re-evaluation command ------------------------------------------------------------------------


def test_the_evaluate_command_raises_what_windows_reveal(people, capsys):
    # Recorded before any threshold exists: nothing raised.
    for day in (10, 20, 30):
        observe(people["novisad"], likelihood=4, observed_on=days_ago(day))
    assert not Alert.objects.exists()
    AlertThreshold.objects.create(min_score=12, min_observations=3, window_days=90)
    # As of 200 days ago the window is empty; as of today it holds the three observations.
    call_command("earlywarning", "evaluate", "--as-of", days_ago(200).isoformat())
    assert not Alert.objects.exists()
    call_command("earlywarning", "evaluate")
    out = capsys.readouterr().out
    alert = Alert.objects.get()
    assert f"raised: alert {alert.pk} migrants_in_transit / {REGION} score 20" in out
    assert "1 raised, 0 escalated" in out
    call_command("earlywarning", "evaluate")
    assert "0 raised, 0 escalated" in capsys.readouterr().out
    assert Alert.objects.count() == 1


# --- Reads -------------------------------------------------------------------------------------------


def test_observations_belong_to_their_organisation(people):
    mine = observe(people["novisad"], note=NOTE)
    other = observe(people["asylum"], org_code="asylum-office", region="Belgrade", indicator="asylum_leaving_centres")
    assert list(selectors.observation_list(fresh(people["novisad"]))) == [mine]
    assert set(selectors.observation_list(fresh(people["analyst"]))) == {mine, other}
    assert not selectors.observation_list(fresh(people["ngo"])).exists()
    with pytest.raises(NotFound):
        selectors.observation_get(fresh(people["novisad"]), other.pk)
    assert AuditEntry.objects.filter(action="earlywarning.observation_view", outcome="denied").count() == 1
    assert selectors.observation_get(fresh(people["novisad"]), mine.pk).note == NOTE


def test_the_daily_reminders_remind_the_recipients_of_an_alert_not_yet_acknowledged(people, threshold):
    """Early warning's reminders come through ``nrm.tasks.reminders`` (registered from its ready())."""
    from nrm.tasks.choices import NotificationKind, ReminderTopic
    from nrm.tasks.models import Notification
    from nrm.tasks.reminders import reminders_send

    for _ in range(3):
        observe(people["novisad"], likelihood=3)
    alert = Alert.objects.get()
    counts = reminders_send(on=today())
    assert counts.get(ReminderTopic.ALERT_OPEN, 0) >= 1
    reminded = Notification.objects.filter(kind=NotificationKind.REMINDER, topic=ReminderTopic.ALERT_OPEN)
    assert set(reminded.values_list("object_id", flat=True)) == {alert.pk}
    assert reminded.filter(recipient=people["novisad"]).exists()
    services.alert_acknowledge(actor=fresh(people["novisad"]), alert=alert)
    assert ReminderTopic.ALERT_OPEN not in reminders_send(on=today() + dt.timedelta(days=1))
