"""HTCDS v2.0: export, import through the services, the standard's inconsistencies, round trip."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.accounts.models import Membership, Organisation, OrganisationType, User
from nrm.audit.models import AuditEntry
from nrm.cases import services as case_services
from nrm.cases.choices import ClosureReason, ConsentPurpose, Decision
from nrm.cases.models import Case
from nrm.cases.tests.helpers import COUNTED, member, org, state, statistics_consent_of
from nrm.exchange import htcds
from nrm.exchange.ctdc import ImportFailed
from nrm.exchange.models import PersonLink
from nrm.exchange.tabular import read_table

OPENED = dt.date(2024, 4, 2)


def rows_of(path: Path) -> list[list[str]]:
    table = read_table(path)
    try:
        # XLSX rows end at their last filled cell: padded to the header, as CSV rows are.
        width = len(table.header)
        return [table.header, *[cells + [""] * (width - len(cells)) for _n, cells in table.rows]]
    finally:
        table.close()


def write_csv(path: Path, rows: list[dict]) -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def centre_cases(world) -> list[Case]:
    """Open four cases at the Centre that between them use every field HTCDS carries."""
    actor = fresh(world["centre"])
    centre = org("centre")
    first = case_services.case_open(
        actor=actor,
        organisation=centre,
        identity={
            "given_name": "Марија",
            "family_name": "Јовановић",
            "date_of_birth": "1990-05-17",
            "document_number": "P123",
            "contact": "+381 64 555 0101",
            "address": "Кнеза Милоша 1, Београд",
        },
        sex="F",
        citizenship="RS",
        forms=["sexual", "pornography"],
        opened_on=OPENED,
        country_of_exploitation="DE",
        place_of_exploitation="Berlin",
    )
    first = case_services.case_update(
        actor=actor,
        case=first,
        expected_version=first.version,
        exploitation_start=dt.date(2023, 9, 1),
        plan_goals="Safe housing; legal aid.",
    )
    case_services.consent_record(actor=actor, case=first, purpose=ConsentPurpose.STATISTICS, given_on=OPENED)
    case_services.identification_decide(actor=actor, case=first, decision=Decision.IDENTIFIED, grounds="Interview.")
    case_services.note_add(actor=actor, case=first, text="First contact at the border.")
    case_services.note_add(actor=actor, case=first, text="Moved to the shelter.")
    first.refresh_from_db()
    case_services.case_close(
        actor=actor,
        case=first,
        reason=ClosureReason.REINTEGRATED,
        note="Back at school",
        expected_version=first.version,
    )
    second = case_services.case_open(
        actor=actor,
        organisation=centre,
        identity={"given_name": "Ahmad", "family_name": "Rahimi", "contact": "ahmad@example.org"},
        sex="M",
        citizenship="AF",
        forms=["labour", "begging"],
        opened_on=OPENED,
    )
    case_services.identification_decide(
        actor=actor, case=second, decision=Decision.NOT_IDENTIFIED, grounds="No indicators."
    )
    # A second episode of labour, recruited by an employer: HTCDS says Acquainted (one value per victim).
    case_services.episode_add(actor=actor, case=second, form="labour", country="HU", recruiter_relationship="employer")
    third = case_services.case_open(
        actor=actor, organisation=centre, sex="X", forms=["criminality"], opened_on=dt.date(2023, 1, 5)
    )
    # Every one consents to "use in statistics": the export leaves out a case without it.
    for case in (second, third):
        statistics_consent_of(actor, case)
    case_services.case_close(actor=actor, case=third, reason=ClosureReason.TRANSFERRED, expected_version=third.version)
    fourth = case_services.case_open(
        actor=actor,
        organisation=centre,
        identity={"given_name": "Ana", "family_name": "Ilić", "date_of_birth": "2012-02-29"},
        sex="F",
        forms=["forced_marriage"],
        opened_on=OPENED,
    )
    statistics_consent_of(actor, fourth)
    return [first, second, third, fourth]


OWNER_COLUMNS = {"org_Name", "org_Type", "cas_ReferringOrganisation"}


def without_owner(rows: list[list[str]]) -> list[list[str]]:
    """Return the rows without the columns that name the owner (an import has another owner)."""
    keep = [i for i, name in enumerate(rows[0]) if name not in OWNER_COLUMNS]
    return [[row[i] for i in keep] for row in rows]


def second_centre() -> User:
    """Return an identification officer of another, empty identification authority."""
    other = Organisation.objects.create(
        code="centre-2", name="Second centre", type=OrganisationType.objects.get(is_identification_authority=True)
    )
    user = User.objects.create_user(username="centre2", password="x")
    Membership.objects.create(user=user, organisation=other, role=Role.IDENTIFIER)
    return user


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_loses_nothing_htcds_carries(world, tmp_path, suffix):
    centre_cases(world)
    first = tmp_path / f"first{suffix}"
    htcds.htcds_export(actor=fresh(world["centre"]), path=first)

    # Into an organisation that starts empty: its cases are exactly those imported.
    importer = second_centre()
    result = htcds.htcds_import(actor=fresh(importer), path=first, organisation=org("centre-2"))
    second = tmp_path / f"second{suffix}"
    htcds.htcds_export(actor=fresh(importer), path=second)

    exported = rows_of(first)
    # Only the owner differs: the importing organisation is another one.
    assert without_owner(rows_of(second)) == without_owner(exported)
    assert len(result.cases) == 4 and len(exported) == 5
    header = exported[0]
    marija = dict(zip(header, exported[1], strict=True))
    centre, today = org("centre"), timezone.localdate().isoformat()
    assert {k: v for k, v in marija.items() if v} == {
        "org_Name": centre.name,
        "org_Type": "CentralGovernmentOrganisation",
        "prs_FirstName": "Марија",
        "prs_SecondName": "Јовановић",
        "prs_Birthdate": "1990-05-17",
        "prs_Gender": "Feminine",
        "prs_Citizenship": "RS",
        "prs_IdentityNumber": "P123",
        "prs_MobilePhone": "+381 64 555 0101",
        "prs_MailingStreet": "Кнеза Милоша 1, Београд",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "vic_TraffickingStatusDecisionMakingOrg": "NonPoliceGovernmentalOrganization",
        "vic_TypeOfExploitation": "SexualExploitation",
        "vic_TypeOfSexExploitation": "Pornography",
        "cas_Status": "Closed",
        "cas_ReasonForCaseClosure": "Reintegrated; goals of the plan reached: Back at school",
        "cas_ReferringOrganisation": centre.name,
        "cas_IncomingReferralDate": "2024-04-02",
        "cco_CaseComment": "First contact at the border.\n\nMoved to the shelter.",
        "hte_Country": "DE",
        "hte_City": "Berlin",
        "hte_Date": "2023-09-01",
        "hte_Type": "Exploitation",
        "spl_Objectives": "Safe housing; legal aid.",
        "con_Consent": "TRUE",
        "vic_AgeWhenTrafficked": "33",
        "nrm_birth_year": "1990",
        "nrm_age_band": "25-34",
        "nrm_migration_status": "unknown",
        "nrm_guardian": "FALSE",
        "nrm_referral_source": "organisation",
        "nrm_form": "sexual",
        "nrm_recruiter_relationship": "unknown",
        "nrm_episodes": '[{"form":"pornography","country":"DE","place":"Berlin","started_on":null,'
        '"ended_on":null,"recruiter_relationship":"unknown"}]',
        "nrm_decision": "identified",
        "nrm_decided_on": today,
        "nrm_decision_grounds": "Interview.",
        "nrm_closure_reason": "reintegrated",
        "nrm_closed_on": today,
    }
    ahmad = dict(zip(header, exported[2], strict=True))
    assert (ahmad["vic_TypeOfExploitation"], ahmad["vic_RelationshipToTrafficker"]) == (
        "ForcedLabour;ForcedBegging",
        "Acquainted",
    )
    assert header == htcds.export_columns() and "vic_Vulnerabilities" not in header
    imported = Case.objects.filter(owner__code="centre-2").order_by("pk")
    assert [c.identification_status for c in imported] == ["identified", "not_identified", "pending", "pending"]
    assert [c.status for c in imported] == ["closed", "open", "closed", "open"]
    assert imported[3].is_child is True  # from the date of birth, as case_open decides
    # NRM's extension columns bring the episodes back as they were; the forms follow the episodes.
    episodes = imported[1].episodes.order_by("pk")
    assert [(e.form.code, e.country, e.recruiter_relationship) for e in episodes] == [
        ("labour", "", "unknown"),
        ("begging", "", "unknown"),
        ("labour", "HU", "employer"),
    ]
    assert sorted(imported[1].forms.values_list("code", flat=True)) == ["begging", "labour"]
    # The same people, entered by two organisations: proposed as probable duplicates.
    assert PersonLink.objects.count() == 3


def test_export_leaves_out_cases_without_statistics_consent(world, tmp_path, settings):
    centre_cases(world)
    withheld = case_services.case_open(
        actor=fresh(world["centre"]),
        organisation=org("centre"),
        identity={"given_name": "Withheld", "family_name": "Person"},
        sex="F",
        opened_on=OPENED,
    )
    path = tmp_path / "consent.csv"

    assert htcds.htcds_export(actor=fresh(world["centre"]), path=path).rows == 4
    assert "Withheld" not in path.read_text(encoding="utf-8")
    entry = AuditEntry.objects.filter(action="case.export").latest("id")
    assert withheld.pk not in entry.detail["cases"]

    # Where the law is the basis of official statistics, every case goes, its consent shown as absent.
    settings.NRM_STATISTICS_BASIS = "legal_basis"
    assert htcds.htcds_export(actor=fresh(world["centre"]), path=path).rows == 5
    rows = rows_of(path)
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if "Withheld" in r)
    assert row["con_Consent"] == "FALSE"


def test_export_follows_the_access_rule_and_is_audited(world, tmp_path):
    cases = centre_cases(world)
    police_case = case_services.case_open(
        actor=fresh(world["police"]),
        organisation=org("pu-bg"),
        identity={"given_name": "Secret", "family_name": "Person"},
        opened_on=OPENED,
    )
    statistics_consent_of(world["police"], police_case)
    path = tmp_path / "police.csv"

    result = htcds.htcds_export(actor=fresh(world["police"]), path=path)

    assert (result.rows, result.with_identity) == (1, 1)
    assert "Марија" not in path.read_text() and "Secret" in path.read_text()
    entry = AuditEntry.objects.get(action="case.export")
    assert (entry.actor, entry.detail["cases"]) == ("police", [police_case.pk])
    # The coordinator has no case access at all: an empty file.
    assert htcds.htcds_export(actor=fresh(world["coordinator"]), path=tmp_path / "c.csv").rows == 0
    assert len(cases) == 4


def test_enumeration_errors_are_reported_by_row_and_column_and_nothing_is_stored(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            {"prs_FirstName": "Ana", "prs_Gender": "Feminine", "vic_TypeOfExploitation": "ForcedLabour"},
            {"prs_FirstName": "Ivan", "prs_Gender": "Female", "vic_TypeOfExploitation": "ForcedLabour;Slavery"},
            {"prs_FirstName": "Eva", "prs_Birthdate": "17.03.1991", "con_Consent": "maybe", "prs_Citizenship": "XY"},
        ],
    )
    before = state()

    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(actor=fresh(world["centre"]), path=path, organisation=org("centre"))

    assert [str(e) for e in caught.value.errors] == [
        "row 3, column prs_Gender: “Female” is not one of Feminine, Masculine, TransgenderFeminine, "
        "TransgenderMasculine, NonConforming, NonSpecifiedUnknown",
        "row 3, column vic_TypeOfExploitation: “Slavery” is not one of ForcedLabour, SexualExploitation, ChildLabour, "
        "ForcedMarriage, Servitude, ForcedMilitaryByNonStateActors, OrganRemoval, ForcedBegging, ForcedAdoption, "
        "Surrogacy, Other",
        "row 4, column prs_Birthdate: “17.03.1991” is not a date (use YYYY-MM-DD)",
        "row 4, column con_Consent: “maybe” is not a checkbox value (use TRUE or FALSE)",
        "row 4, column prs_Citizenship: “XY” is not an ISO 3166 country code",
    ]
    assert state() == before


def test_service_errors_are_reported_by_row_and_column_and_nothing_is_stored(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            {
                "prs_FirstName": "Ana",
                "prs_Birthdate": "1990-01-01",
                "vic_TraffickingStatus": "ActualVictimOfTrafficking",
            },
            {"prs_FirstName": "Ivan", "prs_Birthdate": "2999-01-01"},
        ],
    )
    before = state()

    # A case worker of an NGO may open cases but not decide identification.
    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(actor=fresh(world["ngo"]), path=path, organisation=org("ngo-sigurna"))

    assert [str(e) for e in caught.value.errors] == [
        "row 2, column vic_TraffickingStatus: only an identification officer of an identification authority may "
        "record this",
        "row 3, column prs_Birthdate: The date cannot be in the future.",
    ]
    assert state() == before
    assert not AuditEntry.objects.filter(action__in=["case.open", "exchange.htcds_import"]).exists()


def test_only_case_managers_of_the_organisation_import(world, tmp_path):
    path = write_csv(tmp_path / "one.csv", [{"prs_FirstName": "Ana"}])
    with pytest.raises(ImportFailed, match="police manages no organisation's cases"):
        htcds.import_organisation(fresh(world["police"]), None)
    with pytest.raises(ImportFailed, match="ngo cannot import cases for the organisation “pu-bg”"):
        htcds.import_organisation(fresh(world["ngo"]), "pu-bg")
    with pytest.raises(ImportFailed, match="ngo cannot import cases for pu-bg"):
        htcds.htcds_import(actor=fresh(world["ngo"]), path=path, organisation=org("pu-bg"))
    assert htcds.import_organisation(fresh(world["ngo"]), None).code == "ngo-sigurna"


def test_the_standards_own_inconsistencies_are_handled(world, tmp_path):
    """The Excel template's layout and typo, labels with no-break spaces and ';', aliases."""
    names = ["", "prs_FirstName", "prs_Gender", "vic_TraffickinStatusDecisionMakingOrg", "vic_MethodsOfControl"]
    names += ["vic_TypeOfExploitation", "vic_ForcedLabourIndustry", "", "prs_First_Name_Unknown_Column"]
    labels = ["", "First Name", "Gender", "Trafficking Status Decision Making Organization", "Methods of Control"]
    labels += ["Type of Exploitation", "Forced Labour Industry", "Type of Sex Exploitation", "Whatever"]
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(names)
    ws.append(labels)
    ws.append(
        [
            1,
            "Mira",
            "Feminine\u00a0",  # the label as the standard writes it, with a no-break space
            "Non-police governmental organization",
            "DebtBondage ;RestrictsMovement;MethodsOfControlThreats;psychoactive substance",
            "Forced labour;Sexual exploitation",
            "Water supply; sewerage, waste management and remediation",  # a label containing ';'
            "Prostitution",
            "x",
        ]
    )
    ws.append([2] + [None] * 8)  # the template's numbered empty rows
    ws.append([3, "Lea", "Masculine", None, None, "ForcedBegging ChildLabour", None, None, None])  # ODK style
    path = tmp_path / "template.xlsx"
    book.save(path)

    rows, warnings = htcds.read_htcds(path)

    assert [r.number for r in rows] == [3, 5]
    assert rows[0].values == {
        "prs_FirstName": "Mira",
        "prs_Gender": "Feminine",
        "vic_TraffickingStatusDecisionMakingOrg": "NonPoliceGovernmentalOrganization",
        "vic_MethodsOfControl": ["DebtBondage", "RestrictsMovement", "PhysicalThreats", "PsychoactiveSubstance"],
        "vic_TypeOfExploitation": ["ForcedLabour", "SexualExploitation"],
        "vic_ForcedLabourIndustry": "E_WaterSupplySewerageWasteManagement",
        "vic_TypeOfSexExploitation": ["Prostitution"],
    }
    assert rows[1].values["vic_TypeOfExploitation"] == ["ForcedBegging", "ChildLabour"]
    assert "unknown column “prs_First_Name_Unknown_Column” ignored" in warnings
    assert "column vic_MethodsOfControl: not kept by NRM (1 row(s) had a value)" in warnings

    result = htcds.htcds_import(actor=fresh(world["ngo"]), path=path, organisation=org("ngo-sigurna"))

    mira, lea = result.cases
    # HTCDS's ForcedLabour is labour exploitation, the wider form (forced labour is a kind of it).
    assert sorted(mira.forms.values_list("code", flat=True)) == ["labour", "sexual"]
    assert sorted(lea.forms.values_list("code", flat=True)) == ["begging", "labour"]
    assert (mira.person.sex, lea.person.sex) == ("F", "M")


def test_commands(world, tmp_path, capsys):
    centre_cases(world)
    path = tmp_path / "out.xlsx"

    call_command("export", "htcds", str(path), "--user", "centre")
    assert "exported 4 cases to" in capsys.readouterr().out

    importer = second_centre()
    call_command("import", "htcds", str(path), "--user", importer.username)
    assert "imported 4 cases of out.xlsx into centre-2" in capsys.readouterr().out

    with pytest.raises(CommandError, match="--organisation CODE"):
        call_command("import", "htcds", str(path))
    bad = write_csv(tmp_path / "bad.csv", [{"prs_Gender": "Female"}])
    before = {m.__name__: m.objects.count() for m in COUNTED}
    with pytest.raises(CommandError, match="1 error"):
        call_command("import", "htcds", str(bad), "--user", "ngo")
    assert "row 2, column prs_Gender: “Female” is not one of" in capsys.readouterr().err
    assert {m.__name__: m.objects.count() for m in COUNTED} == before


def test_forms_mapping_is_stable_under_round_trip():
    for codes in (["sexual"], ["pornography"], ["sexual", "pornography"], ["labour"], ["criminality", "organs"]):
        types, sex_types = htcds.forms_to_htcds(codes)
        again = htcds.forms_to_htcds(htcds.forms_from_htcds(types, sex_types))
        assert again == (types, sex_types)


def test_member_helper_still_works(world):
    # The helpers of the case tests are reused here; keep them honest.
    assert member("x1", "pu-bg", Role.CASEWORKER).memberships.get().organisation.code == "pu-bg"


def test_command_line_export_is_every_case_without_identity(world, tmp_path, capsys):
    centre_cases(world)
    path = tmp_path / "all.csv"
    call_command("export", "htcds", str(path))
    assert "exported 4 cases" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    for secret in ("Марија", "Rahimi", "Ilić", "ahmad@example.org", "First contact at the border"):
        assert secret not in text
    entry = AuditEntry.objects.filter(action="case.export").latest("id")
    assert entry.actor == "command line" and len(entry.detail["cases"]) == 4


def test_command_line_import_acts_as_the_organisations_import_account(world, tmp_path, capsys):
    centre_cases(world)
    path = tmp_path / "out.csv"
    call_command("export", "htcds", str(path), "--user", "centre")
    second_centre()
    call_command("import", "htcds", str(path), "--organisation", "centre-2")
    assert "imported 4 cases of out.csv into centre-2" in capsys.readouterr().out
    account = User.objects.get(username="import-centre-2")
    assert not account.has_usable_password()
    assert Case.objects.filter(owner__code="centre-2", opened_by=account).count() == 4
    with pytest.raises(CommandError, match="no active organisation"):
        call_command("import", "htcds", str(path), "--organisation", "nowhere")


# --- The bulk path ---------------------------------------------------------------------------


def _many(n: int) -> list[dict]:
    return [
        {
            "prs_FirstName": f"Ana{i}",
            "prs_SecondName": "Ilić",
            "prs_Birthdate": "1990-01-01",
            "prs_Gender": "Feminine",
            "vic_TypeOfExploitation": "ForcedLabour",
            "vic_TraffickingStatus": "ActualVictimOfTrafficking" if i % 2 else "",
            "con_Consent": "TRUE",
            "cco_CaseComment": f"Met at the shelter {i}.",
            "cas_Status": "Closed" if i % 3 == 0 else "Active",
            "cas_IncomingReferralDate": "2024-04-02",
        }
        for i in range(n)
    ]


def test_bulk_import_encrypts_bound_identity_and_audits_every_case(world, tmp_path, monkeypatch):
    from django.db import connection

    from nrm.audit.services import audit_verify
    from nrm.cases.models import CaseNote, Person

    seen = []
    monkeypatch.setattr(case_services, "cases_open_bulk", _small_batches(case_services.cases_open_bulk))
    result = htcds.htcds_import(
        actor=fresh(world["centre"]),
        path=write_csv(tmp_path / "many.csv", _many(5)),
        organisation=org("centre"),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen == [(2, 5), (4, 5), (5, 5)]
    cases = sorted(result.cases, key=lambda c: c.pk)
    assert [c.reference for c in cases] == [f"2024-{c.pk:06d}" for c in cases]
    assert [Case.objects.get(pk=c.pk).reference for c in cases] == [c.reference for c in cases]
    person = Person.objects.get(cases=cases[1])
    assert (person.given_name, person.family_name, person.date_of_birth) == ("Ana1", "Ilić", "1990-01-01")
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM cases_person WHERE id = %s", [person.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("v2:") and "Ana1" not in stored
    # Bound to its row: the same ciphertext under another row's binding does not decrypt.
    other = Person.objects.get(cases=cases[2])
    assert Person._meta.get_field("given_name").open(other, stored) != "Ana1"
    assert person.linkage_key and person.linkage_key != other.linkage_key
    assert CaseNote.objects.get(case=cases[1]).text == "Met at the shelter 1."
    assert [c.identification_status for c in cases] == ["pending", "identified", "pending", "identified", "pending"]
    assert [c.status for c in cases] == ["closed", "open", "open", "closed", "open"]
    assert all(c.consents.get().purpose == ConsentPurpose.STATISTICS for c in cases)
    opened = AuditEntry.objects.filter(action="case.open", object_id__in=[str(c.pk) for c in cases])
    assert opened.count() == 5 and {e.detail["source"] for e in opened} == {"htcds:many.csv"}
    assert AuditEntry.objects.get(action="exchange.htcds_import").detail["cases"] == [c.pk for c in result.cases]
    assert audit_verify().ok


def _small_batches(bulk):
    def call(**kwargs):
        return bulk(**kwargs, batch_size=2)

    return call


def test_bulk_import_errors_anywhere_store_nothing_and_are_all_reported(world, tmp_path):
    rows = _many(40)
    rows[3]["prs_Birthdate"] = "2999-01-01"
    rows[37]["prs_FirstName"] = "x" * 121
    rows[38]["cas_ReasonForCaseClosure"] = "weird"  # not closed: a warning, not an error
    rows[39]["prs_Citizenship"] = "RS;DE"  # two countries: a warning, the first kept
    before = state()

    with pytest.raises(ImportFailed) as caught:
        htcds.htcds_import(
            actor=fresh(world["ngo"]), path=write_csv(tmp_path / "bad.csv", rows), organisation=org("ngo-sigurna")
        )

    errors = [str(e) for e in caught.value.errors]
    assert errors[0] == (
        "row 3, column vic_TraffickingStatus: only an identification officer of an identification authority may "
        "record this"
    )
    assert "row 5, column prs_Birthdate: The date cannot be in the future." in errors
    assert "row 39, column prs_FirstName: Use at most 120 characters." in errors
    # One error per refused row, the first the services find: the odd rows' decisions, two of
    # them refused sooner for their bad cells.
    assert len(errors) == 20
    assert state() == before
    assert not AuditEntry.objects.filter(action__in=["case.open", "exchange.htcds_import"]).exists()


@contextlib.contextmanager
def statements(monkeypatch) -> Iterator[list[str]]:
    """Collect every statement sent to the database, those of raw cursors too (COPY, insert_rows),
    which Django's query log never sees."""
    from django.db import connection

    seen: list[str] = []
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        # A trigger's body is traced as a "-- TRIGGER" comment: run by the statement, not sent.
        raw.set_trace_callback(lambda sql: sql.startswith("--") or seen.append(sql))
        try:
            yield seen
        finally:
            raw.set_trace_callback(None)
        return
    cursor_class = type(raw.cursor())
    for name in ("execute", "executemany", "copy"):

        def counted(self, query, *args, _method=getattr(cursor_class, name), **kwargs):
            seen.append(str(query))
            return _method(self, query, *args, **kwargs)

        monkeypatch.setattr(cursor_class, name, counted)
    yield seen
    monkeypatch.undo()


def test_bulk_import_runs_as_many_statements_for_twice_the_rows(world, tmp_path, monkeypatch):
    counts = []
    for n in (20, 40):
        rows = _many(n)
        for row in rows:
            row["prs_SecondName"] = f"Ilić{n}"  # no duplicates of the first file's people
        actor = fresh(world["centre"])  # its memberships read again, as in a new request

        with statements(monkeypatch) as seen:
            result = htcds.htcds_import(
                actor=actor, path=write_csv(tmp_path / f"{n}.csv", rows), organisation=org("centre")
            )

        assert len(result.cases) == n
        counts.append(len(seen))
    # A statement per table per batch (inserts of the rows and their audit rows included), never per row.
    assert counts[0] == counts[1] <= 40


def test_bulk_import_runs_a_bounded_number_of_statements(world, tmp_path, monkeypatch):
    actor = fresh(world["centre"])
    path = write_csv(tmp_path / "many.csv", _many(300))

    # The services' path ran about 40 per row.
    with statements(monkeypatch) as seen:
        result = htcds.htcds_import(actor=actor, path=path, organisation=org("centre"))

    assert len(result.cases) == 300 and len(seen) <= 60


def test_bulk_import_still_proposes_duplicates(world, tmp_path):
    actor = fresh(world["centre"])
    rows = _many(2)
    rows[1]["prs_FirstName"] = "Ana0"  # the same person twice

    result = htcds.htcds_import(actor=actor, path=write_csv(tmp_path / "dup.csv", rows), organisation=org("centre"))

    a, b = sorted(c.pk for c in result.cases)
    assert PersonLink.objects.filter(case_a_id=a, case_b_id=b).exists()
