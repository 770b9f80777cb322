"""Loading the seeds' programmes: every figure is the seed's, loading twice changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from nrm.accounts.models import Organisation
from nrm.programmes.loading import load_programmes
from nrm.programmes.models import (
    Document,
    FundingLine,
    Indicator,
    IndicatorValue,
    Objective,
    Outcome,
    Output,
    Programme,
    ProgrammePartner,
)

from .conftest import COE, IRC, JOINT, fixture_document, seed_text

SEED_OF = {JOINT: "000", IRC: "004", COE: "003"}
MODELS = (Programme, ProgrammePartner, FundingLine, Objective, Outcome, Output, Indicator, IndicatorValue, Document)


def _figures(doc: dict):
    """Yield (programme code, where, entry, value key) for every figure of the fixture."""
    for prog in doc["programmes"]:
        if prog.get("budget"):
            yield prog["code"], "budget", prog["budget"], "amount"
        for line in prog["funding"]:
            yield prog["code"], f"funding {line['donor']}", line, "amount"
        for ind in prog["indicators"]:
            if ind.get("actual"):
                yield prog["code"], f"indicator {ind['code']}", ind["actual"], "value"


def test_every_figure_is_written_in_its_seed():
    doc = fixture_document()
    figures = list(_figures(doc))
    assert len(figures) == 4 + 12 + 3
    for code, where, entry, key in figures:
        text = seed_text(SEED_OF[code])
        assert entry["source_text"] in text, where
        assert entry["as_written"] in entry["source_text"], where
        written = entry["as_written"].replace(entry.get("thousands_separator", ","), "")
        assert Decimal(written) == Decimal(entry[key]), where


def test_loaded_values_equal_the_fixture(programmes):
    doc = fixture_document()
    for prog in doc["programmes"]:
        programme = programmes[prog["code"]]
        assert programme.title == prog["title"]
        if prog["budget"]:
            assert programme.budget_amount == Decimal(prog["budget"]["amount"])
            assert programme.budget_currency == prog["budget"]["currency"]
        lines = {f.donor: f for f in programme.funding.all()}
        assert set(lines) == {line["donor"] for line in prog["funding"]}
        for line in prog["funding"]:
            assert (lines[line["donor"]].amount, lines[line["donor"]].currency) == (
                Decimal(line["amount"]),
                line["currency"],
            )
        for ind in prog["indicators"]:
            [value] = IndicatorValue.objects.filter(indicator__programme=programme, indicator__code=ind["code"])
            assert value.value == Decimal(ind["actual"]["value"])
            assert value.source_text == ind["actual"]["source_text"]
        assert programme.objectives.count() == len(prog["objectives"])
        assert programme.outcomes.count() == len(prog["outcomes"])


def test_joint_programme_funding_adds_up_to_its_budget(programmes):
    joint = programmes[JOINT]
    assert joint.budget_amount == Decimal("1410097")
    assert sum(f.amount for f in joint.funding.all()) == joint.budget_amount
    assert {f.donor: f.amount for f in joint.funding.all()} == {
        "Belgium": Decimal("680097"),
        "Switzerland": Decimal("200000"),
        "UN Global Initiative to Fight Human Trafficking (UN GIFT)": Decimal("530000"),
    }


def test_irc_achievements_are_loaded(programmes):
    actual = {v.indicator.code: v.value for v in IndicatorValue.objects.filter(indicator__programme=programmes[IRC])}
    assert actual["clients-screened"] == 2184
    assert actual["presumed-supported"] == 876
    assert actual["clients-referred"] == 201
    assert actual["professionals-trained"] == 668
    assert (actual["roundtables"], actual["roundtable-participants"]) == (9, 118)
    assert (actual["leaflets"], actual["info-cards"]) == (4000, 10000)


def test_partners_are_organisations_and_existing_ones_are_kept(programmes):
    mup_name = Organisation.objects.get(code="mup").name
    load_programmes()
    assert Organisation.objects.get(code="mup").name == mup_name
    iom = Organisation.objects.select_related("type").get(code="iom")
    assert iom.type.code == "international"
    assert Organisation.objects.get(code="ngo-vatra").type.code == "ngo"
    implementing = {p.organisation.code for p in programmes[JOINT].partners.filter(role="implementing")}
    assert implementing == {"unhcr", "unodc", "iom"}


def test_loading_twice_changes_nothing(programmes):
    def snapshot():
        return {m.__name__: sorted(map(repr, m.objects.values())) for m in MODELS}

    before = snapshot()
    orgs = Organisation.objects.count()
    load_programmes()
    load_programmes()
    after = snapshot()
    # recorded_at is touched by a save; everything else must be the same.
    for rows in (before, after):
        rows["IndicatorValue"] = sorted(
            repr({k: v for k, v in r.items() if k != "recorded_at"}) for r in IndicatorValue.objects.values()
        )
    assert after == before
    assert Organisation.objects.count() == orgs


def test_broken_document_names_the_field_and_stores_nothing(no_programmes, tmp_path):
    doc = fixture_document()
    doc["programmes"][0]["funding"][1]["amount"] = "200001"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_programmes(path)
    assert "programmes[0].funding[1].as_written" in err.value.message_dict
    assert Programme.objects.count() == 0


def test_unknown_partner_names_the_field(no_programmes, tmp_path):
    doc = fixture_document()
    doc["programmes"][1]["partners"][0]["organisation"] = "nowhere"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_programmes(path)
    assert list(err.value.message_dict) == ["programmes[1].partners[0].organisation"]
    assert Programme.objects.count() == 0
