"""Rows inserted as tuples (``insert_rows``): checked a column at a time, encrypted for their row, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from nrm.accounts.models import Organisation
from nrm.audit.models import AuditEntry
from nrm.audit.services import audit_record_many, audit_verify
from nrm.cases.models import IndicatorList, Person, Screening
from nrm.core.bulk import insert_rows
from nrm.core.validation import check_column
from nrm.reporting import aggregates

PERSON = ("given_name", "family_name", "date_of_birth", "linkage_key", "sex", "birth_year", "citizenship")


def _person(**values) -> tuple:
    row = {
        "given_name": "Ana",
        "family_name": "Petrović",
        "date_of_birth": "1990-05-01",
        "linkage_key": "k" * 64,
        "sex": "F",
        "birth_year": 1990,
        "citizenship": "RS",
        **values,
    }
    return tuple(row[c] for c in PERSON)


def _refused(call, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        call()
    assert list(exc.value.message_dict) == [field]


def test_rows_are_stored_as_saving_instances_stores_them(db):
    ids = insert_rows(
        Person, PERSON, [_person(), _person(given_name="Marko", sex="M", date_of_birth="")], returning=True
    )
    assert len(ids) == 2 and ids[0] < ids[1]
    first, second = Person.objects.get(pk=ids[0]), Person.objects.get(pk=ids[1])
    # Decrypted through the field, bound to the row's own binding (a default called per row).
    assert (first.given_name, first.family_name, first.date_of_birth) == ("Ana", "Petrović", "1990-05-01")
    assert second.given_name == "Marko" and second.date_of_birth == "" and first.binding != second.binding
    assert first.created_at is not None and first.age_band == Person._meta.get_field("age_band").default
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name, date_of_birth FROM cases_person WHERE id = %s", [ids[1]])
        stored_name, stored_born = cursor.fetchone()
    assert stored_name.startswith("v2:") and "Marko" not in stored_name and stored_born == ""
    # A ciphertext moved to another row does not decrypt there: the binding is the row's.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_person SET given_name = %s WHERE id = %s", [stored_name, ids[0]])
    assert Person.objects.get(pk=ids[0]).given_name != "Marko"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"given_name": "An\x00a"}, "given_name"),  # encrypted: checked before encryption
        ({"citizenship": "RSX"}, "citizenship"),  # longer than max_length
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"birth_year": 1850}, "birth_year"),
        ({"linkage_key": "k\x07"}, "linkage_key"),
    ],
)
def test_a_bad_value_anywhere_in_a_column_refuses_the_insert_naming_the_field(db, values, field):
    before = Person.objects.count()
    rows = [_person() for _ in range(50)] + [_person(**values)] + [_person()]
    _refused(lambda: insert_rows(Person, PERSON, rows, returning=True), field)
    assert Person.objects.count() == before


def test_json_columns_are_checked_and_encoded_once_per_shared_value(world):
    org = Organisation.objects.get(code="pu-bg")
    indicator_list = IndicatorList.objects.filter(is_active=True).first()
    shared = {"outcome": "not_indicated", "why": ["a", "b"]}
    columns = ("organisation_id", "screened_by_id", "screened_on", "indicator_list_id", "result", "reasons", "answers")
    row = (org.pk, world["police"].pk, dt.date(2024, 3, 1), indicator_list.pk, "not_indicated", shared)
    before = Screening.objects.count()
    ids = insert_rows(Screening, columns, [(*row, []), (*row, ["x"])], returning=True)
    stored = list(Screening.objects.filter(pk__in=ids).order_by("pk").values_list("reasons", "answers"))
    assert stored == [(shared, []), (shared, ["x"])]
    # Inserted rows are counted by the analytics tables' triggers like any other.
    assert aggregates.differences() == {}
    _refused(lambda: insert_rows(Screening, columns, [(*row, ["ok"]), (*row, ["bad\x01"])]), "answers")
    assert Screening.objects.count() == before + 2


def test_check_column_makes_check_record_checks():
    field = Person._meta.get_field("citizenship")
    check_column(field, ["RS", "", None, "DE"])
    _refused(lambda: check_column(field, ["RS", "DEU"]), "citizenship")
    # Line feeds join the column's texts for one search: they are allowed, other controls are not.
    notes = Screening._meta.get_field("region")
    check_column(notes, ["a\nb", "c\td"])
    _refused(lambda: check_column(notes, ["fine", "x\x0by"]), "region")


def test_unknown_columns_and_ragged_rows_are_refused(db):
    with pytest.raises(ValueError, match="no column"):
        insert_rows(Person, ("nickname",), [("x",)])
    with pytest.raises(ValueError):
        insert_rows(Person, PERSON, [_person(), _person()[:-1]])


def test_audit_rows_appended_as_tuples_verify_once_sealed(world):
    before = AuditEntry.objects.count()
    appended = audit_record_many(
        {"actor": world["police"], "action": "test.bulk", "object_type": "thing", "object_id": i, "detail": {"n": i}}
        for i in range(3)
    )
    assert appended == 3
    rows = list(
        AuditEntry.objects.filter(action="test.bulk").order_by("id").values_list("object_id", "detail", "actor")
    )
    assert rows == [(str(i), {"n": i}, world["police"].username) for i in range(3)]
    assert AuditEntry.objects.count() == before + 3
    assert audit_verify().ok


def test_reserved_keys_are_new_and_the_table_goes_on_after_them(db):
    from nrm.core.bulk import reserve_ids

    first = insert_rows(Person, PERSON, [_person(), _person()], returning=True)
    Person.objects.filter(pk=first[-1]).delete()  # the largest key given is never given again
    reserved = reserve_ids(Person, 3)
    assert reserved == sorted(reserved) and len(set(reserved)) == 3 and reserved[0] > first[-1]
    insert_rows(Person, ("id", *PERSON), [(pk, *_person()) for pk in reserved])
    assert Person.objects.filter(pk__in=reserved).count() == 3
    # What the database draws next follows the reserved keys.
    (after,) = insert_rows(Person, PERSON, [_person()], returning=True)
    assert after > reserved[-1]
    assert reserve_ids(Person, 0) == []


def test_new_instances_are_what_the_model_builds_marked_saved():
    """``new_instances`` gives each row what ``Model(**row)`` gives it, defaults drawn per row; no query."""
    from django.db import DEFAULT_DB_ALIAS

    from nrm.cases.models import Case
    from nrm.core.bulk import new_instances

    rows = [
        {"id": 7, "owner_id": 3, "person_id": 5, "opened_on": dt.date(2024, 3, 1), "is_child": True, "region": "Sever"},
        {"id": 8, "owner_id": 3, "person_id": 6, "opened_on": dt.date(2024, 3, 2), "best_interests_note": "Bilješka"},
    ]
    made = new_instances(Case, rows)
    for case, row in zip(made, rows, strict=True):
        built = Case(**row)
        for field in Case._meta.concrete_fields:
            if field.attname != "binding":  # a new one per instance, as Model.__init__ draws it
                assert case.__dict__[field.attname] == built.__dict__[field.attname], field.attname
        assert (case._state.adding, case._state.db) == (False, DEFAULT_DB_ALIAS)
        assert case.best_interests_note == built.best_interests_note  # the encrypted field reads as given
    assert made[0].binding and made[1].binding and made[0].binding != made[1].binding
    with pytest.raises(TypeError, match="no column 'owner'"):
        new_instances(Case, [{"id": 9, "owner": 3}])
