"""Issue J on the case page: episodes of exploitation listed, added, changed and removed."""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.models import Episode
from nrm.web.tests.conftest import accept, consent_share, open_case, refer


def _episode(world, case, **values) -> Episode:
    return case_services.episode_add(actor=fresh(world["police"]), case=case, **{"form": "begging", **values})


def test_the_case_page_lists_episodes_notes_to_the_owner_only(client, world, orgs):
    case = open_case(world["police"], orgs["pu-bg"])
    _episode(world, case, country="HU", place="Szeged market", started_on=dt.date(2023, 2, 1), notes="Owner's note")
    consent_share(world["police"], case, orgs["centre"])
    accept(world["centre"], refer(world["police"], case, orgs["centre"]))

    client.force_login(world["police"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Szeged market, HU" in html and "2023-02-01" in html and "Owner&#x27;s note" in html
    assert f"/cases/{case.pk}/episodes/new/" in html

    client.force_login(world["centre"])  # a receiver reads the episodes, not their notes, and writes none
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Szeged market, HU" in html and "Owner" not in html.split("data-episodes")[1].split("</section>")[0]
    assert f"/cases/{case.pk}/episodes/new/" not in html


def test_add_an_episode_from_the_page_and_a_bad_date_stays_on_the_form(client, world, orgs):
    case = open_case(world["police"], orgs["pu-bg"])
    client.force_login(world["police"])
    url = f"/cases/{case.pk}/episodes/new/"
    assert client.get(url).status_code == 200
    bad = {"form": "sexual", "country": "DE", "started_on": "2023-05-01", "ended_on": "2023-01-01"}
    response = client.post(url, {**bad, "recruiter_relationship": "partner", "place": "Kept input"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_ended_on_error"' in html and "The end cannot be before the start." in html
    assert "Kept input" in html and Episode.objects.filter(case=case).count() == 1

    response = client.post(url, {**bad, "ended_on": "2023-08-01", "recruiter_relationship": "partner"})
    assert response.status_code == 302
    assert sorted(case.forms.values_list("code", flat=True)) == ["labour", "sexual"]
    added = Episode.objects.get(case=case, form__code="sexual")
    assert (added.country, added.ended_on, added.recruiter_relationship) == ("DE", dt.date(2023, 8, 1), "partner")


def test_edit_with_a_stale_version_is_a_conflict_and_remove_takes_the_form_off(client, world, orgs):
    case = open_case(world["police"], orgs["pu-bg"])
    episode = _episode(world, case)
    case_services.episode_update(actor=fresh(world["police"]), episode=episode, expected_version=1, country="AT")
    client.force_login(world["police"])
    url = f"/cases/{case.pk}/episodes/{episode.pk}/"
    response = client.post(url, {"version": 1, "form": "begging", "country": "IT", "recruiter_relationship": "unknown"})
    assert response.status_code == 409
    assert Episode.objects.get(pk=episode.pk).country == "AT"

    response = client.post(url + "remove/", {"version": 2})
    assert response.status_code == 302
    assert not Episode.objects.filter(pk=episode.pk).exists()
    assert list(case.forms.values_list("code", flat=True)) == ["labour"]
