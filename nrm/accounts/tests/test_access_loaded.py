"""The case permissions answered from loaded rows (``can_on_loaded``) are the access rule's, exactly.

``case_get`` loads a case's referrals to the reader's organisations with the case, and the case
page asks "may this user..." of them instead of the database. Here every persona, every action
and cases in every referral state get the same answer both ways.
"""

from __future__ import annotations

import pytest

from conftest import fresh
from nrm.accounts.access import Action
from nrm.cases import access as case_access
from nrm.cases import services as case_services
from nrm.cases.choices import ConsentPurpose
from nrm.cases.models import Case
from nrm.cases.tests.helpers import member, move, open_case, refer, rich_case, share
from nrm.referrals.choices import ReferralStatus

pytestmark = pytest.mark.django_db


def _cases(world) -> list[Case]:
    """Cases that differ in what the rule looks at: owner, owner type, referral states, identity sharing."""
    rich = rich_case(world)  # owned by csr-bg; accepted referrals to the Centre and two NGOs
    by_centre = open_case(world["centre"], "centre")  # owned by an identification authority
    pending = open_case(world["police"], "pu-bg")
    share(world["police"], pending, "ngo-sigurna")
    refer(world["police"], pending, "ngo-sigurna")  # sent, not accepted: not active
    declined = open_case(world["police"], "pu-bg")
    share(world["police"], declined, "ngo-most")
    move(world["ngo2"], refer(world["police"], declined, "ngo-most"), ReferralStatus.DECLINED, reason="No place.")
    nameless = open_case(world["police"], "pu-bg")
    share(world["police"], nameless, "ngo-sigurna")
    share(world["police"], nameless, "centre")
    move(world["ngo"], refer(world["police"], nameless, "ngo-sigurna", shares_identity=False), ReferralStatus.ACCEPTED)
    move(world["centre"], refer(world["police"], nameless, "centre", shares_identity=False), ReferralStatus.ACCEPTED)
    suspended = open_case(world["police"], "pu-bg")
    consent = share(world["police"], suspended, "ngo-sigurna")
    move(world["ngo"], refer(world["police"], suspended, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    case_services.consent_withdraw(actor=fresh(world["police"]), consent=consent)
    assert consent.purpose == ConsentPurpose.SHARE
    return [rich, by_centre, pending, declined, nameless, suspended]


def test_permissions_from_loaded_rows_are_the_rule(world):
    cases = _cases(world)
    # A user with two roles in two organisations, one of them the Centre.
    both = member("two-hats", "centre", "frontline")
    member("two-hats", "ngo-sigurna", "caseworker")
    users = [*world.values(), both]
    compared = 0
    for pk in [c.pk for c in cases]:
        for user in users:
            user = fresh(user)
            case = Case.objects.select_related("owner__type").get(pk=pk)
            links = list(case_access.case_links(user, case))
            for action in Action:
                assert case_access.can_on_loaded(user, action, case, links) == case_access.can(user, action, case), (
                    user.username,
                    action,
                    case.reference,
                )
                compared += 1
            assert case_access.can_see_identity_on_loaded(user, case, links) == case_access.can_see_identity(
                user, case
            ), (
                user.username,
                case.reference,
            )
    assert compared == len(cases) * len(users) * len(Action)


def test_the_case_read_answers_permissions_without_a_query(world, django_assert_num_queries):
    from nrm.cases.selectors import case_get

    case = rich_case(world)
    user = fresh(world["ngo"])
    view = case_get(user, case.pk)
    with django_assert_num_queries(0):
        answers = {action: view.may(user, action) for action in Action}
    assert answers[Action.RECORD_SERVICE] and answers[Action.VIEW] and not answers[Action.IDENTIFY]
