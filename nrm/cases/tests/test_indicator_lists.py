"""The bundled ILO/EC 2009 list as sourced data, one set of rules for a list, and a country's own list.

- every label is unique within an audience and a form (a label the ILO repeats in two
  dimensions says where it applies);
- every indicator says its provenance, and the codes of version 1 (stored answers refer to
  them) are all still there;
- the bundled loader makes a new version the active one and keeps the older one;
- ``nrm screening template`` / ``import-list``: a round trip creates the next version, active;
  a bad file changes nothing and names sheet, row and column of each problem.
"""

from __future__ import annotations

import copy
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from nrm.audit.models import AuditEntry
from nrm.cases.data.check_indicators import AUDIENCES, FORMS, validate
from nrm.cases.indicator_lists import InvalidList, install_bundled
from nrm.cases.models import IndicatorList
from nrm.cases.screening import evaluate

DATA = Path(__file__).resolve().parent.parent / "data"
ILO = json.loads((DATA / "ilo_ec_2009.json").read_text("utf-8"))

# The codes of version 1 (adult and child labour): screenings store answers by these codes.
V1_CODES = [
    "deceived_nature_of_job",
    "deceived_conditions_of_work",
    "deceived_work_contract",
    "deceived_family_reunification",
    "deceived_housing_living_conditions",
    "deceived_legal_documentation",
    "deceived_travel_recruitment_conditions",
    "deceived_wages_earnings",
    "deceived_promises_marriage_adoption",
    "deceived_education_opportunities",
    "deceived_education_opportunities_child",
    "recruitment_violence_on_victims",
    "recruitment_abduction_forced_marriage_adoption_selling",
    "recruitment_abduction_forced_marriage_adoption_selling_child",
    "recruitment_confiscation_of_documents",
    "recruitment_debt_bondage",
    "recruitment_debt_bondage_child",
    "recruitment_isolation_confinement_surveillance",
    "recruitment_threat_of_denunciation",
    "recruitment_threats_of_violence",
    "recruitment_threats_of_violence_child",
    "recruitment_threats_to_inform_family_community",
    "recruitment_violence_on_family",
    "recruitment_withholding_of_money",
    "recruitment_abuse_difficult_family_situation",
    "recruitment_abuse_illegal_status",
    "recruitment_abuse_lack_of_education",
    "recruitment_abuse_lack_of_information",
    "recruitment_control_of_exploiters",
    "recruitment_economic_reasons",
    "recruitment_false_information_law_authorities",
    "recruitment_false_information_successful_migration",
    "recruitment_family_situation",
    "recruitment_personal_situation",
    "recruitment_psychological_emotional_dependency",
    "recruitment_relationship_with_authorities",
    "recruitment_abuse_cultural_religious_beliefs",
    "recruitment_abuse_cultural_religious_beliefs_child",
    "recruitment_difficulties_in_the_past",
    "recruitment_difficulties_in_the_past_child",
    "recruitment_difficulty_to_organise_travel",
    "recruitment_difficulty_to_organise_travel_child",
    "recruitment_general_context",
    "recruitment_general_context_child",
    "excessive_working_days_or_hours",
    "bad_living_conditions",
    "hazardous_work",
    "low_or_no_salary",
    "no_respect_of_labour_laws_or_contract",
    "no_social_protection",
    "very_bad_working_conditions",
    "wage_manipulation",
    "no_access_to_education",
    "no_access_to_education_child",
    "destination_confiscation_of_documents",
    "destination_debt_bondage",
    "destination_isolation_confinement_surveillance",
    "destination_violence_on_victims",
    "destination_forced_into_illicit_activities",
    "destination_forced_into_illicit_activities_child",
    "destination_forced_tasks_or_clients",
    "destination_forced_tasks_or_clients_child",
    "destination_forced_to_act_against_peers",
    "destination_forced_to_lie",
    "destination_threat_of_denunciation",
    "destination_threat_of_worse_conditions",
    "destination_threats_of_violence",
    "destination_threats_of_violence_child",
    "destination_under_strong_influence",
    "destination_under_strong_influence_child",
    "destination_violence_on_family",
    "destination_withholding_of_wages",
    "destination_threats_to_inform_family_community",
    "destination_threats_to_inform_family_community_child",
    "destination_dependency_on_exploiters",
    "destination_difficulty_to_live_in_unknown_area",
    "destination_economic_reasons",
    "destination_family_situation",
    "destination_relationship_with_authorities",
    "destination_difficulties_in_the_past",
    "destination_difficulties_in_the_past_child",
    "destination_personal_characteristics",
    "destination_personal_characteristics_child",
]


def duplicate_labels(definition: dict) -> dict[tuple, list[str]]:
    """Return the labels used by more than one indicator of one audience and form."""
    seen: dict[tuple, list[str]] = defaultdict(list)
    for ind in definition["indicators"]:
        for audience in ind.get("applies_to", AUDIENCES):
            for form in ind.get("forms", FORMS):
                seen[(audience, form, ind["text"].casefold())].append(ind["code"])
    return {k: v for k, v in seen.items() if len(v) > 1}


def test_every_label_is_unique_within_an_audience_and_a_form():
    assert duplicate_labels(ILO) == {}


def test_a_label_repeated_across_dimensions_says_where_it_applies():
    texts = {i["code"]: i["text"] for i in ILO["indicators"]}
    assert texts["recruitment_confiscation_of_documents"] == "Confiscation of documents (during recruitment)"
    assert texts["destination_confiscation_of_documents"] == "Confiscation of documents (at destination)"
    qualified = {
        t.rsplit(" (", 1)[0] for t in texts.values() if t.endswith(("(during recruitment)", "(at destination)"))
    }
    assert len(qualified) == 12


def test_the_checker_refuses_a_repeated_label():
    broken = copy.deepcopy(ILO)
    for ind in broken["indicators"]:
        if ind["code"] == "destination_debt_bondage":
            ind["text"] = "Debt bondage (during recruitment)"
    errors, _ = validate(broken)
    assert any("destination_debt_bondage" in e.message and "say where each applies" in e.message for e in errors)
    assert duplicate_labels(broken)


def test_the_bundled_list_is_valid_and_says_where_each_indicator_comes_from():
    errors, warnings = validate(ILO)
    assert errors == []
    # The ILO adult labour list has no strong indicator in the two abuse-of-vulnerability dimensions.
    assert sorted(w.message for w in warnings) == [
        "destination_abuse_of_vulnerability: no strong indicator for adults",
        "recruitment_abuse_of_vulnerability: no strong indicator for adults",
    ]
    assert ILO["version"] == 2
    assert sorted(ILO["coverage"]["included_lists"]) == ["adult_labour", "adult_sexual", "child_labour", "child_sexual"]
    known = {"ilo-2009-pdf", "unverified"}
    for ind in ILO["indicators"]:
        parts = [p.split("=", 1) for p in ind["source"].split("; ")]
        if len(parts) > 1 or len(parts[0]) == 2:  # per form: "labour=...; sexual=..."
            assert sorted(f for f, _ in parts) == sorted(ind["forms"]), ind["code"]
            values = [v for _, v in parts]
        else:
            values = [parts[0][0]]
        for value in values:
            assert value in known or value.startswith("secondary:"), (ind["code"], value)
            if value.startswith("secondary:"):
                assert value in ILO["coverage"]["source_values"], value


def test_the_codes_of_version_1_are_kept_for_the_labour_lists():
    by_code = {i["code"]: i for i in ILO["indicators"]}
    assert len(V1_CODES) == 83
    missing = [c for c in V1_CODES if c not in by_code or "labour" not in by_code[c]["forms"]]
    assert missing == []
    for audience, total in (("adult", 67), ("child", 65)):
        labour = [i for i in ILO["indicators"] if audience in i["applies_to"] and "labour" in i["forms"]]
        assert len(labour) == total
    adult = Counter(i["dimension"] for i in ILO["indicators"] if "adult" in i["applies_to"] and "labour" in i["forms"])
    assert [adult[d["code"]] for d in ILO["dimensions"]] == [10, 10, 16, 9, 15, 7]


def test_the_sexual_lists_differ_where_the_source_says():
    by_code = {i["code"]: i for i in ILO["indicators"]}

    def grade(audience, form, text):
        found = [
            i["strength"]
            for i in ILO["indicators"]
            if audience in i["applies_to"] and form in i["forms"] and i["text"] == text
        ]
        assert len(found) == 1, (audience, form, text)
        return found[0]

    assert grade("adult", "labour", "Forced tasks or clients") == "medium"
    assert grade("adult", "sexual", "Forced tasks or clients") == "strong"
    assert grade("child", "sexual", "Hazardous work") == "strong"
    assert grade("adult", "sexual", "Hazardous work") == "medium"
    strong_exploitation = [
        i
        for i in ILO["indicators"]
        if "adult" in i["applies_to"]
        and "sexual" in i["forms"]
        and i["dimension"] == "exploitative_conditions"
        and i["strength"] == "strong"
    ]
    assert strong_exploitation == []
    assert by_code["destination_forced_tasks_or_clients_child"]["forms"] == ["labour", "sexual"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_a_sexual_screening_can_reach_a_presumption(audience):
    """Every group the rule needs can turn positive from sexual-exploitation indicators alone."""
    answers = [i["code"] for i in ILO["indicators"] if audience in i["applies_to"] and "sexual" in i["forms"]]
    assert evaluate(ILO, answers, is_child=audience == "child").presumed_victim


# --- The bundled loader ---------------------------------------------------------------------


def small(version: int, code: str = "demo-list") -> dict:
    definition = copy.deepcopy(ILO)
    definition.update(code=code, version=version, title=f"Demo list v{version}")
    return definition


def test_a_new_bundled_version_becomes_active_and_the_old_one_stays(world):
    v1 = install_bundled(small(1))
    assert v1.is_active
    v2 = install_bundled(small(2))
    v1.refresh_from_db()
    assert (v1.is_active, v2.is_active) == (False, True)
    # Loading again changes nothing; an older file does not take the active place back.
    install_bundled(small(2))
    install_bundled(small(1))
    assert list(IndicatorList.objects.filter(code="demo-list").values_list("version", "is_active")) == [
        (2, True),
        (1, False),
    ]


def test_a_list_set_aside_stays_aside_when_its_next_version_is_bundled(world):
    install_bundled(small(1))
    IndicatorList.objects.filter(code="demo-list").update(is_active=False)  # e.g. a country's own list replaced it
    assert not install_bundled(small(2)).is_active


def test_the_bundled_loader_refuses_an_invalid_list(world):
    broken = small(1)
    broken["indicators"][0]["strength"] = "very strong"
    with pytest.raises(InvalidList, match="very strong"):
        install_bundled(broken)
    assert not IndicatorList.objects.filter(code="demo-list").exists()


def test_the_reference_loader_stored_the_bundled_list_at_its_version(world):
    stored = IndicatorList.objects.get(code="ilo-ec-2009", version=ILO["version"])
    assert stored.definition == ILO


# --- Spreadsheet template and import --------------------------------------------------------


def command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("screening", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def ilo_active(world):
    """Make the bundled ILO list the active one (the world's active list is the small test list)."""
    IndicatorList.objects.update(is_active=False)
    current = IndicatorList.objects.filter(code="ilo-ec-2009").order_by("-version").first()
    current.is_active = True
    current.save(update_fields=["is_active"])
    return current


@pytest.fixture
def template(ilo_active, tmp_path) -> Path:
    path = tmp_path / "list.xlsx"
    out, _ = command("template", str(path))
    assert f"ilo-ec-2009 v{ilo_active.version}" in out
    return path


def snapshot() -> list[tuple]:
    return list(IndicatorList.objects.order_by("code", "version").values_list("code", "version", "is_active"))


def test_the_template_has_the_four_sheets_and_the_active_list(template, ilo_active):
    wb = load_workbook(template)
    assert wb.sheetnames == ["List", "Dimensions", "Indicators", "Rules"]
    assert [c.value for c in wb["Indicators"][1]] == [
        "code",
        "dimension",
        "strength",
        "applies_to",
        "forms",
        "text",
        "source",
        "text sr-latn",
        "text sr",
    ]
    assert [c.value for c in wb["Dimensions"][1]] == ["code", "title", "group", "title sr-latn", "title sr"]
    assert [c.value for c in wb["List"][1]][-2:] == ["title sr-latn", "title sr"]
    assert wb["Indicators"].max_row == len(ILO["indicators"]) + 1
    assert wb["List"]["A2"].value == "ilo-ec-2009"
    rules = [[c.value for c in row] for row in wb["Rules"].iter_rows(min_row=2)]
    assert ["victim", "child", None, None, None, None, "recruitment, exploitation"] in rules


def test_round_trip_creates_the_next_version_and_makes_it_active(template, ilo_active):
    out, err = command("import-list", str(template))
    assert err == ""
    new_version = ilo_active.version + 1
    assert f"imported ilo-ec-2009 v{new_version}" in out
    stored = IndicatorList.objects.get(code="ilo-ec-2009", version=new_version)
    assert stored.is_active
    ilo_active.refresh_from_db()
    assert not ilo_active.is_active  # kept, for the screenings stored under it
    assert IndicatorList.objects.filter(is_active=True).count() == 1
    for key in ("dimensions", "indicators", "dimension_rule", "victim_rule", "title", "title_i18n", "source", "code"):
        assert stored.definition[key] == ILO[key], key
    assert stored.definition["version"] == new_version
    assert AuditEntry.objects.filter(action="indicator_list.import", object_id=str(stored.pk)).exists()
    # The next import makes the next version again.
    command("import-list", str(template))
    assert IndicatorList.objects.get(is_active=True).version == new_version + 1


def test_the_translation_columns_are_optional_and_a_blank_cell_is_no_translation(template, ilo_active):
    wb = load_workbook(template)
    ws = wb["Indicators"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("text sr") + 1).value = None  # this indicator: no Cyrillic text
    ws.cell(3, header.index("text sr-latn") + 1).value = "  Obmana o uslovima rada  "
    dims = wb["Dimensions"]
    dims.delete_cols(4, 2)  # no translation column at all
    wb.save(template)
    _out, err = command("import-list", str(template))
    assert err == ""
    stored = IndicatorList.objects.get(is_active=True).definition
    first, second = stored["indicators"][0], stored["indicators"][1]
    assert first["text_i18n"] == {"sr-latn": ILO["indicators"][0]["text_i18n"]["sr-latn"]}
    assert second["text_i18n"]["sr-latn"] == "Obmana o uslovima rada"
    assert all("title_i18n" not in d for d in stored["dimensions"])


def test_a_malformed_translation_is_refused_by_the_checker():
    data = copy.deepcopy(ILO)
    data["indicators"][0]["text_i18n"] = {"sr-latn": " "}
    data["dimensions"][0]["title_i18n"] = {"Serbian": "Regrutovanje"}
    messages = [p.message for p in validate(data)[0]]
    assert any("text_i18n the sr-latn text is missing" in m for m in messages), messages
    assert any("'Serbian' is not a lower-case language code" in m for m in messages), messages


def test_check_only_stores_nothing(template):
    before = snapshot()
    out, _ = command("import-list", str(template), "--check")
    assert "valid" in out
    assert snapshot() == before


def edit(path: Path, sheet: str, cell: str, value) -> None:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def failing_import(path: Path) -> str:
    before = snapshot()
    active = list(IndicatorList.objects.filter(is_active=True).values_list("pk", flat=True))
    with pytest.raises(CommandError, match="nothing was imported"):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("screening", "import-list", str(path), stdout=out, stderr=err)
        finally:
            messages = err.getvalue()
    assert snapshot() == before
    assert list(IndicatorList.objects.filter(is_active=True).values_list("pk", flat=True)) == active
    return messages


def test_an_unknown_dimension_is_named_with_sheet_row_and_column(template):
    edit(template, "Indicators", "B5", "nowhere")
    messages = failing_import(template)
    assert "sheet 'Indicators', row 5, column B (dimension)" in messages
    assert "unknown dimension 'nowhere'" in messages


def test_a_bad_strength_and_a_duplicate_code_are_both_reported(template):
    edit(template, "Indicators", "C3", "very strong")
    wb = load_workbook(template)
    wb["Indicators"]["A7"] = wb["Indicators"]["A6"].value
    wb.save(template)
    messages = failing_import(template)
    assert "sheet 'Indicators', row 3, column C (strength)" in messages
    assert "sheet 'Indicators', row 7, column A (code): " in messages
    assert "duplicate code" in messages


def test_a_repeated_label_within_an_audience_and_form_is_refused(template):
    wb = load_workbook(template)
    ws = wb["Indicators"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(rows["destination_debt_bondage"], 6).value = "Debt bondage (during recruitment)"
    wb.save(template)
    messages = failing_import(template)
    assert f"sheet 'Indicators', row {rows['destination_debt_bondage']}, column F (text)" in messages
    assert "say where each applies" in messages


def test_a_rule_naming_an_unknown_group_is_refused(template):
    wb = load_workbook(template)
    ws = wb["Rules"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "adult")
    ws.cell(row, 7).value = "recruitment, exploitation, punishment"
    wb.save(template)
    messages = failing_import(template)
    assert f"sheet 'Rules', row {row}, column G (groups)" in messages
    assert "'punishment'" in messages


def test_a_missing_column_a_missing_sheet_and_a_bad_number_are_refused(template):
    wb = load_workbook(template)
    wb["Indicators"]["C1"] = "grade"
    wb["Rules"]["C2"] = "two"
    del wb["Dimensions"]
    wb.save(template)
    messages = failing_import(template)
    assert "sheet 'Indicators', row 1: column 'strength' missing from the header row" in messages
    assert "sheet 'Dimensions': missing" in messages
    assert "sheet 'Rules', row 2, column C (strong): 'two' is not a whole number" in messages


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path, world):
    path = tmp_path / "list.xlsx"
    path.write_text("code,dimension\n")
    assert "not a readable .xlsx workbook" in failing_import(path)
