"""Issue J: several episodes of exploitation per case; the case's forms follow them, never disagreeing."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.models import Case, Episode
from nrm.cases.retention import retention_apply
from nrm.cases.tests.helpers import denials, member, move, open_case, refer, share
from nrm.core.errors import Conflict, NotFound
from nrm.core.validation import today
from nrm.referrals.choices import ReferralStatus


def forms_agree(case: Case) -> bool:
    """Whether ``Case.forms`` is exactly the union of the case's episodes' forms."""
    kept = set(Case.objects.get(pk=case.pk).forms.values_list("code", flat=True))
    return kept == set(Episode.objects.filter(case=case).values_list("form__code", flat=True))


def every_case_agrees() -> bool:
    return all(forms_agree(case) for case in Case.objects.all())


@pytest.fixture
def case(world):
    return open_case(world["police"], country_of_exploitation="RS", place_of_exploitation="Subotica")


def test_a_case_opens_with_one_episode_per_form_carrying_its_country_and_place(world):
    case = open_case(world["police"], forms=["sexual", "labour"], country_of_exploitation="DE")
    episodes = list(Episode.objects.filter(case=case).select_related("form"))
    assert sorted(e.form.code for e in episodes) == ["labour", "sexual"]
    assert {(e.country, e.started_on, e.recruiter_relationship) for e in episodes} == {("DE", None, "unknown")}
    assert forms_agree(case)


def test_add_change_remove_an_episode_keeps_the_forms_and_audits(world, case):
    police = world["police"]
    episode = case_services.episode_add(
        actor=fresh(police),
        case=case,
        form="labour",
        country="hu",
        place="A farm near Szeged",
        started_on=dt.date(2022, 6, 1),
        ended_on=dt.date(2022, 9, 30),
        recruiter_relationship="employer",
        notes="Passport taken on arrival.",
    )
    stored = Episode.objects.get(pk=episode.pk)
    assert (stored.country, stored.place, stored.notes) == ("HU", "A farm near Szeged", "Passport taken on arrival.")
    assert forms_agree(case) and case.forms.count() == 2
    # The place and notes are encrypted at rest, bound to the row.
    raw = Episode.objects.filter(pk=episode.pk).values_list("place", "notes").get()
    assert all(v.startswith("v2:") and "Szeged" not in v for v in raw)

    changed = case_services.episode_update(actor=fresh(police), episode=stored, expected_version=1, form="begging")
    assert changed.version == 2
    assert sorted(case.forms.values_list("code", flat=True)) == ["begging", "sexual"] and forms_agree(case)
    with pytest.raises(Conflict):
        case_services.episode_update(actor=fresh(police), episode=stored, expected_version=1, country="AT")

    case_services.episode_remove(actor=fresh(police), episode=changed, expected_version=2)
    assert list(case.forms.values_list("code", flat=True)) == ["sexual"] and forms_agree(case)
    actions = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk), action__startswith="case.episode")
    assert list(actions.order_by("id").values_list("action", flat=True)) == [
        "case.episode_add",
        "case.episode_update",
        "case.episode_remove",
    ]


def test_two_episodes_of_one_form_leave_the_form_once_and_removing_one_keeps_it(world, case):
    police = world["police"]
    second = case_services.episode_add(actor=fresh(police), case=case, form="sexual", country="AT")
    assert list(case.forms.values_list("code", flat=True)) == ["sexual"]
    case_services.episode_remove(actor=fresh(police), episode=second)
    assert list(case.forms.values_list("code", flat=True)) == ["sexual"] and forms_agree(case)
    first = Episode.objects.get(case=case)
    case_services.episode_remove(actor=fresh(police), episode=first)
    assert case.forms.count() == 0 and forms_agree(case)


def test_the_case_edit_forms_follow_episodes_and_never_drop_details(world, case):
    police = world["police"]
    case = case_services.case_update(
        actor=fresh(police), case=case, expected_version=case.version, forms=["sexual", "labour"]
    )
    assert forms_agree(case) and Episode.objects.filter(case=case, form__code="labour").count() == 1
    # A bare episode (a form ticked) goes with its form...
    case = case_services.case_update(actor=fresh(police), case=case, expected_version=case.version, forms=["sexual"])
    assert forms_agree(case) and not Episode.objects.filter(case=case, form__code="labour").exists()
    # ...one with details is not dropped by unticking a box.
    case_services.episode_update(
        actor=fresh(police),
        episode=Episode.objects.get(case=case),
        expected_version=1,
        started_on=dt.date(2023, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        case_services.case_update(actor=fresh(police), case=case, expected_version=case.version, forms=["labour"])
    assert "forms" in exc.value.message_dict
    assert forms_agree(case) and list(case.forms.values_list("code", flat=True)) == ["sexual"]


def test_forms_and_episodes_agree_after_every_kind_of_write(world, case):
    police = world["police"]
    drafts = [
        case_services.CaseDraft(open={"forms": ["sexual", "labour"], "country_of_exploitation": "DE"}),
        case_services.CaseDraft(
            open={"forms": ["begging"]},
            update={"exploitation_start": dt.date(2021, 1, 1)},
            recruiter_relationship="family",
        ),
        case_services.CaseDraft(open={}),
    ]
    caseworker = member("pu-cw-episodes", "pu-bg", Role.CASEWORKER)
    bulk = case_services.cases_open_bulk(actor=fresh(caseworker), organisation=case.owner, drafts=drafts, source="test")
    begging = Episode.objects.get(case=bulk[1])
    assert (begging.started_on, begging.recruiter_relationship) == (dt.date(2021, 1, 1), "family")
    case_services.episode_add(actor=fresh(police), case=case, form="organs")
    assert every_case_agrees()


# --- Who may write ---------------------------------------------------------------------------


def test_only_the_owners_case_roles_write_episodes(world, case):
    police, centre = world["police"], world["centre"]
    share(police, case, "centre")
    move(centre, refer(police, case, "centre"), ReferralStatus.ACCEPTED)
    episode = Episode.objects.get(case=case)
    frontline = member("pu-frontline-ep", "pu-bg", Role.FRONTLINE)
    case_services.episode_add(actor=fresh(frontline), case=case, form="labour")  # the opener knows the facts
    reporter = member("pu-reporter-ep", "pu-bg", Role.REPORTER)
    before = Episode.objects.count()
    # The Centre (an accepted receiver that corrects the case's facts), the owner's reporter, another organisation.
    for outsider in (centre, reporter, world["ngo2"]):
        with pytest.raises(NotFound):
            case_services.episode_add(actor=fresh(outsider), case=case, form="begging")
        with pytest.raises(NotFound):
            case_services.episode_update(actor=fresh(outsider), episode=episode, expected_version=1, country="AT")
        with pytest.raises(NotFound):
            case_services.episode_remove(actor=fresh(outsider), episode=episode)
        # Nor by the case edit: the forms follow the owner's episodes.
        if outsider is centre:
            with pytest.raises(ValidationError):
                case_services.case_update(
                    actor=fresh(centre), case=Case.objects.get(pk=case.pk), expected_version=None, forms=["organs"]
                )
    assert Episode.objects.count() == before and Episode.objects.get(pk=episode.pk).version == 1
    assert len(denials(action__startswith="case.episode")) == 9


def test_a_closed_case_takes_no_episode(world, case):
    caseworker = member("pu-cw-closed", "pu-bg", Role.CASEWORKER)
    case = case_services.case_close(
        actor=fresh(caseworker), case=case, reason="declined", expected_version=case.version
    )
    with pytest.raises(Conflict):
        case_services.episode_add(actor=fresh(caseworker), case=case, form="labour")
    assert Episode.objects.filter(case=case).count() == 1


# --- Bad input -------------------------------------------------------------------------------


def _tomorrow() -> dt.date:
    return today() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"form": "astrology"}, "form"),
        ({"form": ""}, "form"),
        ({"country": "Germany"}, "country"),
        ({"place": "x" * 201}, "place"),
        ({"place": "bad\x00text"}, "place"),
        ({"notes": "bad\x01"}, "notes"),
        ({"recruiter_relationship": "neighbour"}, "recruiter_relationship"),
        ({"started_on": dt.date(2023, 5, 1), "ended_on": dt.date(2023, 1, 1)}, "ended_on"),
        ({"started_on": "tomorrow"}, "started_on"),
        ({"started_on": _tomorrow()}, "started_on"),
        ({"ended_on": _tomorrow()}, "ended_on"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, case, values, field):
    police = world["police"]
    before = list(Episode.objects.values_list("pk", "version"))
    with pytest.raises(ValidationError) as exc:
        case_services.episode_add(actor=fresh(police), case=case, **{"form": "labour", **values})
    assert field in exc.value.message_dict
    episode = Episode.objects.get(case=case)
    changes = {k: v for k, v in values.items() if k != "form"} or values
    with pytest.raises(ValidationError) as exc:
        case_services.episode_update(actor=fresh(police), episode=episode, expected_version=1, **changes)
    assert field in exc.value.message_dict
    assert list(Episode.objects.values_list("pk", "version")) == before and forms_agree(case)


def test_an_end_before_a_stored_start_is_refused_on_the_end(world, case):
    police = world["police"]
    episode = case_services.episode_add(actor=fresh(police), case=case, form="labour", started_on=dt.date(2023, 5, 1))
    with pytest.raises(ValidationError) as exc:
        case_services.episode_update(
            actor=fresh(police), episode=episode, expected_version=1, ended_on=dt.date(2023, 4, 1)
        )
    assert exc.value.message_dict == {"ended_on": ["The end cannot be before the start."]}


def test_api_bad_input_is_a_problem_naming_the_field(world, case):
    from nrm.cases.tests.helpers import api

    client = api(world["police"])
    url = f"/api/v1/cases/{case.pk}/episodes/"
    for body, field in [
        ({"form": "labour", "started_on": "2023-05-01", "ended_on": "2023-01-01"}, "ended_on"),
        ({"form": "labour", "recruiter_relationship": "neighbour"}, "recruiter_relationship"),
        ({"form": "astrology"}, "form"),
        ({"country": "DE"}, "form"),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (body, response.content)
    assert Episode.objects.filter(case=case).count() == 1


# --- Retention and the data migration --------------------------------------------------------


def test_retention_erases_the_episodes_place_and_notes_and_keeps_the_facts(world):
    police = world["police"]
    caseworker = member("pu-cw-ret", "pu-bg", Role.CASEWORKER)
    case = open_case(police, opened_on=dt.date(2012, 1, 5))
    case_services.episode_add(
        actor=fresh(police),
        case=case,
        form="labour",
        country="DE",
        place="Müller's farm, Lindenweg 4",
        started_on=dt.date(2011, 5, 1),
        recruiter_relationship="friend",
        notes="Recruited by a school friend, Marko.",
    )
    case_services.case_close(
        actor=fresh(caseworker), case=case, reason="reintegrated", expected_version=None, closed_on=dt.date(2012, 3, 1)
    )
    retention_apply()
    kept = list(Episode.objects.filter(case=case).values_list("form__code", "country", "place", "notes"))
    assert sorted(kept) == [("labour", "DE", "", ""), ("sexual", "", "", "")]
    assert Episode.objects.get(case=case, form__code="labour").recruiter_relationship == "friend"


def test_the_data_migration_makes_one_episode_per_form(world):
    case = open_case(world["police"], forms=["sexual", "labour"], country_of_exploitation="DE")
    Case.objects.filter(pk=case.pk).update(
        place_of_exploitation="Berlin", exploitation_start=dt.date(2020, 1, 1), exploitation_end=dt.date(2019, 1, 1)
    )
    Episode.objects.all().delete()
    migration = importlib.import_module("nrm.cases.migrations.0012_episodes_from_forms")
    migration.forward(apps, None)
    episodes = list(Episode.objects.filter(case=case).order_by("form__code"))
    assert [(e.form.code, e.country, e.place, e.started_on, e.ended_on) for e in episodes] == [
        ("labour", "DE", "Berlin", dt.date(2020, 1, 1), None),  # an end before the start is not carried over
        ("sexual", "DE", "Berlin", dt.date(2020, 1, 1), None),
    ]
    assert every_case_agrees()
