import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrm.cases.tests.helpers import api, rich_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("times", [1, 3])
@pytest.mark.parametrize("who", ["socialwork", "ngo", "centre"])
def test_probe(world, who, times):
    case = rich_case(world, times=times)
    client = api(world[who])
    client.get(f"/api/v1/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as q:
        r = client.get(f"/api/v1/cases/{case.pk}/")
    assert r.status_code == 200
    print(f"\n=== API {who} x{times}: {len(q)}")
    for x in q.captured_queries:
        print("  ", x["sql"][:230])
    from django.test import Client

    c = Client()
    c.force_login(world[who])
    c.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as q:
        r = c.get(f"/cases/{case.pk}/")
    assert r.status_code == 200
    print(f"\n=== WEB {who} x{times}: {len(q)}")
    for x in q.captured_queries:
        print("  ", x["sql"][:230])
