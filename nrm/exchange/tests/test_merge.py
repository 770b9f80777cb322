"""Merging confirmed duplicates (issue J): asked, agreed, run, shown, counted once, undone by an administrator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models
from django.utils import timezone

from conftest import fresh
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.models import Case, CaseFlag, CaseNote
from nrm.cases.tests.helpers import api, denials
from nrm.exchange import dedup, merge
from nrm.exchange.models import CaseMerge, PersonLink
from nrm.exchange.tests.test_dedup import CYRILLIC, LATIN, open_for
from nrm.reporting.engine import TOTAL, count_table
from nrm.reporting.tests.helpers import victim


def agreed(world, a_user="ngo", b_user="socialwork") -> PersonLink:
    """Confirm the one link and have both owners agree to contact."""
    link = PersonLink.objects.get()
    dedup.link_confirm(actor=fresh(world[a_user]), link_id=link.pk)
    dedup.link_contact(actor=fresh(world[a_user]), link_id=link.pk)
    dedup.link_contact(actor=fresh(world[b_user]), link_id=link.pk)
    return PersonLink.objects.get()


@pytest.fixture
def pair(world):
    """The NGO's case (a) and the social work centre's (b) of one woman, with notes and flags on both."""
    a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    b = open_for(world["socialwork"], "csr-bg", CYRILLIC)
    case_services.note_add(actor=fresh(world["socialwork"]), case=b, text="Met at the centre")
    case_services.flag_raise(actor=fresh(world["socialwork"]), case=b, reason="security_risk")
    case_services.flag_raise(actor=fresh(world["socialwork"]), case=b, reason="urgent_medical")
    case_services.flag_raise(actor=fresh(world["ngo"]), case=a, reason="security_risk")
    return a, b


# --- The references: every model that points at a case is moved or deliberately kept --------


def test_every_reference_to_a_case_is_moved_or_listed_as_kept_on_purpose():
    """A model pointing at Case (another helper's new one included) is moved, unless listed with a reason."""
    labels = {f"{m._meta.label}.{f}" for m, f in merge.case_references()}
    moved = {f"{m._meta.label}.{f}" for m, f in merge.movable_references()}

    assert set(merge.NOT_MOVED) <= labels, set(merge.NOT_MOVED) - labels  # no stale entries
    assert moved == labels - set(merge.NOT_MOVED)
    assert all(reason.strip() for reason in merge.NOT_MOVED.values())
    # Known references, found without being named in the merge code.
    for expected in ("cases.CaseNote.case", "referrals.Referral.case", "documents.Document.case", "tasks.Task.case"):
        assert expected in moved
    assert "justice.ProceedingVictim.case" in moved  # also the table of a many-to-many (proceedings' cases)
    # Every moved reference is a plain foreign key: a one-to-one could not hold two cases' rows,
    # and would need a decision here before it is moved.
    for model, field in merge.movable_references():
        assert not isinstance(model._meta.get_field(field), models.OneToOneField), (model, field)


# --- Asking and agreeing ------------------------------------------------------------------------


def test_a_merge_needs_a_confirmed_link_and_both_sides_contact_agreement(pair, world):
    link = PersonLink.objects.get()
    ngo = api(world["ngo"])

    assert ngo.post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "ours"}).status_code == 409
    dedup.link_confirm(actor=fresh(world["ngo"]), link_id=link.pk)
    refused = ngo.post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "ours"})
    assert refused.status_code == 409 and "contact" in refused.json()["detail"]
    dedup.link_contact(actor=fresh(world["ngo"]), link_id=link.pk)
    assert ngo.post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "ours"}).status_code == 409
    assert not CaseMerge.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"survivor": ""}, {"survivor": "mine"}, {"survivor": "999999"}, {"survivor": "{other}"}],
    ids=["missing", "blank", "unknown word", "unknown id", "the other side's id"],
)
def test_bad_survivor_is_refused_naming_the_field(pair, world, body):
    _a, b = pair
    link = agreed(world)
    if body.get("survivor") == "{other}":
        body = {"survivor": str(b.pk)}  # exists, but is not the NGO's: the same answer as a missing id

    response = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/", body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "survivor" in response.json()["errors"]
    assert not CaseMerge.objects.exists()
    assert not Case.objects.exclude(merged_into=None).exists()


def test_both_owners_agree_then_the_cases_merge_with_every_row_recorded(pair, world):
    a, b = pair
    link = agreed(world)
    note = CaseNote.objects.get(case=b)
    flags = {f.reason: f for f in CaseFlag.objects.filter(case=b)}

    asked = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "ours"})
    assert asked.status_code == 200, asked.content
    assert asked.json()["merge"] | {"id": 0} == {
        "id": 0,
        "status": "requested",
        "survivor": "ours",
        "asked_by_us": True,
        "merged_at": None,
    }
    # Nothing moved yet; the other side sees the request, its own case to be absorbed.
    assert CaseNote.objects.get().case_id == b.pk
    seen = api(world["socialwork"]).get("/api/v1/duplicates/").json()["results"][0]
    assert (seen["merge"]["survivor"], seen["merge"]["asked_by_us"]) == ("theirs", False)
    assert a.reference not in str(seen)
    # The asking side cannot accept its own request.
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/accept/").status_code == 409

    accepted = api(world["socialwork"]).post(f"/api/v1/duplicates/{link.pk}/merge/accept/")

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["merge"]["status"] == "merged"
    m = CaseMerge.objects.get()
    assert (m.status, m.survivor_id, m.absorbed_id, m.answered_by.username) == ("merged", a.pk, b.pk, "socialwork")
    b.refresh_from_db()
    assert (b.merged_into_id, b.merged_at is not None) == (a.pk, True)
    assert b.person_id != a.person_id  # the absorbed person's identity stays (encrypted) on the absorbed case
    assert CaseNote.objects.get(pk=note.pk).case_id == a.pk
    # The survivor already had a standing security flag: b's stays on b, listed as kept.
    assert CaseFlag.objects.get(pk=flags["urgent_medical"].pk).case_id == a.pk
    assert CaseFlag.objects.get(pk=flags["security_risk"].pk).case_id == b.pk
    assert ["cases.CaseFlag", "case", flags["security_risk"].pk] in m.kept
    assert ["cases.CaseNote", "case", note.pk] in m.moved
    assert ["cases.CaseFlag", "case", flags["urgent_medical"].pk] in m.moved
    actions = list(AuditEntry.objects.filter(action__startswith="merge.").values_list("action", "actor"))
    assert actions == [("merge.request", "ngo"), ("merge.accept", "socialwork"), ("merge.run", "socialwork")]
    # A merged link is not undecided behind the merge's back.
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/reject/").status_code == 409


def test_a_decline_leaves_everything_and_a_new_request_may_follow(pair, world):
    _a, b = pair
    link = agreed(world)
    merge.merge_request(actor=fresh(world["socialwork"]), link_id=link.pk, survivor="ours")

    declined = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/decline/")

    assert declined.status_code == 200 and declined.json()["merge"]["status"] == "declined"
    assert not Case.objects.exclude(merged_into=None).exists()
    assert CaseNote.objects.get().case_id == b.pk
    assert AuditEntry.objects.filter(action="merge.decline", actor="ngo").count() == 1
    assert api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/decline/").status_code == 409
    again = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "theirs"})
    assert again.status_code == 200 and again.json()["merge"]["survivor"] == "theirs"


def test_one_owner_of_both_cases_merges_alone_without_contact(world):
    """Nobody else to ask, nobody to hide from: the owner's request is the agreement."""
    a = open_for(world["ngo"], "ngo-sigurna", LATIN)
    b = open_for(world["ngo"], "ngo-sigurna", CYRILLIC)
    link = PersonLink.objects.get()
    dedup.link_confirm(actor=fresh(world["ngo"]), link_id=link.pk)

    response = api(world["ngo"]).post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": str(b.pk)})

    assert response.status_code == 200, response.content
    assert response.json()["merge"]["status"] == "merged"
    assert Case.objects.get(pk=a.pk).merged_into_id == b.pk


def test_an_unrelated_organisation_and_a_frontline_worker_get_404s(pair, world):
    link = agreed(world)
    for who in ("ngo2", "police", "admin", "coordinator"):
        client = api(world[who])
        assert client.post(f"/api/v1/duplicates/{link.pk}/merge/", {"survivor": "ours"}).status_code == 404
        assert client.post(f"/api/v1/duplicates/{link.pk}/merge/accept/").status_code == 404
        assert client.post(f"/api/v1/duplicates/{link.pk}/merge/decline/").status_code == 404
    assert not CaseMerge.objects.exists()
    assert {d.actor for d in denials(object_type="person_link")} == {"ngo2", "police", "admin", "coordinator"}


# --- After the merge: hidden, shown in the survivor's history, counted once -----------------------


@pytest.fixture
def merged(pair, world):
    a, b = pair
    link = agreed(world)
    merge.merge_request(actor=fresh(world["ngo"]), link_id=link.pk, survivor="ours")
    merge.merge_accept(actor=fresh(world["socialwork"]), link_id=link.pk)
    return a, b, CaseMerge.objects.get()


def test_the_absorbed_case_is_hidden_and_the_survivor_shows_the_merge(merged, world):
    a, b, _m = merged
    socialwork = api(world["socialwork"])

    assert socialwork.get(f"/api/v1/cases/{b.pk}/").status_code == 404
    assert b.pk not in [c["id"] for c in socialwork.get("/api/v1/cases/").json()["results"]]
    found = socialwork.get("/api/v1/cases/", {"name": "Марија Јовановић", "birth_date": "1990-05-17"})
    assert found.json()["results"] == []
    # The survivor's owner reads the merged history: the absorbed case's note, and the merge itself.
    from nrm.cases.selectors import case_get, case_timeline

    view = case_get(fresh(world["ngo"]), a.pk)
    assert [n.text for n in view.case.notes.all()] == ["Met at the centre"]
    merges = [e for e in case_timeline(view) if e.kind == "merge"]
    assert len(merges) == 1 and b.reference in merges[0].text
    # A new case of the same person is proposed against the survivor only.
    open_for(world["ngo2"], "ngo-most", LATIN)
    assert not PersonLink.objects.filter(status="proposed").filter(models.Q(case_a=b) | models.Q(case_b=b)).exists()


def test_statistics_count_the_merged_person_once_under_the_survivor(world):
    police = victim(world["police"], "pu-bg", given_name="Jelena", family_name="Petrović", born="1990-05-01")
    ngo = victim(world["ngo"], "ngo-sigurna", given_name="Јелена", family_name="Петровић", born="1990-05-01")

    def table() -> dict:
        t = count_table(by=["referral_source"], raw=True)
        return {(c.key["referral_source"],): c.count for c in t.cells + t.totals}

    assert table() == {("ngo",): 1, ("police",): 1, (TOTAL,): 1}
    link = PersonLink.objects.get()
    dedup.link_confirm(actor=fresh(world["ngo"]), link_id=link.pk)
    assert table() == {("ngo",): 1, ("police",): 1, (TOTAL,): 1}  # confirmed: once, as before
    # A frontline worker does not decide: the police's case workers are none, so the NGO's case
    # worker merges across organisations once contact is agreed; the police case survives.
    from nrm.accounts.choices import Role
    from nrm.cases.tests.helpers import member

    police_cw = member("merge-police-cw", "pu-bg", Role.CASEWORKER)
    dedup.link_contact(actor=fresh(world["ngo"]), link_id=link.pk)
    dedup.link_contact(actor=fresh(police_cw), link_id=link.pk)
    merge.merge_request(actor=fresh(world["ngo"]), link_id=link.pk, survivor="theirs")
    merge.merge_accept(actor=fresh(police_cw), link_id=link.pk)

    assert Case.objects.get(pk=ngo.pk).merged_into_id == police.pk
    assert table() == {("police",): 1, (TOTAL,): 1}


# --- Undo ----------------------------------------------------------------------------------------


def test_an_administrator_undoes_a_merge_and_everything_moves_back(merged, world):
    a, b, m = merged
    note = CaseNote.objects.get()
    assert api(world["ngo"]).post(f"/api/v1/merges/{m.pk}/undo/").status_code == 404  # not an administrator

    listed = api(world["admin"]).get("/api/v1/merges/").json()["results"]
    assert [(x["id"], x["status"], x["moved"], x["kept"]) for x in listed] == [(m.pk, "merged", len(m.moved), 1)]
    response = api(world["admin"]).post(f"/api/v1/merges/{m.pk}/undo/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "undone"
    b.refresh_from_db()
    assert (b.merged_into_id, b.merged_at) == (None, None)
    assert CaseNote.objects.get(pk=note.pk).case_id == b.pk
    assert CaseFlag.objects.filter(case=b).count() == 2 and CaseFlag.objects.filter(case=a).count() == 1
    assert api(world["socialwork"]).get(f"/api/v1/cases/{b.pk}/").status_code == 200
    assert [d.actor for d in denials(object_type="case_merge")] == ["ngo"]
    entry = AuditEntry.objects.get(action="merge.undo", outcome="allowed")
    assert (entry.actor, entry.object_id, entry.detail["missing"]) == ("admin", str(b.pk), 0)
    assert api(world["admin"]).post(f"/api/v1/merges/{m.pk}/undo/").status_code == 409


def test_after_the_undo_period_the_undo_is_refused_with_a_clear_message(merged, world, settings):
    a, b, m = merged
    settings.NRM_MERGE_UNDO_DAYS = 30
    CaseMerge.objects.filter(pk=m.pk).update(merged_at=timezone.now() - dt.timedelta(days=31))

    response = api(world["admin"]).post(f"/api/v1/merges/{m.pk}/undo/")

    assert response.status_code == 409
    assert "30 days" in response.json()["detail"]
    assert Case.objects.get(pk=b.pk).merged_into_id == a.pk
    assert not AuditEntry.objects.filter(action="merge.undo", outcome="allowed").exists()


# --- Pages ---------------------------------------------------------------------------------------


def _page_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_pages_ask_accept_show_the_merge_and_undo(pair, world):
    a, b = pair
    link = agreed(world)
    ngo, centre, admin = (_page_client(world[w]) for w in ("ngo", "socialwork", "admin"))

    listed = ngo.get("/duplicates/")
    assert listed.status_code == 200 and "Ask to merge" in listed.content.decode()
    # No survivor named: a message naming what is missing, nothing asked.
    refused = ngo.post(f"/duplicates/{link.pk}/merge/", {}, follow=True)
    assert "Name the case that survives" in refused.content.decode()
    assert not CaseMerge.objects.exists()

    assert ngo.post(f"/duplicates/{link.pk}/merge/", {"survivor": "ours"}).status_code == 302
    assert "Accept the merge" in centre.get("/duplicates/").content.decode()
    assert centre.post(f"/duplicates/{link.pk}/merge/accept/").status_code == 302

    history = ngo.get(f"/cases/{a.pk}/").content.decode()
    assert f"Case {b.reference} of {b.owner.name} merged into this case" in history
    assert centre.get(f"/cases/{b.pk}/").status_code == 404
    merges = admin.get("/merges/").content.decode()
    m = CaseMerge.objects.get()
    assert f"/merges/{m.pk}/undo/" in merges and "Marija" not in merges
    assert admin.post(f"/merges/{m.pk}/undo/").status_code == 302
    assert Case.objects.get(pk=b.pk).merged_into_id is None


def test_the_cases_forms_follow_the_episodes_through_a_merge_and_its_undo(pair, world):
    """Episodes move with the merge; each case's forms stay the union of its episodes' forms."""
    from nrm.cases.models import Episode

    a, b = pair
    case_services.episode_add(actor=fresh(world["socialwork"]), case=b, form="labour")
    case_services.episode_add(actor=fresh(world["ngo"]), case=a, form="sexual")

    def forms_agree(case) -> None:
        case.refresh_from_db()
        episodes = set(Episode.objects.filter(case=case).values_list("form__code", flat=True))
        assert set(case.forms.values_list("code", flat=True)) == episodes

    link = agreed(world)
    merge.merge_request(actor=fresh(world["ngo"]), link_id=link.pk, survivor="ours")
    merge.merge_accept(actor=fresh(world["socialwork"]), link_id=link.pk)
    assert "labour" in set(a.forms.values_list("code", flat=True))
    forms_agree(a)
    merge.merge_undo(actor=fresh(world["admin"]), merge_id=CaseMerge.objects.get().pk)
    forms_agree(a)
    forms_agree(b)
    assert "labour" in set(b.forms.values_list("code", flat=True))


def test_the_date_each_case_counts_as_identified_follows_the_decisions_through_a_merge_and_its_undo(pair, world):
    """Decisions move with the merge; each case's identified_on stays what its decisions give."""
    from nrm.cases.selectors import identified_on_disagreements
    from nrm.reporting.tests.helpers import decide

    a, b = pair
    decide(world, a, on=dt.date(2024, 4, 10))
    decide(world, b, on=dt.date(2024, 5, 20))

    def on(case) -> dt.date | None:
        return Case.objects.values_list("identified_on", flat=True).get(pk=case.pk)

    link = agreed(world)
    merge.merge_request(actor=fresh(world["ngo"]), link_id=link.pk, survivor="ours")
    merge.merge_accept(actor=fresh(world["socialwork"]), link_id=link.pk)
    # The survivor holds both decisions 'identified': the later-dated one is in force. The
    # absorbed case, left without decisions, has none.
    assert (on(a), on(b)) == (dt.date(2024, 5, 20), None)
    assert not identified_on_disagreements().exists()
    merge.merge_undo(actor=fresh(world["admin"]), merge_id=CaseMerge.objects.get().pk)
    assert (on(a), on(b)) == (dt.date(2024, 4, 10), dt.date(2024, 5, 20))
    assert not identified_on_disagreements().exists()


# --- Who hears of a merge -------------------------------------------------------------------------


def _told(kind: str) -> dict[str, set[str]]:
    from nrm.tasks.models import Notification

    told: dict[str, set[str]] = {}
    for n in Notification.objects.filter(kind=kind).select_related("recipient"):
        told.setdefault(n.recipient.username, set()).add(n.reference)
        assert n.object_type == "person_link"
    return told


def test_the_owner_that_did_not_act_hears_of_each_step_with_its_own_case_only(pair, world):
    """Asked for: the other owner; done: the asking owner; withdrawn: the other again. Never the other case."""
    from nrm.tasks.selectors import record_url

    a, b = pair
    link = agreed(world)
    merge.merge_request(actor=fresh(world["ngo"]), link_id=link.pk, survivor="ours")
    assert _told("merge_requested") == {"socialwork": {b.reference}}
    merge.merge_decline(actor=fresh(world["ngo"]), link_id=link.pk)  # withdrawn by the NGO that asked
    assert _told("merge_declined") == {"socialwork": {b.reference}}

    merge.merge_request(actor=fresh(world["socialwork"]), link_id=link.pk, survivor="theirs")
    assert _told("merge_requested") == {"socialwork": {b.reference}, "ngo": {a.reference}}
    merge.merge_accept(actor=fresh(world["ngo"]), link_id=link.pk)
    assert _told("merge_done") == {"socialwork": {b.reference}}  # the asking side, not the one who accepted

    from nrm.tasks.models import Notification

    shown = api(world["socialwork"]).get("/api/v1/notifications/").json()["results"]
    assert {n["kind"] for n in shown} >= {"merge_requested", "merge_declined", "merge_done"}
    assert a.reference not in str(shown)
    assert {record_url(n) for n in Notification.objects.filter(object_type="person_link")} == {"/duplicates/"}


def test_one_owner_merging_its_own_duplicates_tells_nobody(world):
    from nrm.tasks.models import Notification

    first = open_for(world["socialwork"], "csr-bg", LATIN)
    open_for(world["socialwork"], "csr-bg", CYRILLIC)
    link = PersonLink.objects.get()
    dedup.link_confirm(actor=fresh(world["socialwork"]), link_id=link.pk)
    merge.merge_request(actor=fresh(world["socialwork"]), link_id=link.pk, survivor="ours")
    assert Case.objects.exclude(merged_into=None).count() == 1 and first.pk
    assert not Notification.objects.filter(object_type="person_link").exists()
