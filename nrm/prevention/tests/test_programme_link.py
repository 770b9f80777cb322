"""An event linked to a programme leads to that programme's page."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from conftest import fresh
from nrm.cases.tests.helpers import org
from nrm.prevention import services
from nrm.programmes.models import Programme


def test_the_event_page_links_its_programme(people):
    programme = Programme.objects.order_by("pk").first()
    event = services.event_record(
        actor=fresh(people["police"]),
        organiser=org("pu-bg"),
        kind="round_table",
        title="Round table on labour exploitation",
        starts_on=dt.date(2024, 4, 2),
        ends_on=dt.date(2024, 4, 2),
        programme=programme,
        attendance=[{"profession": "police", "sex": "M", "count": 6}],
    )
    client = Client()
    client.force_login(people["police"])
    page = client.get(f"/prevention/events/{event.pk}/").content.decode()
    assert f'href="/programmes/{programme.pk}/"' in page
    assert client.get(f"/programmes/{programme.pk}/").status_code == 200
