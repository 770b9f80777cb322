"""The case timeline in each language: its sentences and labels translated once per language, as gettext gives them."""

from __future__ import annotations

import pytest
from django.utils import translation

from conftest import fresh
from nrm.cases import selectors
from nrm.cases.tests.helpers import rich_case

pytestmark = pytest.mark.django_db


def _expected(view: selectors.CaseView) -> list[tuple[str, str]]:
    """What each entry says, made with gettext and Django's own ``get_FOO_display`` in the active language."""
    case = view.case
    _ = translation.gettext
    said = [("opened", _("Case opened by %(org)s") % {"org": case.owner.name})]
    said += [
        ("screening", _("Screening: %(result)s") % {"result": s.get_result_display()}) for s in case.screenings.all()
    ]
    for c in case.consents.all():
        org = f" ({c.organisation.name})" if c.organisation else ""
        said.append(("consent", _("Consent given: %(p)s%(o)s") % {"p": c.get_purpose_display(), "o": org}))
    for r in case.referrals.all():
        what = r.service_type.name if r.service_type else r.get_kind_display()
        sent = {"f": r.from_org.name, "t": r.to_org.name, "w": what, "s": r.get_status_display()}
        said.append(("referral", _("Referred by %(f)s to %(t)s for %(w)s: %(s)s") % sent))
    said += [
        ("identification", _("Identification: %(d)s") % {"d": i.get_decision_display()})
        for i in case.identifications.all()
    ]
    for sv in case.services.all():
        given = {"s": sv.service_type.name, "o": sv.organisation.name, "st": sv.get_status_display()}
        said.append(("service", _("%(s)s by %(o)s: %(st)s") % given))
    return sorted(said)


def test_the_timeline_reads_in_each_language_after_every_other(world):
    case = rich_case(world)
    owner = fresh(world["socialwork"])
    english = None
    for language in ("en", "sr", "sr-latn", "en", "sr-latn", "sr"):
        with translation.override(language):
            view = selectors.case_get(owner, case.pk)
            got = sorted((e.kind, e.text) for e in selectors.case_timeline(view) if e.kind != "note")
            assert got == _expected(view), language
        if language == "en":
            english = got
        else:
            assert got != english, language  # translated, not left in English
    assert {kind for kind, _text in english} >= {"opened", "screening", "consent", "referral", "service"}
