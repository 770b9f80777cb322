"""Relations loaded as JSON rows in one statement are the rows the ORM loads, value for value."""

from __future__ import annotations

import copy
import pickle

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import fresh
from nrm.cases.models import Case, CaseNote, Consent, ExploitationForm, Identification, Screening
from nrm.cases.selectors import case_services
from nrm.cases.tests.helpers import rich_case
from nrm.core.jsonrows import Relation, load_relations, loaded
from nrm.referrals.selectors import case_referrals

pytestmark = pytest.mark.django_db


def _values(obj, related: tuple[str, ...] = ()) -> dict:
    """Every concrete field's value as the application reads it (encrypted ones decrypted), and the joined rows'."""
    out = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for name in related:
        other = getattr(obj, name)
        out[name] = None if other is None else _values(other)
    return out


def test_json_rows_are_the_orm_rows(world):
    case = rich_case(world, times=2)
    user = fresh(world["socialwork"])
    case = Case.objects.select_related("owner").get(pk=case.pk)
    shapes = {
        "forms": (ExploitationForm.objects.filter(cases=case), ()),
        "screenings": (Screening.objects.filter(case=case), ()),
        "referrals": (case_referrals(user, case), ("to_org", "from_org", "service_type")),
        "identifications": (Identification.objects.filter(case=case).select_related("organisation"), ("organisation",)),
        "services": (case_services(user, case), ("service_type", "organisation")),
        "notes": (CaseNote.objects.filter(case=case).select_related("author"), ("author",)),
        "consents": (Consent.objects.filter(case=case).select_related("organisation"), ("organisation",)),
    }
    loaded = Case.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as captured:
        load_relations(loaded, [Relation(name, qs) for name, (qs, _related) in shapes.items()])
    assert len(captured) == 1
    for name, (qs, related) in shapes.items():
        expected = [_values(o, related) for o in qs]
        with CaptureQueriesContext(connection) as captured:
            got = [_values(o, related) for o in getattr(loaded, name).all()]
        assert got == expected, name
        assert len(captured) == 0, name  # nothing left to load: related rows and back references included
        assert expected, name  # the rich case has some of each
    notes = list(loaded.notes.all())
    assert [n.text for n in notes] == ["Note 0.", "Note 1."] and all(n.case is loaded for n in notes)
    assert all(isinstance(s.answers, list) for s in loaded.screenings.all())


def test_json_rows_of_nothing_are_empty(world):
    case = rich_case(world)
    loaded = Case.objects.get(pk=case.pk)
    load_relations(
        loaded,
        [
            Relation("notes", CaseNote.objects.filter(pk=-1)),
            Relation("consents", Consent.objects.filter(pk__in=[])),  # never sent to the database
        ],
    )
    assert list(loaded.notes.all()) == [] and list(loaded.consents.all()) == []


def test_loaded_gives_the_rows_the_manager_gives_loaded_or_not(world):
    """``loaded(obj, name)`` is ``obj.<name>.all()``: the loaded rows themselves, or a query where none were."""
    case = rich_case(world, times=2)
    plain = Case.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as captured:
        assert [n.pk for n in loaded(plain, "notes")] == [n.pk for n in plain.notes.all()]
    assert len(captured) == 2  # nothing loaded: each asks the database
    plain.notes.all()  # the manager's queryset is not cached on the instance
    read = Case.objects.get(pk=case.pk)
    consents = [c.pk for c in Consent.objects.filter(case=read).order_by("pk")]
    assert consents  # the rich case has some
    load_relations(read, [Relation("notes", CaseNote.objects.filter(case=read)), Relation("forms", read.forms.all())])
    with CaptureQueriesContext(connection) as captured:
        assert loaded(read, "notes") is read.notes.all()
        assert loaded(read, "forms") is read.forms.all()
        assert [n.text for n in loaded(read, "notes")] == ["Note 0.", "Note 1."]
        assert sorted(c.pk for c in loaded(read, "consents")) == consents  # not loaded: asked
    assert len(captured) == 1
    prefetched = Case.objects.prefetch_related("screenings").get(pk=case.pk)
    with CaptureQueriesContext(connection) as captured:
        assert loaded(prefetched, "screenings") is prefetched.screenings.all()
    assert len(captured) == 0


def test_loaded_relations_refined_ask_the_database_for_this_record_only(world):
    """Counting the loaded rows reads nothing; refining them queries this record's relation, not the table."""
    case = rich_case(world, times=2)
    other = rich_case(world, times=2)  # the same notes and forms on another case
    assert CaseNote.objects.filter(case=other).count() == 2
    assert set(other.forms.all()) & set(case.forms.all())
    forms = case.forms.count()
    loaded = Case.objects.get(pk=case.pk)
    load_relations(
        loaded,
        [Relation("notes", CaseNote.objects.filter(case=loaded)), Relation("forms", loaded.forms.all())],
    )
    with CaptureQueriesContext(connection) as captured:
        assert loaded.notes.count() == 2 and loaded.notes.exists() and len(loaded.forms.all()) == forms
    assert len(captured) == 0
    refined = loaded.notes.filter(pk__gt=0)  # every note of the table, were the relation's filter lost
    assert [(n.case_id, n.text) for n in refined] == [(case.pk, "Note 0."), (case.pk, "Note 1.")]
    assert all(n.case is loaded for n in refined)  # the back reference, as the manager's own queryset sets it
    assert list(loaded.notes.all().order_by("-id").values_list("case_id", flat=True)) == [case.pk, case.pk]
    copied = copy.deepcopy(loaded.notes.all())  # not its rows: queried again, this case's notes only
    assert sorted(n.case_id for n in copied) == [case.pk, case.pk]
    assert [n.pk for n in pickle.loads(pickle.dumps(loaded.notes.all()))] == [n.pk for n in loaded.notes.all()]
    form = case.forms.first()
    assert list(loaded.forms.filter(pk=form.pk)) == [form]
    assert loaded.forms.exclude(pk=form.pk).count() == forms - 1


def test_loaded_rows_are_instances_as_the_orm_makes_them_and_their_receivers_are_called(world):
    """Made without ``Model.__init__`` where nothing differs; a model with an init receiver still gets one."""
    from django.db.models.signals import post_init

    case = rich_case(world)
    orm = {n.pk: n for n in CaseNote.objects.filter(case=case)}
    loaded = Case.objects.get(pk=case.pk)
    load_relations(loaded, [Relation("notes", CaseNote.objects.filter(case=loaded))])
    for note in loaded.notes.all():
        expected = orm[note.pk]
        assert set(note.__dict__) - {"_state"} == set(expected.__dict__) - {"_state"}
        assert (note._state.adding, note._state.db) == (False, "default")
        assert note.text == expected.text  # decrypted on first read, as for the ORM's
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=CaseNote)
    try:
        again = Case.objects.get(pk=case.pk)
        load_relations(again, [Relation("notes", CaseNote.objects.filter(case=again))])
    finally:
        post_init.disconnect(receiver, sender=CaseNote)
    assert len(seen) == len(orm) and {n.pk for n in again.notes.all()} == set(orm)


def test_joined_rows_are_instances_as_the_orm_makes_them_and_their_receivers_are_called(world):
    """``select_related`` objects too: made without ``Model.__init__`` unless a receiver waits for it."""
    from django.db.models.signals import post_init

    from nrm.accounts.models import User

    case = rich_case(world)
    notes = CaseNote.objects.filter(case=case).select_related("author").defer("author__password")
    orm = {n.pk: n for n in notes}
    assert orm and all(n.author_id for n in orm.values())

    def load() -> Case:
        loaded = Case.objects.get(pk=case.pk)
        load_relations(loaded, [Relation("notes", notes.filter(case=loaded))])
        return loaded

    for note in load().notes.all():
        author, expected = note.__dict__["_state"].fields_cache["author"], orm[note.pk].author
        assert set(author.__dict__) - {"_state"} == set(expected.__dict__) - {"_state"}
        assert (author.pk, author.username, author._state.adding, author._state.db) == (
            expected.pk,
            expected.username,
            False,
            "default",
        )
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=User)
    try:
        again = load()
    finally:
        post_init.disconnect(receiver, sender=User)
    assert sorted(seen) == sorted(n.author_id for n in again.notes.all())


def _freed_without_the_collector(make_garbage) -> bool:
    """Whether what ``make_garbage()`` returns a weak reference to is gone once dropped, the cyclic collector off."""
    import gc

    gc.collect()
    gc.disable()
    try:
        ref = make_garbage()
        return ref() is None
    finally:
        gc.enable()


def test_released_the_rows_loaded_with_a_case_are_freed_as_soon_as_it_is_dropped(world):
    """The rows point back at the case: kept, a cycle for the collector; released, freed when dropped."""
    import weakref

    from nrm.cases.selectors import case_get
    from nrm.core.jsonrows import release

    case = rich_case(world)
    reader = fresh(world["socialwork"])

    def read(*, released: bool):
        view = case_get(reader, case.pk)
        screening = next(iter(loaded(view.case, "screenings")))
        assert screening.case is view.case  # the row points back at the case: the cycle
        if released:
            release(view.case)
        return weakref.ref(screening)

    assert not _freed_without_the_collector(lambda: read(released=False))
    assert _freed_without_the_collector(lambda: read(released=True))


@pytest.mark.parametrize("path", ["/api/v1/cases/{}/", "/cases/{}/"])
def test_a_case_shown_leaves_nothing_for_the_cyclic_collector(world, path):
    """The API's case read and the case page release what they loaded (see ``release``)."""
    import weakref

    from django.db.models.signals import post_init

    from nrm.cases.tests.helpers import api

    case = rich_case(world)
    reader = world["socialwork"]
    client = api(reader)
    if not path.startswith("/api/"):
        client.force_login(reader)
    assert client.get(path.format(case.pk)).status_code == 200  # caches filled, statements prepared
    made = []

    def remember(sender, instance, **kwargs):
        made.append(weakref.ref(instance))

    def shown():
        post_init.connect(remember, sender=Screening)
        try:
            assert client.get(path.format(case.pk)).status_code == 200
        finally:
            post_init.disconnect(remember, sender=Screening)
        assert made
        return made[0]

    assert _freed_without_the_collector(shown)
