"""HTCDS export that keeps what it can (issue K): filled columns, NRM's extension columns, lossless round trip."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import fresh
from nrm.cases import services as case_services
from nrm.cases.choices import ClosureReason, Decision
from nrm.cases.models import Case, Person
from nrm.cases.tests.helpers import move, org, refer, share, state, statistics_consent_of
from nrm.children.models import BestInterestsDetermination, Guardian
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


def with_history(world, child: Case) -> None:
    """Give the child's case what only the history columns carry: a referral and a service, an
    earlier decision than the latest, a best-interests assessment with its determination."""
    from nrm.children import services as children
    from nrm.referrals.models import ServiceType

    actor = fresh(world["centre"])
    share(actor, child, "ngo-sigurna")
    referral = refer(actor, child, "ngo-sigurna", sent_on=dt.date(2024, 4, 3), urgency="urgent")
    move(world["ngo"], referral, "accepted")
    case_services.service_record(
        actor=actor,
        case=child,
        service_type=ServiceType.objects.get(code="accommodation"),
        organisation=org("ngo-sigurna"),
        status="delivered",
        started_on=dt.date(2024, 4, 4),
        ended_on=dt.date(2024, 6, 30),
        outcome="Stayed in the shelter; moved to her aunt.",
    )
    # The decision recorded first stays as an earlier one: the latest travels in nrm_decision.
    first = child.identifications.get()
    first.decision, first.decided_on = Decision.NOT_IDENTIFIED, dt.date(2024, 4, 5)
    first.save()
    case_services.identification_decide(
        actor=actor, case=child, decision=Decision.IDENTIFIED, grounds="New statement.", decided_on=dt.date(2024, 5, 2)
    )
    assessment = children.assessment_record(
        actor=actor,
        case=child,
        assessed_by="Social worker M. Jovanović",
        assessed_on=dt.date(2024, 4, 10),
        options_weighed="Return to the family; foster care.",
    )
    children.determination_record(
        actor=actor,
        case=child,
        assessment=assessment,
        determined_by="Panel of the Centre for Social Work",
        determined_on=dt.date(2024, 4, 20),
        decision="Foster care for six months.",
        review_on=dt.date(2024, 10, 20),
    )


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
    # A determination protects its assessment; both go with the case.
    BestInterestsDetermination.objects.filter(case__in=cases).delete()
    Case.objects.filter(pk__in=[c.pk for c in cases]).delete()
    Person.objects.filter(pk__in=people).delete()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_compares_every_field_of_every_row(world, tmp_path, suffix):
    from nrm.exchange.tests.test_htcds import centre_cases

    cases = centre_cases(world) + rich_cases(world)
    with_history(world, cases[-2])
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
    # The history columns were filled and came back the same (compared above, cell by cell).
    mila_row = dict(zip(before[0], before[5], strict=True))
    for column in ("nrm_referrals", "nrm_services", "nrm_decisions", "nrm_best_interests"):
        assert json.loads(mila_row[column]), column
    assert json.loads(mila_row["nrm_decisions"])[0]["decision"] == "not_identified"
    assert mila_row["nrm_decision"] == "identified"
    assert not [w for w in result.warnings if "not known here" in w]
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


def test_history_columns_hold_referrals_services_decisions_and_best_interests(world, tmp_path):
    child, _adult = rich_cases(world)
    with_history(world, child)
    path = tmp_path / "out.csv"

    htcds.htcds_export(actor=fresh(world["centre"]), path=path)

    mila = record(rows_of(path), 1)
    ngo = org("ngo-sigurna")
    centre = org("centre")
    assert json.loads(mila["nrm_referrals"]) == [
        {
            "kind": "service",
            "from": "centre",
            "from_name": centre.name,
            "to": "ngo-sigurna",
            "to_name": ngo.name,
            "service_type": "accommodation",
            "status": "accepted",
            "urgency": "urgent",
            "sent_on": "2024-04-03",
            "responded_on": json.loads(mila["nrm_referrals"])[0]["responded_on"],
            "without_consent": False,
            "legal_ground": "",
        }
    ]
    assert json.loads(mila["nrm_services"]) == [
        {
            "service_type": "accommodation",
            "organisation": "ngo-sigurna",
            "organisation_name": ngo.name,
            "status": "delivered",
            "started_on": "2024-04-04",
            "ended_on": "2024-06-30",
            "outcome": "Stayed in the shelter; moved to her aunt.",
        }
    ]
    assert json.loads(mila["nrm_decisions"]) == [
        {
            "decision": "not_identified",
            "decided_on": "2024-04-05",
            "organisation": "centre",
            "organisation_name": centre.name,
            "grounds": "Interview.",
        }
    ]
    (assessment,) = json.loads(mila["nrm_best_interests"])
    assert (assessment["organisation"], assessment["assessed_on"], assessment["options_weighed"]) == (
        "centre",
        "2024-04-10",
        "Return to the family; foster care.",
    )
    assert [(d["determined_on"], d["review_on"], d["decision"]) for d in assessment["determinations"]] == [
        ("2024-04-20", "2024-10-20", "Foster care for six months.")
    ]
    assert (mila["nrm_decision"], mila["nrm_decided_on"]) == ("identified", "2024-05-02")

    # Without the owner's staff's view (the command line), free texts stay home; the facts travel.
    htcds.htcds_export(actor=None, path=path)
    text = path.read_text(encoding="utf-8")
    for secret in ("moved to her aunt", "Jovanović", "foster care.", "Foster care", "Interview.", "Panel of"):
        assert secret not in text
    anonymous = record(rows_of(path), 1)
    assert json.loads(anonymous["nrm_services"])[0]["outcome"] == ""
    assert json.loads(anonymous["nrm_decisions"])[0]["decided_on"] == "2024-04-05"


def test_history_imports_as_history_not_as_live_referrals(world, tmp_path):
    """A referral received in a file opens the case to nobody here and counts in no statistic of this deployment."""
    from nrm.cases.selectors import case_get
    from nrm.core.errors import NotFound
    from nrm.exchange.models import ReceivedRecord
    from nrm.referrals.models import Referral

    child, _adult = rich_cases(world)
    with_history(world, child)
    path = tmp_path / "out.csv"
    htcds.htcds_export(actor=fresh(world["centre"]), path=path)
    _forget([child, _adult])
    referrals, services = Referral.objects.count(), case_services.ServiceDelivery.objects.count()

    result = htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))

    mila = result.cases[0]
    assert (Referral.objects.count(), case_services.ServiceDelivery.objects.count()) == (referrals, services)
    assert sorted(ReceivedRecord.objects.filter(case=mila).values_list("kind", flat=True)) == [
        "best_interests",
        "decision",
        "referral",
        "service",
    ]
    assert [i.decision for i in mila.identifications.all()] == ["identified"]
    with pytest.raises(NotFound):
        case_get(fresh(world["ngo"]), mila.pk)
    # Seen as the case is: the owner's staff read it, the receiver named in it does not.
    from nrm.accounts.access import restrict

    assert restrict(ReceivedRecord.objects.filter(case=mila), fresh(world["centre"]), "view").count() == 4
    assert not restrict(ReceivedRecord.objects.filter(case=mila), fresh(world["ngo"]), "view").exists()


def test_unknown_organisations_are_kept_as_text_and_said(world, tmp_path):
    referral = {
        "kind": "service",
        "from": "elsewhere-police",
        "from_name": "Police of Elsewhere",
        "to": "ngo-sigurna",
        "to_name": "Sigurna kuća",
        "service_type": "kayaking",
        "status": "completed",
        "urgency": "routine",
        "sent_on": "2023-02-01",
        "responded_on": "2023-02-02",
        "without_consent": False,
        "legal_ground": "",
    }
    path = write_csv(
        tmp_path / "in.csv", [{"prs_FirstName": "Ana", "con_Consent": "TRUE", "nrm_referrals": json.dumps([referral])}]
    )

    result = htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))

    assert result.warnings == [
        "row 2, column nrm_referrals: organisation “elsewhere-police” (Police of Elsewhere) is not known here; "
        "kept as text",
        "row 2, column nrm_referrals: service type “kayaking” is not known here; kept as text",
    ]
    out = tmp_path / "out.csv"
    htcds.htcds_export(actor=fresh(world["centre"]), path=out)
    assert json.loads(record(rows_of(out), 1)["nrm_referrals"]) == [referral]


def test_bad_history_cells_are_reported_by_row_and_column_and_nothing_is_stored(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            {"prs_FirstName": "Ana", "nrm_referrals": "not json"},
            {"prs_FirstName": "Iva", "nrm_services": '[{"service_type": "accommodation", "status": "delivered"}]'},
            {
                "prs_FirstName": "Eva",
                "nrm_decisions": '[{"decision": "guilty", "decided_on": "2024-01-01"}]',
                "nrm_best_interests": '[{"assessed_on": "2024-01-01", "determinations": [{"determined_on": "soon"}]}]',
            },
            {"prs_FirstName": "Mia", "nrm_referrals": '[{"from": "a", "to": "b", "status": "sent", "sent": "x"}]'},
        ],
    )
    before = state()

    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))

    assert [str(e) for e in caught.value.errors] == [
        "row 2, column nrm_referrals: is not a JSON list of referrals",
        "row 3, column nrm_services: service 1: organisation is missing",
        "row 4, column nrm_decisions: decision 1: decision “guilty” is not one of pending, identified, "
        "not_identified, discontinued",
        "row 4, column nrm_best_interests: assessment 1, determination 1: determined_on “soon” is not a date "
        "(use YYYY-MM-DD)",
        "row 5, column nrm_referrals: referral 1 has the unknown key “sent” (known: kind, from, from_name, to, "
        "to_name, service_type, status, urgency, sent_on, responded_on, without_consent, legal_ground)",
    ]
    assert state() == before


def test_retention_erases_the_free_texts_of_received_history_and_keeps_the_facts(world, tmp_path):
    from nrm.cases.retention import retention_apply
    from nrm.exchange.models import ReceivedRecord
    from nrm.exchange.received import ERASED

    decision = {"decision": "identified", "decided_on": "2011-03-01", "organisation": "centre", "grounds": "Named X."}
    service = {"service_type": "accommodation", "organisation": "ngo-sigurna", "status": "delivered", "outcome": "Y."}
    path = write_csv(
        tmp_path / "old.csv",
        [
            {
                "prs_FirstName": "Ana",
                "cas_IncomingReferralDate": "2011-01-05",
                "cas_Status": "Closed",
                "nrm_closure_reason": "reintegrated",
                "nrm_closed_on": "2011-06-01",
                "nrm_decisions": json.dumps([decision]),
                "nrm_services": json.dumps([service]),
            }
        ],
    )
    (case,) = htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre")).cases

    retention_apply()

    kept = {r.kind: json.loads(r.data) for r in ReceivedRecord.objects.filter(case=case)}
    assert (kept["decision"]["grounds"], kept["decision"]["decided_on"]) == (ERASED, "2011-03-01")
    assert (kept["service"]["outcome"], kept["service"]["status"]) == (ERASED, "delivered")
