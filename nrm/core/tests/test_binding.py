"""Ciphertexts are bound to their model, field and row; v1 (unbound) values still read until rotation."""

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from nrm.cases.models import Case, Person
from nrm.cases.services import case_open
from nrm.core.fields import Unreadable
from nrm.core.keys import encrypted_fields


def v1_token(plaintext: str) -> str:
    """A ciphertext exactly as written before binding: v1, constant associated data."""
    kid, key = django_settings.NRM_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    blob = nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), b"nrm")
    return f"v1:{kid}:{base64.b64encode(blob).decode()}"


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def write_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def open_case(world, orgs, given: str, family: str) -> Case:
    return case_open(
        actor=world["police"],
        organisation=orgs["pu-bg"],
        identity={"given_name": given, "family_name": family, "date_of_birth": "2001-05-06"},
        sex="F",
        forms=["sexual"],
    )


def test_ciphertext_copied_to_another_row_does_not_decrypt(world, orgs, client):
    milica = open_case(world, orgs, "Milica", "Ristić")
    jovana = open_case(world, orgs, "Jovana", "Perić")
    write_raw("cases_person", "given_name", jovana.person_id, raw("cases_person", "given_name", milica.person_id))

    person = Person.objects.get(pk=jovana.person_id)
    assert isinstance(person.given_name, Unreadable) and "Milica" not in person.given_name
    assert person.family_name == "Perić"  # the other fields of the row still read

    client.force_login(world["police"])
    page = client.get(f"/cases/{jovana.pk}/")
    assert page.status_code == 200
    assert "Milica" not in page.content.decode() and "Perić" in page.content.decode()


def test_saving_a_row_with_an_unreadable_value_keeps_the_stored_ciphertext(world, orgs):
    milica = open_case(world, orgs, "Milica", "Ristić")
    jovana = open_case(world, orgs, "Jovana", "Perić")
    copied = raw("cases_person", "given_name", milica.person_id)
    write_raw("cases_person", "given_name", jovana.person_id, copied)
    person = Person.objects.get(pk=jovana.person_id)
    person.given_name
    person.contact = "060 123"
    person.given_name = str(person.given_name)  # as an edit form gives the shown text back
    person.save()
    assert raw("cases_person", "given_name", jovana.person_id) == copied
    assert Person.objects.get(pk=jovana.person_id).contact == "060 123"


def test_ciphertext_copied_to_another_field_of_the_row_does_not_decrypt(world, orgs):
    case = open_case(world, orgs, "Milica", "Ristić")
    write_raw("cases_person", "family_name", case.person_id, raw("cases_person", "given_name", case.person_id))
    person = Person.objects.get(pk=case.person_id)
    assert person.given_name == "Milica"
    assert isinstance(person.family_name, Unreadable) and "Milica" not in person.family_name


def test_ciphertext_of_another_model_does_not_decrypt_even_with_the_same_binding(world, orgs):
    case = open_case(world, orgs, "Milica", "Ristić")
    person = Person.objects.get(pk=case.person_id)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET binding = %s WHERE id = %s", [person.binding.hex, case.pk])
    case = Case.objects.get(pk=case.pk)
    case.best_interests_note = "Ana Guardian"
    case.save()
    assert Case.objects.get(pk=case.pk).best_interests_note == "Ana Guardian"
    write_raw("cases_person", "given_name", person.pk, raw("cases_case", "best_interests_note", case.pk))
    assert isinstance(Person.objects.get(pk=person.pk).given_name, Unreadable)


def test_v1_ciphertexts_still_decrypt(world, orgs):
    case = open_case(world, orgs, "Milica", "Ristić")
    write_raw("cases_person", "given_name", case.person_id, v1_token("Marija"))
    assert Person.objects.get(pk=case.person_id).given_name == "Marija"


def test_new_ciphertexts_are_v2(world, orgs):
    case = open_case(world, orgs, "Milica", "Ristić")
    assert raw("cases_person", "given_name", case.person_id).startswith("v2:")


def all_tokens() -> dict[tuple[str, str, int], str]:
    found = {}
    for model, names in encrypted_fields():
        for pk, *tokens in model._base_manager.values_list("pk", *names):
            for name, token in zip(names, tokens, strict=True):
                if token:
                    found[(model._meta.label, name, pk)] = str(token)
    return found


def all_plaintexts() -> dict[tuple[str, str, int], str]:
    return {
        (model._meta.label, name, obj.pk): getattr(obj, name)
        for model, names in encrypted_fields()
        for obj in model._base_manager.all()
        for name in names
        if getattr(obj, name)
    }


def test_rotation_turns_every_v1_into_v2_and_the_old_key_can_go(world, orgs, settings):
    case = open_case(world, orgs, "Milica", "Ristić")
    case.best_interests_note = "Keep away from the recruiter."
    case.save()
    from nrm.children.models import Guardian

    Guardian.objects.create(
        case=case, organisation=case.owner, recorded_by=case.opened_by, name="Ana Guardian", contact="+381 11"
    )
    open_case(world, orgs, "Jovana", "Perić")
    plain = all_plaintexts()
    assert len(plain) >= 8
    # Turn every stored value into the v1 form (as written before binding) under the old key.
    for (label, name, pk), value in plain.items():
        model = next(m for m, _ in encrypted_fields() if m._meta.label == label)
        write_raw(model._meta.db_table, model._meta.get_field(name).column, pk, v1_token(value))
    assert all(t.startswith("v1:") for t in all_tokens().values())
    assert all_plaintexts() == plain

    settings.NRM_ENCRYPTION_KEYS = [("k9", b"\x09" * 32), *settings.NRM_ENCRYPTION_KEYS]
    call_command("rotate_keys")
    assert all(t.startswith("v2:k9:") for t in all_tokens().values())

    settings.NRM_ENCRYPTION_KEYS = [("k9", b"\x09" * 32)]
    assert all_plaintexts() == plain
    assert not any(isinstance(v, Unreadable) for v in all_plaintexts().values())


def test_no_plaintext_identity_in_any_table(world, orgs):
    case = open_case(world, orgs, "Milica", "Ristić")
    case.best_interests_note = "Zorana Guardian"
    case.save()
    seen = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            seen.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(seen)
    for secret in ("Milica", "Ristić", "Risti\\u0107", "2001-05-06", "Zorana"):
        assert secret not in text
