"""Retention: identity of closed cases is erased after the period; statistics fields and the audit stay."""

import datetime as dt

from django.core.management import call_command

from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases import services
from nrm.cases.models import Case, Person
from nrm.cases.retention import retention_apply
from nrm.cases.tests.helpers import member, open_case


def closed_case(world, closed_on: dt.date) -> Case:
    caseworker = member(f"cw-{closed_on.isoformat()}", "pu-bg", Role.CASEWORKER)
    case = open_case(world["police"], opened_on=closed_on - dt.timedelta(days=30))
    services.note_add(actor=caseworker, case=case, text="Met at the shelter.")
    return services.case_close(
        actor=caseworker, case=case, reason="reintegrated", expected_version=case.version, closed_on=closed_on
    )


def test_old_closed_case_loses_identity_keeps_statistics(world):
    old = closed_case(world, dt.date(2012, 3, 1))
    recent = closed_case(world, dt.date(2024, 3, 1))
    assert retention_apply(dry_run=True) == [old.reference]
    assert Person.objects.get(pk=old.person_id).given_name != ""  # the dry run changed nothing

    call_command("retention", "apply")
    person = Person.objects.get(pk=old.person_id)
    assert (person.given_name, person.family_name, person.date_of_birth, person.linkage_key) == ("", "", "", "")
    assert (person.sex, person.birth_year) == ("F", 1991)
    assert Case.objects.get(pk=old.pk).notes.get().text == "[erased at the end of retention]"
    assert Person.objects.get(pk=recent.person_id).given_name != ""
    assert AuditEntry.objects.filter(action="case.retention_erase", object_id=str(old.pk)).exists()
    assert audit_verify().ok
    assert retention_apply() == []  # nothing left to erase
