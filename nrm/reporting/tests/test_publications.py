"""Publishing statistics is recorded; the analyst's home shows what is new since the last publication."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from conftest import PRESUMED_ADULT, fresh
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.tests.helpers import org
from nrm.core.errors import NotFound
from nrm.reporting import selectors
from nrm.reporting.models import Publication
from nrm.reporting.services import publication_record
from nrm.reporting.tests.helpers import victim
from nrm.web.home import blocks_for

pytestmark = pytest.mark.django_db

TABLE = "eurostat_registered_sex_age"


def screening(user):
    return case_services.screening_record(
        actor=fresh(user), organisation=org("ngo-sigurna"), answers=PRESUMED_ADULT, is_child=False
    )


def test_publishing_records_who_what_which_years_and_threshold(world):
    for _ in range(6):
        victim(world["police"])
    analyst = fresh(world["analyst"])
    publication = publication_record(actor=analyst, tables=[TABLE, TABLE], year_from=2024, note=" First release ")
    assert publication.published_by == analyst and publication.published_via == "web"
    assert (publication.year_from, publication.year_to, publication.years) == (2024, 2024, "2024")
    assert publication.threshold == 5 and publication.basis == "consent" and publication.note == "First release"
    [table] = publication.tables
    assert table["name"] == TABLE and table["total"] == "6" and table["title"]
    entry = AuditEntry.objects.filter(action="stats.publish").latest("pk")
    assert entry.object_id == str(publication.pk) and entry.detail["tables"] == [TABLE]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tables": [], "year_from": 2024}, "tables"),
        ({"tables": ["no-such-table"], "year_from": 2024}, "tables"),
        ({"tables": [TABLE], "year_from": None}, "year_from"),
        ({"tables": [TABLE], "year_from": 2024, "year_to": 2023}, "year_to"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(world, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        publication_record(actor=fresh(world["analyst"]), **kwargs)
    assert field in exc.value.message_dict
    assert not Publication.objects.exists()


def test_only_the_coordinators_office_and_analysts_publish(world):
    with pytest.raises(NotFound):
        publication_record(actor=fresh(world["police"]), tables=[TABLE], year_from=2024)
    assert not Publication.objects.exists()
    assert AuditEntry.objects.filter(action="stats.publish", outcome="denied").exists()
    assert publication_record(actor=fresh(world["coordinator"]), tables=[TABLE], year_from=2024)


def test_new_data_since_the_last_publication(world):
    analyst, coordinator = fresh(world["analyst"]), fresh(world["coordinator"])
    assert selectors.new_since_publication(fresh(world["police"])) is None
    victim(world["police"])
    never = selectors.new_since_publication(analyst)
    assert never.last is None and [r.label for r in never.rows] == ["Cases added", "Screenings added"]
    assert never.rows[0].count >= 1
    publication_record(actor=analyst, tables=[TABLE], year_from=2024)
    screening(world["ngo"])
    new = selectors.new_since_publication(analyst)
    counts = {r.label: r.count for r in new.rows}
    assert counts == {"Cases added": 0, "Cases changed": 0, "Screenings added": 1, "Screenings changed": 0}
    # Shown to the Coordinator's office, a count below the threshold is suppressed like a published cell.
    shown = {r.label: r.display() for r in selectors.new_since_publication(coordinator).rows}
    assert shown["Screenings added"] == "x" and shown["Cases added"] == "0"


def test_the_analysts_home_says_what_is_new_and_what_was_last_published(world):
    analyst = fresh(world["analyst"])
    client = Client()
    client.force_login(analyst)
    html = client.get("/").content.decode()
    assert "New data since the last publication" in html
    assert "No statistics have been published yet" in html
    publication_record(actor=analyst, tables=[TABLE], year_from=2023, year_to=2024)
    screening(world["ngo"])
    [block] = [b for b in blocks_for(fresh(analyst)) if b.key == "new_data"]
    assert block.extra["last"].years == "2023-2024"
    assert {"label": "Screenings added", "value": "1"} in block.rows
    html = client.get("/").content.decode()
    assert "Since the last publication, on" in html and "2023-2024, threshold 5" in html
    assert "No statistics have been published yet" not in html


def test_the_publications_page(world):
    analyst, police = fresh(world["analyst"]), fresh(world["police"])
    client = Client()
    client.force_login(analyst)
    page = client.get("/statistics/publications/")
    assert page.status_code == 200 and 'name="tables"' in page.content.decode()
    bad = client.post("/statistics/publications/", {"year_from": "2024"})
    assert bad.status_code == 400 and not Publication.objects.exists()
    done = client.post("/statistics/publications/", {"tables": [TABLE], "year_from": "2024", "note": "n"})
    assert done.status_code == 302 and Publication.objects.get().published_by == analyst
    # A reader without the publishing role sees what was published, and cannot publish.
    client.force_login(police)
    page = client.get("/statistics/publications/").content.decode()
    assert 'id="publications"' in page and 'name="tables"' not in page
    assert client.post("/statistics/publications/", {"tables": [TABLE], "year_from": "2024"}).status_code == 404
    assert Publication.objects.count() == 1


def test_publishing_from_the_command_line(world, capsys):
    call_command("stats", "--publish", TABLE, "--years", "2022-2024", "--note", "annual")
    publication = Publication.objects.get()
    assert publication.published_by is None and publication.published_via.startswith("cli:")
    assert publication.years == "2022-2024" and TABLE in capsys.readouterr().out
