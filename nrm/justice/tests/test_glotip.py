"""UNODC's Global Report (GLOTIP): convicted persons by sentence length, and assets seized or confiscated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.audit.models import AuditEntry
from nrm.cases.tests.helpers import api, member, org
from nrm.core.errors import NotFound
from nrm.justice import selectors, services
from nrm.justice.models import ProceedingAsset, Verdict
from nrm.justice.sentences import BAND_ORDER, PRISON_BANDS, band_expression, band_of
from nrm.justice.statistics import sentenced_verdicts
from nrm.reporting.engine import TOTAL
from nrm.reporting.selectors import run_report
from nrm.reporting.tables import REPORTS

D = dt.date


def raw(name: str) -> dict:
    table = run_report(REPORTS[name], raw=True)
    return {tuple(c.key[d] for d in table.dims): c.count for c in (*table.cells, *table.totals) if c.count}


# --- The bands ---------------------------------------------------------------------------------


def test_the_prison_bands_cover_every_term_without_gap_or_overlap():
    assert PRISON_BANDS[0].low == 1 and PRISON_BANDS[-1].high is None
    for before, after in pairwise(PRISON_BANDS):
        assert before.high == after.low
    assert band_of(11, False, None) == "under_1y"
    assert band_of(12, False, None) == "1y_to_5y"
    assert band_of(59, False, None) == "1y_to_5y"
    assert band_of(60, False, None) == "5y_to_10y"
    assert band_of(120, False, None) == "10y_plus"
    assert band_of(130, True, None) == "suspended_or_fine"  # suspended, whatever its length
    assert band_of(None, False, Decimal("50000")) == "suspended_or_fine"
    assert band_of(30, False, Decimal("50000")) == "1y_to_5y"  # prison and a fine: the prison's band
    assert band_of(None, False, None) == "unknown"


@pytest.mark.django_db
def test_the_sql_band_is_the_python_band(proceeding_scene):
    """Every term from 1 to 600 months, suspended or not, with and without a fine, banded in the database."""
    verdict = Verdict.objects.get()
    cases = [(m, s, f) for m in [None, *range(1, 601)] for s in (False, True) for f in (None, Decimal("1000"))]
    cases = [(m, s, f) for m, s, f in cases if not (s and m is None)]
    for months, suspended, fine in cases[::7] + cases[-4:]:
        Verdict.objects.filter(pk=verdict.pk).update(prison_months=months, suspended=suspended, fine_amount=fine)
        found = Verdict.objects.filter(pk=verdict.pk).annotate(band=band_expression()).values_list("band", flat=True)
        assert found.get() == band_of(months, suspended, fine), (months, suspended, fine)


# --- Convicted persons by sentence length ------------------------------------------------------


def sentences_scene(world) -> None:
    """Final verdicts on trafficking charges (Art. 388, 389) and one on smuggling (Art. 350):

    - A (F, 2023): 18 months -> 1 to 5 years;
    - B (M): 388 in 2023, 130 months; 389 in 2024, 24 months suspended -> once, 10 years or more, 2023;
    - C (M, 2024): 12 months suspended; D (M, 2024): a fine only -> suspended or fine, both;
    - E (F, 2024): convicted, no sentence recorded -> unknown;
    - H (M, 2024): 388, 8 months; 350, 100 months (smuggling is not counted) -> less than 1 year;
    - I (M, 2024): 72 months -> 5 to 10 years;
    - G (M): convicted at first instance only (70 months); J (F): acquitted finally -> not counted.
    """
    police = lambda: fresh(world["police"])  # noqa: E731
    p = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="G1", investigation_on=D(2021, 3, 1)
    )

    def convict(name, sex, offences, *verdicts):
        d = services.defendant_add(actor=police(), proceeding=p, name=name, sex=sex, birth_year=1980, offences=offences)
        for code, instance, on, sentence in verdicts:
            outcome = sentence.pop("outcome", "convicted")
            services.verdict_record(
                actor=police(),
                charge=d.charges.get(offence__code=code),
                instance=instance,
                outcome=outcome,
                decided_on=on,
                **sentence,
            )

    convict("A", "F", ["388"], ("388", "final", D(2023, 5, 1), {"prison_months": 18}))
    convict(
        "B",
        "M",
        ["388", "389"],
        ("388", "final", D(2023, 6, 1), {"prison_months": 130}),
        ("389", "final", D(2024, 2, 1), {"prison_months": 24, "suspended": True}),
    )
    convict("C", "M", ["388"], ("388", "final", D(2024, 3, 1), {"prison_months": 12, "suspended": True}))
    convict("D", "M", ["388"], ("388", "final", D(2024, 3, 1), {"fine_amount": "200000", "fine_currency": "RSD"}))
    convict("E", "F", ["388"], ("388", "final", D(2024, 3, 1), {}))
    convict(
        "H",
        "M",
        ["388", "350"],
        ("388", "final", D(2024, 4, 1), {"prison_months": 8}),
        ("350", "final", D(2024, 4, 1), {"prison_months": 100}),
    )
    convict(
        "I",
        "M",
        ["388"],
        ("388", "first", D(2023, 9, 1), {"prison_months": 96}),
        ("388", "final", D(2024, 5, 1), {"prison_months": 72}),
    )
    convict("G", "M", ["388"], ("388", "first", D(2024, 5, 1), {"prison_months": 70}))
    convict("J", "F", ["388"], ("388", "final", D(2024, 5, 1), {"outcome": "acquitted"}))


def test_convicted_persons_by_sentence_length_worked_example(justice):
    sentences_scene(justice)
    assert sentenced_verdicts().count() == 7  # one verdict per person: A, B, C, D, E, H, I

    table = raw("justice_convicted_sentence")
    assert table[(2023, "1y_to_5y", "F")] == 1  # A
    assert table[(2023, "10y_plus", "M")] == 1  # B: the 130 months, in 2023; the suspended 24 months not
    assert table[(2024, "suspended_or_fine", "M")] == 2  # C (suspended), D (fine only)
    assert table[(2024, "unknown", "F")] == 1  # E
    assert table[(2024, "under_1y", "M")] == 1  # H: the smuggling sentence is not a trafficking one
    assert table[(2024, "5y_to_10y", "M")] == 1  # I: the final verdict's 72 months, not the first 96
    assert table[(2023, TOTAL, TOTAL)] == 2
    assert table[(2024, TOTAL, TOTAL)] == 5
    assert table[(TOTAL, TOTAL, TOTAL)] == 7  # B counted once; G (first instance) and J (acquitted) not
    assert table[(TOTAL, "suspended_or_fine", TOTAL)] == 2
    assert (2024, "suspended_or_fine", "M") in table and (2024, "10y_plus", TOTAL) not in table


def test_the_sentence_table_shows_every_band_and_is_suppressed(justice):
    sentences_scene(justice)
    table = run_report(REPORTS["justice_convicted_sentence"])
    assert table.domains[1] == BAND_ORDER  # the questionnaire's rows, zeros included
    assert table.grand_total().count == 7  # at the threshold or above: published
    assert all(c.suppressed or c.count == 0 for c in table.cells)  # cells of 1 and 2 are not


# --- Assets seized and confiscated -------------------------------------------------------------


def assets_scene(world):
    police = lambda: fresh(world["police"])  # noqa: E731
    p1 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="A1", investigation_on=D(2022, 1, 5)
    )
    p2 = services.proceeding_open(
        actor=police(), organisation=org("pu-bg"), reference="A2", investigation_on=D(2022, 6, 1)
    )
    for p, kind, amount, currency, on in [
        (p1, "seized", "300000", "RSD", D(2022, 2, 1)),
        (p1, "confiscated", "100000", "RSD", D(2023, 3, 1)),
        (p1, "confiscated", "5000.50", "EUR", D(2023, 3, 1)),
        (p2, "confiscated", "50000", "rsd", D(2023, 11, 1)),
        (p2, "confiscated", "20000", "RSD", D(2024, 1, 10)),
    ]:
        services.asset_record(actor=police(), proceeding=p, kind=kind, amount=amount, currency=currency, decided_on=on)
    return p1, p2


def test_assets_confiscated_count_proceedings_once_and_sum_by_currency(justice):
    assets_scene(justice)
    assert raw("justice_assets_confiscated") == {(2023,): 2, (2024,): 1, (TOTAL,): 2}  # P1 and P2 once in the total
    assert raw("justice_assets_seized") == {(2022,): 1, (TOTAL,): 1}

    table = run_report(REPORTS["justice_assets_confiscated"], raw=True)
    amounts = {row["year"]: row["amounts"] for row in selectors.asset_amounts(table, kind="confiscated")}
    assert amounts[2023] == [{"currency": "EUR", "amount": "5000.50"}, {"currency": "RSD", "amount": "150000.00"}]
    assert amounts[2024] == [{"currency": "RSD", "amount": "20000.00"}]
    assert amounts[None] == [{"currency": "EUR", "amount": "5000.50"}, {"currency": "RSD", "amount": "170000.00"}]
    assert set(amounts) == {2023, 2024, None}  # 2022, the year of the seizure only, is no row

    narrowed = run_report(REPORTS["justice_assets_confiscated"], raw=True, filters={"year": [2024]})
    total = selectors.asset_amounts(narrowed, kind="confiscated")[-1]
    assert total["year"] is None and total["amounts"] == [{"currency": "RSD", "amount": "20000.00"}]


def test_no_amount_beside_a_suppressed_count(justice):
    assets_scene(justice)
    published = {t.table.name: t for t in selectors.justice_statistics(fresh(justice["analyst"]))}
    confiscated = published["justice_assets_confiscated"]
    assert confiscated.assets and all(r["suppressed"] and r["amounts"] is None for r in confiscated.assets)
    assert confiscated.as_dict()["amounts"] == confiscated.assets
    assert published["justice_convicted_sentence"].table.dims == ["year", "sentence_band", "sex"]


def test_assets_are_checked_field_by_field_and_nothing_is_stored(justice):
    police = fresh(justice["police"])
    p = services.proceeding_open(
        actor=police, organisation=org("pu-bg"), reference="A3", investigation_on=D(2023, 1, 5)
    )
    good = {"kind": "confiscated", "amount": "1000.00", "currency": "RSD", "decided_on": D(2024, 1, 5)}
    bad = [
        ({"kind": "frozen"}, "kind"),
        ({"amount": ""}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "a lot"}, "amount"),
        ({"currency": ""}, "currency"),
        ({"currency": "DINAR"}, "currency"),
        ({"decided_on": dt.date.today() + dt.timedelta(days=2)}, "decided_on"),
        ({"decided_on": D(2022, 12, 31)}, "decided_on"),  # before the investigation opened
    ]
    for change, field in bad:
        with pytest.raises(ValidationError) as raised:
            services.asset_record(actor=fresh(police), proceeding=p, **{**good, **change})
        assert field in raised.value.message_dict, change
    assert not ProceedingAsset.objects.exists()

    asset = services.asset_record(actor=fresh(police), proceeding=p, **{**good, "currency": " eur "})
    assert (asset.currency, asset.amount, asset.kind) == ("EUR", Decimal("1000.00"), "confiscated")
    entry = AuditEntry.objects.filter(action="proceeding.asset").get()
    assert entry.detail == {"asset": asset.pk, "kind": "confiscated"}


def test_only_the_proceedings_justice_organisations_record_assets(justice):
    p = services.proceeding_open(
        actor=fresh(justice["police"]), organisation=org("pu-bg"), reference="A4", investigation_on=D(2023, 1, 5)
    )
    other = member("pu-ns-officer", "pu-ns", Role.FRONTLINE)
    with pytest.raises(NotFound):
        services.asset_record(actor=other, proceeding=p, kind="seized", amount="10", currency="RSD")
    assert not ProceedingAsset.objects.exists()


# --- Pages and API -----------------------------------------------------------------------------


def test_assets_are_recorded_on_the_proceedings_page(client, proceeding_scene):
    s = proceeding_scene
    client.force_login(s.users["prosecutor"])
    url = f"/justice/{s.proceeding.pk}/assets/new/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "seized", "amount": "12,5", "currency": "RSD", "decided_on": "2025-01-10"})
    assert response.status_code == 200 and "amount" in response.context["form"].errors
    response = client.post(url, {"kind": "seized", "amount": "750000", "currency": "RSD", "decided_on": "2025-01-10"})
    assert response.status_code == 302 and response["Location"] == f"/justice/{s.proceeding.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "750000.00 RSD" in page and "Seized provisionally" in page

    client.force_login(s.users["analyst"])
    statistics = client.get("/justice/statistics/").content.decode()
    assert "Proceedings with assets seized provisionally, by year" in statistics
    assert "Persons convicted of trafficking by a final verdict, by year, sentence length and sex" in statistics


def test_assets_in_the_api(proceeding_scene):
    s = proceeding_scene
    client = api(s.users["prosecutor"])
    url = f"/api/v1/justice/proceedings/{s.proceeding.pk}/"
    response = client.post(url + "assets/", {"kind": "confiscated", "amount": "10", "currency": "XX"}, format="json")
    assert response.status_code == 400 and "currency" in response.json()["errors"]
    data = {"kind": "confiscated", "amount": "2500.00", "currency": "EUR", "decided_on": "2025-06-01"}
    response = client.post(url + "assets/", data, format="json")
    assert response.status_code == 201
    assert client.get(url).json()["assets"] == [{"id": response.json()["id"], "proceeding": s.proceeding.pk, **data}]
