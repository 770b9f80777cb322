"""Key rotation: values sealed with an old key are re-encrypted under the new one, nothing else changes."""

from django.core.management import call_command
from django.db import connection

from nrm.audit.models import AuditEntry
from nrm.cases.models import Person
from nrm.cases.services import case_open
from nrm.core import crypto


def raw_given_name(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM cases_person WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotation_moves_every_value_to_the_new_key(world, orgs, settings):
    old_id = crypto.current_key_id()
    case = case_open(
        actor=world["police"],
        organisation=orgs["pu-bg"],
        identity={"given_name": "Milena", "family_name": "Jović", "date_of_birth": "2000-01-02"},
        guardian="",
    )
    pk = case.person_id
    assert crypto.key_id_of(raw_given_name(pk)) == old_id

    settings.NRM_ENCRYPTION_KEYS = [("k2", b"\x02" * 32), *settings.NRM_ENCRYPTION_KEYS]
    call_command("rotate_keys")
    assert crypto.key_id_of(raw_given_name(pk)) == "k2"
    assert AuditEntry.objects.filter(action="keys.rotate").exists()

    # The old key can now be dropped: everything still reads.
    settings.NRM_ENCRYPTION_KEYS = [("k2", b"\x02" * 32)]
    person = Person.objects.get(pk=pk)
    assert (person.given_name, person.family_name, person.date_of_birth) == ("Milena", "Jović", "2000-01-02")


def test_rotation_twice_changes_nothing_the_second_time(world, orgs, settings, capsys):
    case_open(actor=world["police"], organisation=orgs["pu-bg"], identity={"given_name": "Ana", "family_name": "B"})
    settings.NRM_ENCRYPTION_KEYS = [("k3", b"\x03" * 32), *settings.NRM_ENCRYPTION_KEYS]
    call_command("rotate_keys")
    capsys.readouterr()
    call_command("rotate_keys")
    assert "re-encrypted 0 rows" in capsys.readouterr().out
