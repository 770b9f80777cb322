"""The binding migration gives every existing row its own binding; their v1 values still read afterwards."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from nrm.cases.models import Person
from nrm.core.tests.test_binding import v1_token

# cases.0005 as a new database has it: squashed with 0002-0004 (0006, the binding, is not squashed).
BEFORE = [("cases", "0002_referral_links_squashed_0005_translated_names")]


def test_existing_rows_get_distinct_bindings(triggers_back_after_flush, flushable):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        old_person = executor.loader.project_state(BEFORE).apps.get_model("cases", "Person")
        pks = [old_person.objects.create().pk for _ in range(3)]
        with connection.cursor() as cursor:
            for pk in pks:
                cursor.execute("UPDATE cases_person SET given_name = %s WHERE id = %s", [v1_token(f"Name {pk}"), pk])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    people = list(Person.objects.filter(pk__in=pks).order_by("pk"))
    assert len({p.binding for p in people}) == 3 and all(p.binding for p in people)
    assert [p.given_name for p in people] == [f"Name {pk}" for pk in pks]
    assert Person(given_name="x").binding != people[0].binding
