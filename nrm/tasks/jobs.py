"""The scheduled jobs and the queue that runs them (django-q2 with its ORM broker).

The queue's broker is the database itself (SQLite or PostgreSQL), so nothing else has to run
beside NRM. ``nrm worker`` runs the cluster; ``nrm serve --worker`` runs it beside the server
(the demo does). :func:`schedules_ensure` creates or updates the schedules by name, so running
it again (every worker start) changes nothing. Each job is a plain function the tests call
through the queue with ``sync`` on: no sleeping.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

# name -> (function, schedule type, minutes between runs for a "minutes" schedule)
DAILY, MINUTES = "D", "I"
SCHEDULES: dict[str, tuple[str, str, int | None]] = {
    "nrm reminders": ("nrm.tasks.jobs.reminders", DAILY, None),
    "nrm retention": ("nrm.tasks.jobs.retention", DAILY, None),
    "nrm audit seal": ("nrm.tasks.jobs.audit_seal", MINUTES, 10),
}


def register_schedule(name: str, func: str, schedule_type: str = DAILY, minutes: int | None = None) -> None:
    """Have the queue run ``func`` (its dotted path) on a schedule: the apps above tasks register their jobs."""
    SCHEDULES[name] = (func, schedule_type, minutes)


# Daily jobs run early in the morning, local time, before the day's work starts.
DAILY_AT = dt.time(5, 30)


def reminders() -> str:
    from nrm.tasks.reminders import reminders_send

    counts = reminders_send()
    return f"reminders: {sum(counts.values())} written"


def retention() -> str:
    from nrm.cases.retention import retention_apply

    return f"retention: {len(retention_apply())} cases erased"


def audit_seal() -> str:
    from nrm.audit.services import audit_seal as seal

    return f"audit: {seal()} entries sealed"


def _first_run(schedule_type: str, now: dt.datetime) -> dt.datetime:
    if schedule_type != DAILY:
        return now
    local = timezone.localtime(now)
    at = local.replace(hour=DAILY_AT.hour, minute=DAILY_AT.minute, second=0, microsecond=0)
    return at if at > local else at + dt.timedelta(days=1)


def schedules_ensure() -> list[str]:
    """Create the missing schedules and correct changed ones, by name; return the names created."""
    from django_q.models import Schedule

    now, created = timezone.now(), []
    for name, (func, schedule_type, minutes) in SCHEDULES.items():
        schedule = Schedule.objects.filter(name=name).first()
        if schedule is None:
            Schedule.objects.create(
                name=name,
                func=func,
                schedule_type=schedule_type,
                minutes=minutes,
                repeats=-1,
                next_run=_first_run(schedule_type, now),
            )
            created.append(name)
        elif (schedule.func, schedule.schedule_type, schedule.minutes) != (func, schedule_type, minutes):
            schedule.func, schedule.schedule_type, schedule.minutes = func, schedule_type, minutes
            schedule.save(update_fields=["func", "schedule_type", "minutes"])
    return created


def run_due_now() -> None:
    """Queue every schedule whose time has come (the cluster's scheduler does this every 30 s)."""
    from django_q.scheduler import scheduler

    scheduler()


def start_cluster():
    """Start the queue's cluster in worker processes and return it (``stop()`` ends it)."""
    from django.db import connections
    from django_q.cluster import Cluster

    schedules_ensure()
    # The workers are forked: each opens its own connection.
    connections.close_all()
    cluster = Cluster()
    cluster.start()
    return cluster
