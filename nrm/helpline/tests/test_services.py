"""Helpline services: logging a call, and turning a call into a screening in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from conftest import PRESUMED_ADULT, fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import selectors as case_selectors
from nrm.cases.choices import ScreeningResult
from nrm.cases.models import Screening
from nrm.cases.tests.helpers import denials, member, org
from nrm.core.errors import Conflict, NotFound
from nrm.helpline import services
from nrm.helpline.models import Call
from nrm.helpline.tests.conftest import NOTES, at

NO_COERCION = [a for a in PRESUMED_ADULT if not a.startswith("coercion")]


def log(people, **kwargs) -> Call:
    values = {
        "actor": fresh(people["hotline"]),
        "organisation": org("helpline"),
        "channel": "chat",
        "topic": "job_offer",
        "received_at": at(2024, 3, 5),
    }
    values.update(kwargs)
    return services.call_log(**values)


def test_a_call_is_logged_anonymously_with_its_notes_encrypted(people, call):
    stored = Call.objects.get(pk=call.pk)
    assert (stored.channel, stored.topic.code, stored.language, stored.referred_to.code) == (
        "phone",
        "possible_trafficking",
        "sr",
        "pu-bg",
    )
    assert stored.notes == NOTES
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM helpline_call")
        assert "Quorbatek" not in cursor.fetchone()[0]
    entry = AuditEntry.objects.get(action="helpline.call")
    assert entry.detail == {"channel": "phone", "topic": "possible_trafficking"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"topic": "weather"}, "topic"),
        ({"language": "Serbian"}, "language"),
        ({"received_at": timezone.now() + dt.timedelta(hours=2)}, "received_at"),
        ({"received_at": dt.datetime(2024, 3, 5, 10, 0)}, "received_at"),
        ({"referral_made": True}, "referred_to"),
        ({"referred_to_other": "Labour inspectorate"}, "referral_made"),
        ({"organisation_code": "pu-bg"}, "organisation"),
    ],
    ids=["channel", "topic", "language", "future", "naive-time", "referred-to-nobody", "unmarked-referral", "org"],
)
def test_bad_calls_name_the_field_and_store_nothing(people, kwargs, field):
    if "organisation_code" in kwargs:
        kwargs = {"organisation": org(kwargs.pop("organisation_code"))}
    with pytest.raises(ValidationError) as exc:
        log(people, **kwargs)
    assert list(exc.value.message_dict) == [field]
    assert Call.objects.count() == 0
    assert not AuditEntry.objects.filter(action="helpline.call").exists()


@pytest.mark.parametrize("who", ["police", "ngo", "coordinator", "analyst"])
def test_only_helpline_staff_log_calls(people, who):
    with pytest.raises(ValidationError) as exc:
        log(people, actor=fresh(people[who]))
    assert list(exc.value.message_dict) == ["organisation"]
    assert Call.objects.count() == 0


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST, Role.COORDINATOR, Role.ADMIN, Role.IDENTIFIER])
def test_helpline_members_with_another_role_do_not_log_calls(people, role):
    with pytest.raises(ValidationError):
        log(people, actor=member("wrong-role", "helpline", role))
    assert Call.objects.count() == 0


# --- To a screening --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "is_child", "result"),
    [
        (PRESUMED_ADULT, False, ScreeningResult.PRESUMED_VICTIM),
        (NO_COERCION, False, ScreeningResult.REFER_FOR_ASSESSMENT),
        (NO_COERCION, True, ScreeningResult.PRESUMED_VICTIM),
        ([], False, ScreeningResult.NOT_INDICATED),
    ],
    ids=["adult-presumed", "adult-no-coercion", "child-no-coercion", "nothing-observed"],
)
def test_a_call_becomes_a_screening_in_one_step(people, call, answers, is_child, result):
    screening = services.helpline_call_to_screening(
        actor=fresh(people["hotline"]), call=call, answers=answers, is_child=is_child, sex="F", citizenship="ua"
    )
    stored = Screening.objects.get(pk=screening.pk)
    assert stored.result == result  # computed by the list's rule, not given
    assert stored.reasons["presumed_victim"] is (result == ScreeningResult.PRESUMED_VICTIM)
    assert (stored.anonymous, stored.channel, stored.organisation.code, stored.screened_by) == (
        True,
        "helpline",
        "helpline",
        people["hotline"],
    )
    assert (stored.screened_on, stored.region, stored.sex, stored.citizenship, stored.is_child) == (
        dt.date(2024, 3, 5),
        "Belgrade",
        "F",
        "UA",
        is_child,
    )
    assert stored.case is None
    assert Call.objects.get(pk=call.pk).screening == stored
    assert stored.helpline_call.pk == call.pk
    entry = AuditEntry.objects.get(action="helpline.convert")
    assert entry.detail == {"screening": stored.pk, "result": result}
    assert AuditEntry.objects.filter(action="screening.create", object_id=str(stored.pk)).count() == 1
    # It is an ordinary screening of the helpline: its staff find it, and may open a case from it.
    assert list(case_selectors.screening_list(fresh(people["hotline"]))) == [stored]


def test_a_call_converts_once(people, call):
    hotline = fresh(people["hotline"])
    first = services.helpline_call_to_screening(actor=hotline, call=call, answers=PRESUMED_ADULT, is_child=False)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        services.helpline_call_to_screening(
            actor=fresh(people["hotline"]), call=Call.objects.get(pk=call.pk), answers=[], is_child=True
        )
    assert exc.value.field == "screening"
    # Even holding a stale copy of the call that still looks unconverted.
    call.screening = None
    with pytest.raises(Conflict):
        services.helpline_call_to_screening(actor=fresh(people["hotline"]), call=call, answers=[], is_child=True)
    assert list(Screening.objects.all()) == [first]
    assert Call.objects.get(pk=call.pk).screening == first
    assert AuditEntry.objects.count() == audit_before


def test_a_screening_with_unknown_indicators_stores_nothing(people, call):
    with pytest.raises(ValidationError) as exc:
        services.helpline_call_to_screening(
            actor=fresh(people["hotline"]), call=call, answers=[*PRESUMED_ADULT, "no_such"], is_child=False
        )
    assert list(exc.value.message_dict) == ["answers"]
    assert Screening.objects.count() == 0
    assert Call.objects.get(pk=call.pk).screening is None


@pytest.mark.parametrize("who", ["police", "ngo", "coordinator", "analyst"])
def test_outsiders_cannot_convert_and_the_refusal_is_audited(people, call, who):
    with pytest.raises(NotFound):
        services.helpline_call_to_screening(actor=fresh(people[who]), call=call, answers=PRESUMED_ADULT, is_child=False)
    assert Screening.objects.count() == 0
    assert Call.objects.get(pk=call.pk).screening is None
    [entry] = denials(action="helpline.convert")
    assert (entry.actor, entry.object_id) == (who, str(call.pk))
