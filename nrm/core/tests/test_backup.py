"""Backup and restore round-trip: content, encryption and the audit chain survive."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_verify
from nrm.cases.models import Case
from nrm.cases.services import case_open


@pytest.fixture
def a_case(world, orgs):
    return case_open(
        actor=world["police"],
        organisation=orgs["pu-bg"],
        identity={"given_name": "Milica", "family_name": "Ristić", "date_of_birth": "2001-05-06"},
        sex="F",
        forms=["sexual", "begging"],
    )


def test_round_trip(a_case, tmp_path):
    path = tmp_path / "b.nrm"
    call_command("backup", str(path))
    assert b"Milica" not in path.read_bytes()  # the file itself is encrypted
    audit_rows = AuditEntry.objects.count()
    Case.objects.filter(pk=a_case.pk).update(region="changed after backup")
    call_command("restore", str(path), "--force")
    restored = Case.objects.get(pk=a_case.pk)
    assert restored.person.given_name == "Milica"
    assert restored.region != "changed after backup"
    assert sorted(restored.forms.values_list("code", flat=True)) == ["begging", "sexual"]
    assert AuditEntry.objects.count() == audit_rows
    assert audit_verify().ok


def test_restore_refuses_non_empty_database_without_force(a_case, tmp_path):
    path = tmp_path / "b.nrm"
    call_command("backup", str(path))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path))


def test_altered_backup_is_refused_and_nothing_changes(a_case, tmp_path):
    path = tmp_path / "b.nrm"
    call_command("backup", str(path))
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    before = Case.objects.count()
    with pytest.raises(CommandError, match="damaged or was altered"):
        call_command("restore", str(path), "--force")
    assert Case.objects.count() == before
