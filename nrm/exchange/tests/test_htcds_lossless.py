"""HTCDS export that keeps what it can (issue K): filled columns, NRM's extension columns, lossless round trip."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.choices import ClosureReason, Decision
from nrm.cases.models import Case, Person
from nrm.cases.tests.helpers import org, state, statistics_consent_of
from nrm.children.models import Guardian
from nrm.exchange import htcds
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.models import PersonLink
from nrm.exchange.tests.test_htcds import rows_of, write_csv

OPENED = dt.date(2024, 4, 2)


def rich_cases(world) -> list[Case]:
    """Cases that use every field the export writes, extension columns included."""
    actor = fresh(world["centre"])
    centre = org("centre")
    child = case_services.case_open(
        actor=actor,
        organisation=centre,
        identity={"given_name": "Mila", "family_name": "Petrović", "date_of_birth": "2007-03-10"},
        sex="F",
        citizenship="RS",
        migration_status="national",
        forms=[],
        opened_on=OPENED,
        region="Beograd",
        guardian="Jelena Guardian",
        referral_source="family_citizen",
    )
    # The first episode (earliest start) entered second: the order follows the dates.
    case_services.episode_add(
        actor=actor,
        case=child,
        form="begging",
        country="RS",
        place="Zemun",
        started_on=dt.date(2023, 5, 1),
        recruiter_relationship="stranger",
    )
    case_services.episode_add(
        actor=actor,
        case=child,
        form="labour",
        country="HU",
        place="Szeged farm",
        started_on=dt.date(2021, 6, 1),
        ended_on=dt.date(2022, 1, 15),
        recruiter_relationship="partner",
    )
    statistics_consent_of(actor, child)
    case_services.identification_decide(actor=actor, case=child, decision=Decision.IDENTIFIED, grounds="Interview.")
    adult = case_services.case_open(
        actor=actor,
        organisation=centre,
        sex="M",
        birth_year=1985,
        citizenship="AF",
        migration_status="asylum_seeker",
        forms=["forced_labour"],
        opened_on=dt.date(2023, 2, 1),
        referral_source="self",
    )
    statistics_consent_of(actor, adult)
    case_services.identification_decide(
        actor=actor, case=adult, decision=Decision.DISCONTINUED, grounds="The person left."
    )
    adult.refresh_from_db()
    case_services.case_close(
        actor=actor,
        case=adult,
        reason=ClosureReason.TRANSFERRED,
        note="To Sigurna kuća",
        expected_version=adult.version,
    )
    return [child, adult]


def record(rows: list[list[str]], i: int) -> dict[str, str]:
    return {k: v for k, v in zip(rows[0], rows[i], strict=True) if v}


def test_export_fills_age_event_organisations_source_and_extensions(world, tmp_path):
    child, _adult = rich_cases(world)
    path = tmp_path / "out.csv"

    htcds.htcds_export(actor=fresh(world["centre"]), path=path)

    rows = rows_of(path)
    centre = org("centre")
    mila, ahmad = record(rows, 1), record(rows, 2)
    # Age at the first episode's start (1 June 2021), from the date of birth: 14.
    assert mila["vic_AgeWhenTrafficked"] == "14"
    assert (mila["hte_Type"], mila["hte_Country"], mila["hte_City"], mila["hte_Date"]) == (
        "Exploitation",
        "HU",
        "Szeged farm",
        "2021-06-01",
    )
    assert mila["nrm_exploitation_end"] == "2022-01-15"
    assert (mila["org_Name"], mila["org_Type"]) == (centre.name, "CentralGovernmentOrganisation")
    assert mila["cas_ReferringOrganisation"] == "Family member or citizen"
    assert mila["cas_IncomingReferralDate"] == "2024-04-02"
    assert mila["vic_TypeOfExploitation"] == "ForcedLabour;ForcedBegging"
    assert mila["vic_RelationshipToTrafficker"] == "Acquainted"  # the partner of the first episode
    assert {k: v for k, v in mila.items() if k.startswith("nrm_")} == {
        "nrm_birth_year": "2007",
        "nrm_age_band": "14-17",
        "nrm_migration_status": "national",
        "nrm_guardian": "TRUE",
        "nrm_region": "Beograd",
        "nrm_referral_source": "family_citizen",
        "nrm_form": "labour",
        "nrm_recruiter_relationship": "partner",
        "nrm_exploitation_end": "2022-01-15",
        "nrm_episodes": json.dumps(
            [
                {
                    "form": "begging",
                    "country": "RS",
                    "place": "Zemun",
                    "started_on": "2023-05-01",
                    "ended_on": None,
                    "recruiter_relationship": "stranger",
                }
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        "nrm_decision": "identified",
        "nrm_decided_on": child.identifications.get().decided_on.isoformat(),
        "nrm_decision_grounds": "Interview.",
    }
    # The guardian's identity never travels, only that one is appointed.
    assert "Jelena" not in path.read_text(encoding="utf-8")
    # A transferred case is HTCDS's ClosedReferred, the reason by name, the code in NRM's column;
    # discontinued, which HTCDS calls possible, is kept exactly.
    assert (ahmad["cas_Status"], ahmad["cas_ReasonForCaseClosure"], ahmad["nrm_closure_reason"]) == (
        "ClosedReferred",
        "Transferred to another organisation: To Sigurna kuća",
        "transferred",
    )
    assert (ahmad["vic_TraffickingStatus"], ahmad["nrm_decision"]) == ("PossibleVictimOfTrafficking", "discontinued")
    assert ahmad["cas_ReferringOrganisation"] == "Self-referral"
    assert "vic_AgeWhenTrafficked" not in ahmad  # no date of exploitation
    assert (ahmad["nrm_birth_year"], ahmad["nrm_migration_status"]) == ("1985", "asylum_seeker")


def test_pseudonymised_export_keeps_places_grounds_and_exact_age_out(world, tmp_path):
    rich_cases(world)
    path = tmp_path / "all.csv"

    htcds.htcds_export(actor=None, path=path)

    text = path.read_text(encoding="utf-8")
    for secret in ("Szeged farm", "Zemun", "Interview.", "Mila", "2007-03-10"):
        assert secret not in text
    # Without the date of birth, the age is the one reached in the year: 2021 - 2007.
    assert record(rows_of(path), 1)["vic_AgeWhenTrafficked"] == "14"


def _forget(cases: list[Case]) -> None:
    """Remove exported cases, as if the file were imported into another deployment's database."""
    people = [c.person_id for c in cases]
    PersonLink.objects.all().delete()
    Case.objects.filter(pk__in=[c.pk for c in cases]).delete()
    Person.objects.filter(pk__in=people).delete()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_compares_every_field_of_every_row(world, tmp_path, suffix):
    from nrm.exchange.tests.test_htcds import centre_cases

    cases = centre_cases(world) + rich_cases(world)
    first = tmp_path / f"first{suffix}"
    htcds.htcds_export(actor=fresh(world["centre"]), path=first)
    _forget(cases)

    result = htcds.htcds_import(actor=fresh(world["centre"]), path=first, organisation=org("centre"))
    second = tmp_path / f"second{suffix}"
    htcds.htcds_export(actor=fresh(world["centre"]), path=second)

    before, after = rows_of(first), rows_of(second)
    assert len(result.cases) == 6 and len(before) == 7
    assert before[0] == after[0] == htcds.export_columns()
    for i in range(1, len(before)):
        assert dict(zip(before[0], after[i], strict=True)) == dict(zip(before[0], before[i], strict=True))
    mila = Case.objects.get(pk=sorted(c.pk for c in result.cases)[4])
    assert Guardian.objects.get(case=mila).name == htcds.GUARDIAN_PLACEHOLDER
    assert [(e.form.code, e.place) for e in mila.episodes.order_by("pk")] == [
        ("labour", "Szeged farm"),
        ("begging", "Zemun"),
    ]


def test_labour_round_trips_as_labour_even_in_a_plain_htcds_file(world, tmp_path):
    actor = fresh(world["centre"])
    case = case_services.case_open(actor=actor, organisation=org("centre"), forms=["labour"], opened_on=OPENED)
    statistics_consent_of(actor, case)
    path = tmp_path / "labour.csv"
    htcds.htcds_export(actor=actor, path=path)
    rows = rows_of(path)
    # Without NRM's columns, as another system writes HTCDS.
    plain = write_csv(tmp_path / "plain.csv", [{k: v for k, v in record(rows, 1).items() if not k.startswith("nrm_")}])

    result = htcds.htcds_import(actor=actor, path=plain, organisation=org("centre"))

    assert record(rows, 1)["vic_TypeOfExploitation"] == "ForcedLabour"
    assert list(result.cases[0].forms.values_list("code", flat=True)) == ["labour"]


def test_a_plain_htcds_file_imports_without_extension_columns(world, tmp_path):
    path = write_csv(
        tmp_path / "plain.csv",
        [
            {
                "prs_FirstName": "Ana",
                "vic_TypeOfExploitation": "ForcedBegging",
                "vic_AgeWhenTrafficked": "16",
                "hte_Type": "Exploitation",
                "hte_Date": "2022-05-01",
                "cas_ReferringOrganisation": "Self-referral",
                "cas_Status": "Closed",
                "cas_ReasonForCaseClosure": "Contact lost: moved away",
            }
        ],
    )

    (case,) = htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre")).cases

    case.refresh_from_db()
    assert (case.person.birth_year, case.referral_source) == (2006, "self")
    assert (case.closure_reason, case.closure_note) == ("lost_contact", "moved away")
    assert [(e.form.code, e.started_on) for e in case.episodes.all()] == [("begging", dt.date(2022, 5, 1))]
    assert not Guardian.objects.filter(case=case).exists()


def test_bad_extension_cells_are_reported_by_column_and_nothing_is_stored(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            {"prs_FirstName": "Ana", "nrm_migration_status": "tourist", "nrm_guardian": "perhaps"},
            {"prs_FirstName": "Iva", "nrm_episodes": '[{"form": "begging", "town": "x"}]'},
            {"prs_FirstName": "Eva", "nrm_form": "begging", "nrm_episodes": '[{"form": "dancing"}]'},
            {
                "prs_FirstName": "Mia",
                "cas_IncomingReferralDate": "2024-04-02",
                "vic_TraffickingStatus": "ActualVictimOfTrafficking",
                "nrm_decided_on": "2024-01-01",
            },
        ],
    )
    before = state()

    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))

    assert [str(e) for e in caught.value.errors] == [
        "row 2, column nrm_migration_status: “tourist” is not one of national, regular_migrant, irregular_migrant, "
        "asylum_seeker, refugee, stateless, unknown",
        "row 2, column nrm_guardian: “perhaps” is not a checkbox value (use TRUE or FALSE)",
        "row 3, column nrm_episodes: an episode has the unknown key “town” (known: form, country, place, "
        "started_on, ended_on, recruiter_relationship)",
    ]
    assert state() == before

    # Cells that read well, refused by the services: the row and the column named.
    path = write_csv(tmp_path / "bad2.csv", [dict(r) for r in _rows_of_csv(path)[3:]])
    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))
    assert [str(e) for e in caught.value.errors] == [
        "row 2, column nrm_episodes: Choose a form of exploitation from the list.",
        "row 3, column nrm_decided_on: The decision cannot be before the case was opened.",
    ]
    assert state() == before


def _rows_of_csv(path) -> list[dict]:
    rows = rows_of(path)
    return [{k: v for k, v in zip(rows[0], r, strict=True) if v} for r in rows]
