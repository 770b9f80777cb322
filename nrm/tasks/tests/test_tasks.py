"""Tasks, notifications, reminders and the job queue: behaviour through the services and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose, Decision
from nrm.cases.tests.helpers import IDENTITY, api, move, open_case, org, refer, share
from nrm.core.errors import Conflict, NotFound
from nrm.referrals.choices import ReferralStatus
from nrm.referrals.models import ServiceType
from nrm.tasks import jobs, reminders, selectors, services
from nrm.tasks.choices import NotificationKind, TaskKind, TaskStatus
from nrm.tasks.models import Notification, Task

TODAY = dt.date.today


@pytest.fixture
def case(world):
    return open_case(world["socialwork"], "csr-bg", opened_on=dt.date(2024, 4, 2))


def _sent(world, case, code="ngo-sigurna"):
    share(world["socialwork"], case, code)
    return refer(world["socialwork"], case, code, sent_on=TODAY())


# --- Tasks made by the services ----------------------------------------------------------------


def test_a_referral_sent_gives_its_receiver_an_answer_task_closed_by_the_answer(world, case):
    referral = _sent(world, case)
    task = Task.objects.get(referral=referral)
    assert (task.kind, task.organisation_id, task.due_on, task.status) == (
        TaskKind.REFERRAL_ANSWER,
        org("ngo-sigurna").pk,
        referral.due_on,
        TaskStatus.OPEN,
    )
    # The receiver sees it before accepting (it sees the referral); another NGO does not.
    assert task in selectors.my_tasks(fresh(world["ngo"]))
    assert not selectors.task_list(fresh(world["ngo2"])).exists()
    move(world["ngo"], referral, ReferralStatus.ACCEPTED)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    # The sender's case staff hear of the answer: reference and kind only.
    note = Notification.objects.get(recipient=world["socialwork"].pk, kind=NotificationKind.REFERRAL_ACCEPTED)
    assert note.reference == case.reference and note.object_id == referral.pk
    assert not any(v in str(note.__dict__) for v in IDENTITY.values())


def test_a_planned_service_gives_its_deliverer_a_task_closed_when_it_starts(world, case):
    service = case_services.service_record(
        actor=fresh(world["socialwork"]),
        case=case,
        service_type=ServiceType.objects.get(code="accommodation"),
        organisation=org("csr-bg"),
    )
    task = Task.objects.get(service=service)
    assert task.kind == TaskKind.SERVICE_DUE and task.due_on > TODAY()
    service.refresh_from_db()
    case_services.service_update(
        actor=fresh(world["socialwork"]),
        delivery=service,
        expected_version=service.version,
        status="in_progress",
        started_on=TODAY(),
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_closing_the_case_cancels_its_open_tasks(world, case):
    _sent(world, case)
    case.refresh_from_db()
    case_services.case_close(actor=fresh(world["socialwork"]), case=case, reason="other", expected_version=case.version)
    assert set(Task.objects.filter(case=case).values_list("status", flat=True)) == {TaskStatus.CANCELLED}


def test_retention_blanks_the_titles_of_the_cases_tasks(world, case):
    """A task's title can name the person: erased with the case's identity (registered with ``nrm.cases.retention``)."""
    from nrm.cases.retention import retention_apply

    _sent(world, case)
    services.task_create(
        actor=fresh(world["socialwork"]),
        case=case,
        kind=TaskKind.FOLLOW_UP,
        due_on=TODAY(),
        title="Call Ana Petrović's aunt",
        assigned_to=world["socialwork"],
    )
    assert "Call Ana Petrović's aunt" in [t.title for t in Task.objects.filter(case=case)]
    case.refresh_from_db()
    case_services.case_close(
        actor=fresh(world["socialwork"]),
        case=case,
        reason="other",
        expected_version=case.version,
        closed_on=dt.date(2024, 5, 1),
    )
    assert retention_apply(on=dt.date(2040, 1, 1)) == [case.reference]
    assert {t.title for t in Task.objects.filter(case=case)} == {""}


def test_decision_and_withdrawal_notify_the_case_staff(world, case):
    share(world["socialwork"], case, "centre")
    move(world["centre"], refer(world["socialwork"], case, "centre"), ReferralStatus.ACCEPTED)
    case.refresh_from_db()
    case_services.identification_decide(
        actor=fresh(world["centre"]), case=case, decision=Decision.IDENTIFIED, grounds="Indicators confirmed."
    )
    assert Notification.objects.filter(recipient=world["socialwork"], kind=NotificationKind.DECISION_MADE).exists()
    consent = case.consents.get(purpose=ConsentPurpose.SHARE, organisation=org("centre"))
    case_services.consent_withdraw(actor=fresh(world["socialwork"]), consent=consent)
    # The Centre's referral was suspended: its staff are told; the actor is not told of their own act.
    assert Notification.objects.filter(recipient=world["centre"], kind=NotificationKind.CONSENT_WITHDRAWN).exists()
    assert not Notification.objects.filter(
        recipient=world["socialwork"], kind=NotificationKind.CONSENT_WITHDRAWN
    ).exists()


# --- Tasks by hand -------------------------------------------------------------------------------


def test_a_task_by_hand_is_seen_only_by_those_who_see_the_case(world, case):
    task = services.task_create(
        actor=fresh(world["socialwork"]),
        case=case,
        kind=TaskKind.FOLLOW_UP,
        due_on=TODAY() - dt.timedelta(days=2),
        title="Call Zorkana's lawyer",
        assigned_to=world["socialwork"],
    )
    assert AuditEntry.objects.filter(action="task.create", object_id=str(case.pk)).exists()
    assert list(selectors.my_tasks(fresh(world["socialwork"]))) == [task]
    for outsider in ("ngo", "police", "analyst", "coordinator"):
        assert not selectors.task_list(fresh(world[outsider])).filter(pk=task.pk).exists()
    with pytest.raises(NotFound):
        services.task_close(actor=fresh(world["ngo"]), task=task, expected_version=task.version)
    services.task_close(actor=fresh(world["socialwork"]), task=task, expected_version=task.version)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_overdue_tasks_come_first(world, case):
    actor = fresh(world["socialwork"])
    later = services.task_create(actor=actor, case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY() + dt.timedelta(3))
    late = services.task_create(actor=actor, case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY() - dt.timedelta(9))
    soon = services.task_create(actor=actor, case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY())
    body = api(world["socialwork"]).get("/api/v1/tasks/").json()
    ids = [t["id"] for t in body["results"]]
    assert ids == [late.pk, soon.pk, later.pk]
    assert body["results"][0]["overdue"] is True and body["results"][1]["overdue"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "referral_answer", "due_on": "2030-01-01"}, "kind"),
        ({"kind": "follow_up", "due_on": "tomorrow"}, "due_on"),
        ({"kind": "follow_up", "due_on": "2099-01-01"}, "due_on"),
        ({"kind": "other", "due_on": "{today}"}, "title"),
        ({"kind": "follow_up", "due_on": "{today}", "assigned_to": "ngo"}, "assigned_to"),
        ({"kind": "follow_up", "due_on": "{today}", "organisation": 999999}, "organisation"),
        ({"kind": "follow_up", "due_on": "{today}", "title": "x" * 501}, "title"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, case, body, field):
    body = {k: (v.format(today=TODAY().isoformat()) if isinstance(v, str) else v) for k, v in body.items()}
    response = api(world["socialwork"]).post("/api/v1/tasks/", {"case": case.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert not Task.objects.filter(created_by=world["socialwork"]).exists()


def test_bad_list_parameters_are_refused(world):
    client = api(world["socialwork"])
    assert client.get("/api/v1/tasks/?status=late").status_code == 400
    assert client.get("/api/v1/tasks/?case=abc").status_code == 400
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_closing_a_closed_task_is_a_conflict(world, case):
    task = services.task_create(actor=fresh(world["socialwork"]), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY())
    client = api(world["socialwork"])
    assert client.post(f"/api/v1/tasks/{task.pk}/close/", {"version": task.version}, format="json").status_code == 200
    again = client.post(f"/api/v1/tasks/{task.pk}/close/", {"version": task.version + 1}, format="json")
    assert again.status_code == 409
    assert client.post(f"/api/v1/tasks/{task.pk}/close/", {}, format="json").status_code == 400


# --- Reassigning a task ----------------------------------------------------------------------


@pytest.fixture
def colleague(world):
    from nrm.accounts.choices import Role
    from nrm.cases.tests.helpers import member

    return member("colleague-csr", "csr-bg", Role.CASEWORKER)


def test_a_task_is_reassigned_to_a_colleague_who_is_told_and_it_is_audited(world, case, colleague):
    owner = world["socialwork"]
    task = services.task_create(actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY(), title="Visit")
    response = api(owner).post(
        f"/api/v1/tasks/{task.pk}/assign/", {"assigned_to": "colleague-csr", "version": task.version}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == "colleague-csr" and response.json()["version"] == task.version + 1
    assert task in selectors.my_tasks(fresh(colleague))
    entry = AuditEntry.objects.get(action="task.assign")
    assert (entry.object_id, entry.detail) == (str(case.pk), {"task": task.pk, "from": None, "to": colleague.pk})
    told = Notification.objects.get(recipient=colleague)
    assert (told.kind, told.object_id, told.reference) == (NotificationKind.TASK_ASSIGNED, task.pk, case.reference)


def test_a_task_is_reassigned_on_its_page(client, world, case, colleague):
    owner = world["socialwork"]
    task = services.task_create(actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY())
    client.force_login(owner)
    assert "data-task-assign" in client.get(f"/tasks/{task.pk}/").content.decode()
    page = client.get(f"/tasks/{task.pk}/assign/").content.decode()
    assert "colleague-csr" in page and "ngo" not in page.split("<form", 1)[1].split("</form>", 1)[0]
    response = client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": colleague.pk, "version": task.version})
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    assert Task.objects.get(pk=task.pk).assigned_to == colleague
    # The version read is now stale: a second reassignment from the old form is a conflict, kept on the form.
    stale = client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": owner.pk, "version": task.version})
    assert stale.status_code == 409
    assert Task.objects.get(pk=task.pk).assigned_to == colleague


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("ngo", "Choose a case worker of the organisation the task is for."),  # another organisation's
        ("nobody-such", "Choose a case worker of the organisation the task is for."),
        ("socialwork", "The task is already assigned to this person."),
        ("", "This field may not be blank."),
    ],
)
def test_a_bad_assignee_is_refused_naming_the_field_and_nothing_changes(world, case, who, message):
    owner = world["socialwork"]
    task = services.task_create(
        actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY(), assigned_to=owner
    )
    response = api(owner).post(
        f"/api/v1/tasks/{task.pk}/assign/", {"assigned_to": who, "version": task.version}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["assigned_to"] == [message]
    assert Task.objects.get(pk=task.pk).version == task.version
    assert not AuditEntry.objects.filter(action="task.assign").exists()


def test_a_bad_assignee_on_the_page_is_shown_on_the_field(client, world, case):
    owner = world["socialwork"]
    task = services.task_create(
        actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY(), assigned_to=owner
    )
    client.force_login(owner)
    response = client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": owner.pk, "version": task.version})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_assigned_to">Assign to</a>: The task is already assigned to this person.' in html
    assert Task.objects.get(pk=task.pk).version == task.version


def test_a_closed_task_is_not_reassigned_and_the_receiver_cannot_give_it_away(world, case, colleague):
    owner = world["socialwork"]
    task = services.task_create(actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=TODAY())
    _sent(world, case)
    move(world["ngo"], Task.objects.get(kind=TaskKind.REFERRAL_ANSWER).referral, ReferralStatus.ACCEPTED)
    with pytest.raises(NotFound):
        services.task_reassign(actor=fresh(world["ngo"]), task=task, assigned_to=colleague, expected_version=1)
    assert AuditEntry.objects.filter(action="task.assign", outcome="denied").count() == 1
    task = services.task_close(actor=fresh(owner), task=task, expected_version=task.version)
    with pytest.raises(Conflict):
        services.task_reassign(actor=fresh(owner), task=task, assigned_to=colleague, expected_version=task.version)


# --- Notifications -----------------------------------------------------------------------------


def test_notifications_are_their_recipients_alone_and_marked_read(world, case):
    referral = _sent(world, case)
    move(world["ngo"], referral, ReferralStatus.ACCEPTED)
    note = Notification.objects.get(recipient=world["socialwork"])
    assert api(world["ngo"]).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404
    assert AuditEntry.objects.filter(action="notification.view", outcome="denied").exists()
    mine = api(world["socialwork"])
    listed = mine.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["id"] for n in listed] == [note.pk] and listed[0]["url"] == f"/referrals/{referral.pk}/"
    assert mine.post(f"/api/v1/notifications/{note.pk}/read/").json()["read"] is True
    assert mine.get("/api/v1/notifications/?unread=true").json()["results"] == []


def test_the_header_counts_unread_without_a_statement_of_its_own(client, world, case):
    referral = _sent(world, case)
    move(world["ngo"], referral, ReferralStatus.ACCEPTED)
    client.force_login(world["socialwork"])
    page = client.get("/").content.decode()
    assert "(1 unread)" in page
    client.post("/notifications/read-all/")
    assert "unread)" not in client.get("/").content.decode()


# --- Reminders and the job queue ---------------------------------------------------------------


def test_reminders_are_sent_once_per_due_item_per_day(world, case, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world["ngo"].email = "ngo@example.org"
    world["ngo"].save()
    referral = _sent(world, case)
    day = referral.due_on
    with django_capture_on_commit():
        counts = reminders.reminders_send(on=day)
    assert counts.get(TaskKind.REFERRAL_ANSWER) == 1
    note = Notification.objects.get(recipient=world["ngo"], kind=NotificationKind.REMINDER)
    assert note.reference == case.reference
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ngo@example.org"]
    assert case.reference in mail.outbox[0].body
    assert not any(v in mail.outbox[0].body for v in IDENTITY.values())
    with django_capture_on_commit():
        assert reminders.reminders_send(on=day) == {}
    assert len(mail.outbox) == 1
    # The next day it is reminded again, until it is answered.
    with django_capture_on_commit():
        reminders.reminders_send(on=day + dt.timedelta(days=1))
    assert Notification.objects.filter(recipient=world["ngo"], kind=NotificationKind.REMINDER).count() == 2


def django_capture_on_commit():
    """Run the on-commit callbacks of the block (the test's transaction never commits)."""
    from django.db import connection
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True)


def test_schedules_are_created_once(db):
    from django_q.models import Schedule

    assert set(jobs.schedules_ensure()) == set(jobs.SCHEDULES)
    assert jobs.schedules_ensure() == []
    assert Schedule.objects.filter(name__in=jobs.SCHEDULES).count() == len(jobs.SCHEDULES)


def test_the_scheduled_jobs_run_through_the_queue(world, case, monkeypatch, settings):
    """Every schedule due is run by django-q2's scheduler, synchronously (its ``sync`` option)."""
    from django_q.conf import Conf
    from django_q.models import Schedule, Success

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(Conf, "SYNC", True)
    _sent(world, case)
    Task.objects.update(due_on=TODAY())
    jobs.schedules_ensure()
    Schedule.objects.filter(name__in=jobs.SCHEDULES).update(next_run=timezone.now() - dt.timedelta(minutes=1))
    jobs.run_due_now()
    done = {s.name: s.next_run for s in Schedule.objects.filter(name__in=jobs.SCHEDULES)}
    assert all(next_run > timezone.now() for next_run in done.values()), done
    assert Notification.objects.filter(recipient=world["ngo"], kind=NotificationKind.REMINDER).exists()
    # Each job ran once, successfully, under its schedule's name.
    assert sorted(Success.objects.values_list("group", flat=True)) == sorted(jobs.SCHEDULES)
