"""The justice access rule: owner, organisations shared with, the victim's side, and every outsider."""

from __future__ import annotations

import pytest

from conftest import fresh
from nrm.accounts.access import JusticeAction
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership
from nrm.cases.tests.helpers import denials, member
from nrm.core.errors import NotFound
from nrm.justice import selectors
from nrm.justice.access import proceeding_filter, proceeding_victim_filter
from nrm.justice.models import Proceeding, ProceedingVictim


def visible(user, action=JusticeAction.VIEW) -> list[Proceeding]:
    return list(Proceeding.objects.filter(proceeding_filter(fresh(user), action)))


def parts(user) -> set[int]:
    return set(ProceedingVictim.objects.filter(proceeding_victim_filter(fresh(user))).values_list("pk", flat=True))


def test_owner_and_shared_organisation(proceeding_scene):
    p = proceeding_scene.proceeding
    assert visible(proceeding_scene.users["police"]) == [p]
    assert visible(proceeding_scene.users["police"], JusticeAction.SHARE) == [p]
    assert visible(proceeding_scene.users["prosecutor"]) == [p]
    assert visible(proceeding_scene.users["prosecutor"], JusticeAction.EDIT) == [p]
    assert visible(proceeding_scene.users["prosecutor"], JusticeAction.SHARE) == []
    assert (
        parts(proceeding_scene.users["police"])
        == parts(proceeding_scene.users["prosecutor"])
        == {proceeding_scene.part_a.pk, proceeding_scene.part_b.pk}
    )
    view = selectors.proceeding_get(fresh(proceeding_scene.users["prosecutor"]), p.pk)
    assert (view.is_owner, view.can_edit) == (False, True)


def test_the_ngo_sees_its_cases_part_only(proceeding_scene):
    ngo = proceeding_scene.users["ngo"]
    assert visible(ngo) == []
    assert parts(ngo) == {proceeding_scene.part_a.pk}
    assert [v.pk for v in selectors.victim_part_list(fresh(ngo))] == [proceeding_scene.part_a.pk]
    with pytest.raises(NotFound):
        selectors.proceeding_get(fresh(ngo), proceeding_scene.proceeding.pk)
    with pytest.raises(NotFound):
        selectors.victim_part_get(fresh(ngo), proceeding_scene.part_b.pk)
    assert [e.action for e in denials(actor="ngo")] == ["proceeding.view", "proceeding.victim.view"]


@pytest.mark.parametrize("who", ["ngo2", "centre", "socialwork", "analyst", "coordinator", "admin"])
def test_outsiders_see_nothing(proceeding_scene, who):
    user = proceeding_scene.users[who]
    assert visible(user) == []
    assert parts(user) == set()
    with pytest.raises(NotFound):
        selectors.proceeding_get(fresh(user), proceeding_scene.proceeding.pk)
    [entry] = denials(action="proceeding.view")
    assert (entry.actor, entry.object_id) == (who, str(proceeding_scene.proceeding.pk))


def test_another_police_directorate_sees_nothing(proceeding_scene):
    officer = member("ns-officer", "pu-ns", Role.FRONTLINE)
    assert visible(officer) == [] and parts(officer) == set()


@pytest.mark.parametrize("role", [Role.REPORTER, Role.ANALYST, Role.COORDINATOR, Role.ADMIN])
def test_same_organisation_with_the_wrong_role_sees_nothing(proceeding_scene, role):
    user = member("wrong-role", "pu-bg", role)
    assert visible(user) == [] and parts(user) == set()
    with pytest.raises(NotFound):
        selectors.proceeding_get(user, proceeding_scene.proceeding.pk)


def test_an_inactive_membership_sees_nothing(proceeding_scene):
    Membership.objects.filter(user=proceeding_scene.users["police"]).update(is_active=False)
    assert visible(proceeding_scene.users["police"]) == []
    assert parts(proceeding_scene.users["police"]) == set()


def test_missing_and_forbidden_are_the_same_answer(proceeding_scene):
    with pytest.raises(NotFound) as missing:
        selectors.proceeding_get(fresh(proceeding_scene.users["police"]), proceeding_scene.proceeding.pk + 1000)
    with pytest.raises(NotFound) as forbidden:
        selectors.proceeding_get(fresh(proceeding_scene.users["ngo2"]), proceeding_scene.proceeding.pk)
    assert str(missing.value) == str(forbidden.value) == ""
    assert len(denials(action="proceeding.view")) == 2
