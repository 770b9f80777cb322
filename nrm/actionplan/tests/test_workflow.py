"""The report workflow: draft, submit, return for correction, accept; evaluations, briefings, reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from nrm.accounts.models import Organisation
from nrm.actionplan import services
from nrm.actionplan.choices import BriefingKind, Progress, Rating, ReportKind, ReportStatus
from nrm.actionplan.models import Activity, Briefing, Evaluation, IndicatorValue, Reminder, Report, ReportTransition
from nrm.actionplan.selectors import evaluation_list
from nrm.audit.models import AuditEntry
from nrm.core.errors import Conflict, NotFound

from .conftest import at

MARCH_2018_DUE = dt.date(2018, 4, 10)


def _mup() -> Organisation:
    return Organisation.objects.get(code="mup")


def _draft(people, plan, *, month: int = 3, filled: bool = True) -> Report:
    report = services.report_create(
        actor=people["reporter"], plan=plan, institution=_mup(), year=2018, month=month, today=dt.date(2018, 4, 2)
    )
    if filled:
        report = services.report_save_draft(
            actor=people["reporter"],
            report=report,
            expected_version=report.version,
            entries=[{"activity": e.activity_id, "progress": Progress.IN_PROGRESS} for e in report.entries.all()],
        )
    return report


def _in_state(people, plan, state: str) -> Report:
    """Return MoI's March 2018 report brought into ``state`` through the services."""
    report = _draft(people, plan)
    if state == ReportStatus.DRAFT:
        return report
    report = services.report_submit(
        actor=people["reporter"], report=report, expected_version=report.version, at=at(dt.date(2018, 4, 9))
    )
    if state == ReportStatus.SUBMITTED:
        return report
    if state == ReportStatus.RETURNED:
        return services.report_return(
            actor=people["coordinator"], report=report, expected_version=report.version, reason="Add indicators."
        )
    return services.report_accept(actor=people["coordinator"], report=report, expected_version=report.version)


def test_create_opens_a_draft_with_one_entry_per_active_activity(people, plan):
    report = _draft(people, plan, filled=False)
    assert report.status == ReportStatus.DRAFT and report.due_on == MARCH_2018_DUE
    numbers = sorted(report.entries.values_list("activity__number", flat=True))
    # MoI is responsible for tasks of these activities, all running through March 2018.
    expected = sorted(
        Activity.objects.filter(
            plan=plan, tasks__roles__institution__organisation=_mup(), tasks__roles__role="responsible"
        )
        .distinct()
        .values_list("number", flat=True)
    )
    assert numbers == expected and numbers
    assert AuditEntry.objects.filter(action="actionplan.report.create", object_id=str(report.pk)).exists()


def test_save_draft_records_progress_money_and_indicator_values(people, plan):
    report = _draft(people, plan, filled=False)
    entry = report.entries.select_related("activity").first()
    indicator = entry.activity.indicators.first()
    report = services.report_save_draft(
        actor=people["reporter"],
        report=report,
        expected_version=report.version,
        summary="March work",
        entries=[
            {
                "activity": entry.activity,
                "progress": Progress.COMPLETED,
                "done": "Meeting held",
                "money_spent": "12500.50",
                "funding_source": "budget",
                "problems": "None",
                "indicators": {indicator.pk: "3"},
            }
        ],
    )
    entry.refresh_from_db()
    assert (entry.progress, entry.money_spent, entry.currency) == (Progress.COMPLETED, Decimal("12500.50"), "RSD")
    assert IndicatorValue.objects.get(entry=entry, indicator=indicator).value == "3"
    assert report.version == 2 and Report.objects.get(pk=report.pk).summary == "March work"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"progress": "nearly"}, "progress"),
        ({"money_spent": "-5"}, "money_spent"),
        ({"money_spent": "lots"}, "money_spent"),
        ({"currency": "DINAR"}, "currency"),
        ({"funding_source": "lottery"}, "funding_source"),
        ({"indicators": {999999: "1"}}, "indicators"),
    ],
)
def test_bad_entries_name_the_field_and_change_nothing(people, plan, item, field):
    report = _draft(people, plan, filled=False)
    entry = report.entries.select_related("activity").first()
    with pytest.raises(ValidationError) as err:
        services.report_save_draft(
            actor=people["reporter"],
            report=report,
            expected_version=report.version,
            entries=[{"activity": entry.activity_id, "done": "changed", **item}],
        )
    assert f"entries[{entry.activity.number}].{field}" in err.value.message_dict
    entry.refresh_from_db()
    assert entry.done == "" and Report.objects.get(pk=report.pk).version == 1


def test_an_activity_outside_the_report_is_refused(people, plan):
    report = _draft(people, plan, filled=False)
    other = Activity.objects.filter(plan=plan).exclude(pk__in=report.entries.values("activity")).first()
    with pytest.raises(ValidationError) as err:
        services.report_save_draft(
            actor=people["reporter"], report=report, expected_version=1, entries=[{"activity": other.pk}]
        )
    assert "entries[0].activity" in err.value.message_dict


def test_a_stale_version_is_refused(people, plan):
    report = _draft(people, plan)
    with pytest.raises(Conflict):
        services.report_save_draft(actor=people["reporter"], report=report, expected_version=1, summary="old")
    with pytest.raises(Conflict):
        services.report_submit(actor=people["reporter"], report=report, expected_version=1, at=at(dt.date(2018, 4, 9)))
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DRAFT


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("month", {"month": 13}),
        ("month", {"month": None}),
        ("year", {"year": 2019, "month": 1}),  # the plan ends in 2018
        ("month", {"year": 2018, "month": 3, "today": dt.date(2018, 2, 27)}),  # not started yet
        ("kind", {"kind": "weekly"}),
    ],
)
def test_create_refuses_bad_periods(people, plan, field, kwargs):
    args = {"year": 2018, "today": dt.date(2018, 4, 2), **kwargs}
    with pytest.raises(ValidationError) as err:
        services.report_create(actor=people["reporter"], plan=plan, institution=_mup(), **args)
    assert field in err.value.message_dict
    assert not Report.objects.exists()


def test_create_refuses_a_second_report_another_institution_and_an_idle_period(people, plan):
    _draft(people, plan)
    with pytest.raises(ValidationError) as err:
        _draft(people, plan)
    assert "month" in err.value.message_dict
    moj = Organisation.objects.get(code="min-justice")
    with pytest.raises(ValidationError) as err:
        services.report_create(actor=people["reporter"], plan=plan, institution=moj, year=2018, month=3)
    assert "institution" in err.value.message_dict
    for name in ("coordinator", "ngo"):
        with pytest.raises(ValidationError):
            services.report_create(actor=people[name], plan=plan, institution=_mup(), year=2018, month=3)
    # The Office for Cooperation with Civil Society answers only for activity 1.2, due by mid-2018.
    ocs = Organisation.objects.get(code="office-civil-society")
    assert services.report_create(actor=people["reporter_ocs"], plan=plan, institution=ocs, year=2018, month=6)
    with pytest.raises(ValidationError) as err:
        services.report_create(actor=people["reporter_ocs"], plan=plan, institution=ocs, year=2018, month=7)
    assert "institution" in err.value.message_dict
    assert Report.objects.count() == 2


def test_annual_report_is_due_after_statehood_day(people, plan):
    report = services.report_create(
        actor=people["reporter"], plan=plan, institution=_mup(), kind=ReportKind.ANNUAL, year=2017
    )
    assert report.month == 0 and report.due_on == dt.date(2018, 2, 19)


# --- Transitions -------------------------------------------------------------------------------

ALLOWED = {
    (ReportStatus.DRAFT, "submit"): ReportStatus.SUBMITTED,
    (ReportStatus.RETURNED, "submit"): ReportStatus.SUBMITTED,
    (ReportStatus.SUBMITTED, "return"): ReportStatus.RETURNED,
    (ReportStatus.SUBMITTED, "accept"): ReportStatus.ACCEPTED,
}


def _do(people, report: Report, step: str) -> Report:
    if step == "submit":
        return services.report_submit(
            actor=people["reporter"], report=report, expected_version=report.version, at=at(dt.date(2018, 4, 20))
        )
    if step == "return":
        return services.report_return(
            actor=people["coordinator"], report=report, expected_version=report.version, reason="Fix it."
        )
    return services.report_accept(actor=people["coordinator"], report=report, expected_version=report.version)


@pytest.mark.parametrize("state", list(ReportStatus.values))
@pytest.mark.parametrize("step", ["submit", "return", "accept"])
def test_every_transition_is_allowed_or_refused(people, plan, state, step):
    report = _in_state(people, plan, state)
    before = (report.status, report.version, ReportTransition.objects.count())
    if (state, step) in ALLOWED:
        report = _do(people, report, step)
        assert report.status == ALLOWED[state, step]
        last = ReportTransition.objects.filter(report=report).last()
        assert (last.from_status, last.to_status) == (state, report.status)
        assert AuditEntry.objects.filter(action=f"actionplan.report.{report.status}", object_id=str(report.pk)).exists()
    else:
        with pytest.raises(Conflict) as err:
            _do(people, report, step)
        assert err.value.field == "status"
        stored = Report.objects.get(pk=report.pk)
        assert (stored.status, stored.version, ReportTransition.objects.count()) == before


@pytest.mark.parametrize("state", [ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
def test_a_submitted_report_cannot_be_edited(people, plan, state):
    report = _in_state(people, plan, state)
    with pytest.raises(Conflict):
        services.report_save_draft(
            actor=people["reporter"], report=report, expected_version=report.version, summary="x"
        )


def test_the_wrong_side_gets_not_found_and_the_denial_is_audited(people, plan):
    report = _in_state(people, plan, ReportStatus.SUBMITTED)
    for name in ("reporter", "reporter_moj", "ngo", "analyst"):
        for fn in (services.report_accept, services.report_return):
            with pytest.raises(NotFound):
                fn(
                    actor=people[name],
                    report=report,
                    expected_version=report.version,
                    **({"reason": "x"} if fn is services.report_return else {}),
                )
    draft = _draft(people, plan, month=2)
    for name in ("coordinator", "reporter_moj", "ngo"):
        with pytest.raises(NotFound):
            services.report_submit(actor=people[name], report=draft, expected_version=draft.version)
        with pytest.raises(NotFound):
            services.report_save_draft(actor=people[name], report=draft, expected_version=draft.version, summary="x")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    assert Report.objects.get(pk=draft.pk).status == ReportStatus.DRAFT
    assert AuditEntry.objects.filter(action__startswith="actionplan.report", outcome="denied").count() == 14


def test_submit_needs_every_progress_and_a_finished_period(people, plan):
    report = _draft(people, plan, filled=False)
    first = report.entries.order_by("activity__objective__order", "activity__order").first().activity.number
    with pytest.raises(ValidationError) as err:
        services.report_submit(actor=people["reporter"], report=report, expected_version=1, at=at(dt.date(2018, 4, 5)))
    assert f"entries[{first}].progress" in err.value.message_dict
    report = _draft(people, plan, month=4)
    with pytest.raises(ValidationError) as err:
        services.report_submit(
            actor=people["reporter"], report=report, expected_version=report.version, at=at(dt.date(2018, 4, 20))
        )
    assert "month" in err.value.message_dict
    assert not Report.objects.exclude(status=ReportStatus.DRAFT).exists()


def test_on_the_due_date_is_on_time(people, plan):
    report = _draft(people, plan)
    report = services.report_submit(
        actor=people["reporter"], report=report, expected_version=report.version, at=at(MARCH_2018_DUE, 23)
    )
    assert not report.is_late


def test_a_late_report_is_accepted_and_stays_late(people, plan):
    report = _draft(people, plan)
    report = services.report_submit(
        actor=people["reporter"],
        report=report,
        expected_version=report.version,
        at=at(MARCH_2018_DUE + dt.timedelta(days=1)),
    )
    assert report.is_late
    report = services.report_return(
        actor=people["coordinator"], report=report, expected_version=report.version, reason="Missing values"
    )
    report = services.report_save_draft(
        actor=people["reporter"], report=report, expected_version=report.version, summary="corrected"
    )
    report = services.report_submit(
        actor=people["reporter"], report=report, expected_version=report.version, at=at(dt.date(2018, 5, 2))
    )
    report = services.report_accept(actor=people["coordinator"], report=report, expected_version=report.version)
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == ReportStatus.ACCEPTED and stored.is_late
    assert stored.first_submitted_at.date() == MARCH_2018_DUE + dt.timedelta(days=1)
    assert stored.submitted_at.date() == dt.date(2018, 5, 2)
    assert list(stored.transitions.values_list("to_status", flat=True)) == [
        ReportStatus.SUBMITTED,
        ReportStatus.RETURNED,
        ReportStatus.SUBMITTED,
        ReportStatus.ACCEPTED,
    ]


def test_return_needs_a_reason(people, plan):
    report = _in_state(people, plan, ReportStatus.SUBMITTED)
    with pytest.raises(ValidationError) as err:
        services.report_return(actor=people["coordinator"], report=report, expected_version=report.version, reason=" ")
    assert "reason" in err.value.message_dict
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


# --- Evaluation, briefings, reminders --------------------------------------------------------------


def test_evaluation_keeps_its_history(people, plan):
    activity = Activity.objects.get(plan=plan, number="2.3")
    first = services.evaluation_record(
        actor=people["coordinator"],
        activity=activity,
        year=2017,
        rating=Rating.PARTIALLY_COMPLETED,
        comments="EWS draft",
    )
    second = services.evaluation_record(
        actor=people["coordinator"], activity=activity, year=2017, rating=Rating.COMPLETED
    )
    assert Evaluation.objects.filter(activity=activity, year=2017).count() == 2
    current = evaluation_list(people["coordinator"], plan, current=True)
    assert [e.pk for e in current] == [second.pk]
    assert {e.pk for e in evaluation_list(people["coordinator"], plan)} == {first.pk, second.pk}
    assert evaluation_list(people["reporter"], plan) and evaluation_list(people["ngo"], plan) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rating": "great"}, "rating"),
        ({"rating": Rating.NOT_COMPLETED}, "comments"),
        ({"rating": Rating.COMPLETED, "year": 2019}, "year"),
    ],
)
def test_evaluation_refuses_bad_input(people, plan, kwargs, field):
    activity = Activity.objects.get(plan=plan, number="1.1")
    with pytest.raises(ValidationError) as err:
        services.evaluation_record(actor=people["coordinator"], activity=activity, **{"year": 2017, **kwargs})
    assert field in err.value.message_dict


def test_only_the_coordinator_evaluates_and_briefs(people, plan):
    activity = Activity.objects.get(plan=plan, number="1.1")
    for name in ("reporter", "ngo", "analyst"):
        with pytest.raises(NotFound):
            services.evaluation_record(actor=people[name], activity=activity, year=2017, rating=Rating.COMPLETED)
        with pytest.raises(NotFound):
            services.briefing_generate(actor=people[name], plan=plan, kind=BriefingKind.MINISTER, year=2018, month=3)
    assert not Evaluation.objects.exists() and not Briefing.objects.exists()


def test_briefings_are_generated_from_the_reports(people, plan):
    report = _in_state(people, plan, ReportStatus.ACCEPTED)
    entry = report.entries.select_related("activity").first()
    minister = services.briefing_generate(
        actor=people["coordinator"],
        plan=plan,
        kind=BriefingKind.MINISTER,
        year=2018,
        month=3,
        at=at(dt.date(2018, 4, 25)),
    )
    assert minister.due_on == dt.date(2018, 4, 30)
    assert minister.content["months"] == ["2018-03"]
    assert minister.content["rates"]["received"] == 1 and minister.content["rates"]["expected"] == 23
    assert len(minister.content["missing"]) == 22
    assert entry.activity.number in {a["number"] for a in minister.content["activities"]}
    assert "Ministry of the Interior" not in {m["institution"] for m in minister.content["missing"]}
    council = services.briefing_generate(
        actor=people["coordinator"], plan=plan, kind=BriefingKind.COUNCIL, at=at(dt.date(2018, 4, 25))
    )
    assert council.period_start == dt.date(2017, 1, 1) and council.content["months"][-1] == "2018-03"
    second = services.briefing_generate(
        actor=people["coordinator"], plan=plan, kind=BriefingKind.COUNCIL, at=at(dt.date(2018, 6, 20))
    )
    assert second.period_start == dt.date(2018, 4, 25)
    assert second.due_on == dt.date(2018, 6, 22)  # 60 days after the first note: Sunday 24 June, moved back
    with pytest.raises(ValidationError) as err:
        services.briefing_generate(
            actor=people["coordinator"],
            plan=plan,
            kind=BriefingKind.MINISTER,
            year=2018,
            month=6,
            at=at(dt.date(2018, 6, 20)),
        )
    assert "month" in err.value.message_dict


def test_reminders_are_mailed_once_to_the_focal_point(people, plan):
    # Saturday 7 April 2018: the March reports are due on Tuesday 10 April, three days ahead, and
    # the February reports (due 7 March) are overdue. Only focal points with an address hear of it.
    counts = services.reminders_send(today=dt.date(2018, 4, 7))
    to_moi = sorted(m.subject for m in mail.outbox if m.to == ["reporter@mup.example.org"])
    assert counts["reports"] == 4 and counts["no_recipient"] > 0
    assert to_moi == [
        "NRM: The monthly report for 2018-02 was due on 2018-03-07",
        "NRM: The monthly report for 2018-03 is due on 2018-04-10",
    ]
    assert {m.to[0] for m in mail.outbox} == {"reporter@mup.example.org", "focal@moj.example.org"}
    sent = len(mail.outbox)
    assert services.reminders_send(today=dt.date(2018, 4, 7))["reports"] == 0
    assert len(mail.outbox) == sent
    assert Reminder.objects.filter(kind="report", period="2018-03").count() == 2
    # Once the report is in, the focal point hears nothing more; the Ministry of Justice does.
    _in_state(people, plan, ReportStatus.SUBMITTED)
    services.reminders_send(today=dt.date(2018, 4, 16))
    later = mail.outbox[sent:]
    assert all(m.to != ["reporter@mup.example.org"] for m in later if "2018-03" in m.subject)
    assert any(m.to == ["focal@moj.example.org"] and "was due" in m.subject for m in later)


def test_the_daily_reminders_tell_each_focal_point_in_the_app_of_its_reports_due(people, plan):
    """The action plan's reminders come through ``nrm.tasks.reminders`` (registered from its ready())."""
    from nrm.tasks.choices import ReminderTopic
    from nrm.tasks.models import Notification
    from nrm.tasks.reminders import reminders_send

    counts = reminders_send(on=dt.date(2018, 4, 7))  # February's reports overdue, March's due on 10 April
    assert counts.get(ReminderTopic.REPORT_DUE, 0) >= 2
    mine = Notification.objects.filter(recipient=people["reporter"], topic=ReminderTopic.REPORT_DUE)
    periods = list(mine.values_list("reference", flat=True))
    assert {"2018-02", "2018-03"} <= set(periods) and len(periods) == len(set(periods))  # overdue and due, once each
    assert "2018-04" not in periods
    assert not Notification.objects.filter(recipient=people["ngo"], topic=ReminderTopic.REPORT_DUE).exists()


def test_the_coordinator_is_reminded_of_the_minister(people, plan):
    people["coordinator"].email = "coordinator@example.org"
    people["coordinator"].save()
    services.reminders_send(today=dt.date(2018, 4, 27))  # information on March is due on 30 April
    subjects = [m.subject for m in mail.outbox if m.to == ["coordinator@example.org"]]
    assert any("Minister" in s and "2018-03" in s for s in subjects)
    services.briefing_generate(
        actor=people["coordinator"],
        plan=plan,
        kind=BriefingKind.MINISTER,
        year=2018,
        month=3,
        at=at(dt.date(2018, 4, 27)),
    )
    mail.outbox.clear()
    services.reminders_send(today=dt.date(2018, 5, 4), every_days=1)
    assert not any("Minister" in m.subject and "2018-03" in m.subject for m in mail.outbox)
