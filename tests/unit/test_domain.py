"""The domain is the one description of the trial; everything derived from it agrees.

Each test compares a derived artefact (reader specifications, database columns, the
shipped REDCap dictionary, the CDISC and FHIR mappings) with :mod:`myotrial.domain`, so a
column added in one place and forgotten in another fails here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from myotrial import domain
from myotrial.analysis.episodes import EPISODE_COLUMNS
from myotrial.domain import ENZYMES, MMT_GROUPS, MMT_LIMB_GROUPS, TABLES, Kind, Scale, table
from myotrial.exchange.cdisc.adam import PARAMETERS
from myotrial.exchange.cdisc.findings import LAB_TESTS, QUESTIONS
from myotrial.exchange.fhir_resources import LAB_LOINC, MEASURES
from myotrial.exchange.redcap.dictionary import FORM_TABLES, REPEATING_FORMS, shipped_fields
from myotrial.exchange.redcap.product import PRODUCT_FORMS, product_fields
from myotrial.ingest.schema import TABLE_SPECS
from myotrial.store.columns import COLUMNS, KEYS, REPEATABLE
from myotrial.trialdata import TABLES as TRIAL_TABLES

DOMAIN = Path(domain.__file__).parent
TABLE_NAMES = [t.name for t in TABLES]


def test_the_trial_has_the_tables_of_the_trial_format() -> None:
    # docs/trial-format.md: patients, infusions, visits, adverse events, events,
    # medications, and the optional cell-product record (donors, lots)
    assert TABLE_NAMES == [
        "patients",
        "infusions",
        "visits",
        "adverse_events",
        "events",
        "medications",
        "donors",
        "lots",
    ]
    assert list(TRIAL_TABLES) == TABLE_NAMES


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_modules_import_only_the_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    foreign = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith("myotrial.domain")
        and name != "myotrial.errors"
    }
    assert foreign == set()


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_reader_specifications_follow_the_domain_columns(name: str) -> None:
    spec, source = TABLE_SPECS[name], table(name)
    assert [c.name for c in spec.columns] == [c.name for c in source.columns]
    assert [c.kind for c in spec.columns] == [c.kind for c in source.columns]
    assert [c.allowed for c in spec.columns] == [c.allowed for c in source.columns]
    assert [c.required for c in spec.columns] == [c.required for c in source.columns]
    assert spec.key == source.key


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_database_columns_follow_the_domain_columns(name: str) -> None:
    # Whole numbers are stored as numbers: the database has no integer kind.
    expected = [
        (c.name, "number" if c.kind == Kind.INTEGER else str(c.kind)) for c in table(name).columns
    ]
    assert list(COLUMNS[name]) == expected
    assert KEYS[name] == table(name).key
    assert (name in REPEATABLE) == table(name).repeatable


@pytest.mark.parametrize(
    ("column", "low", "high"),
    [
        ("mmt_deltoid_r", 0.0, 10.0),  # Kendall grades 0-10
        ("haq_grip", 0.0, 3.0),  # HAQ category 0-3
        ("haq", 0.0, 3.0),  # HAQ-DI 0-3
        ("ck", 0.0, None),  # enzyme activity cannot be negative
    ],
)
def test_reader_bounds_are_the_clinical_scales(column: str, low: float, high: float | None) -> None:
    spec = TABLE_SPECS["visits"].column(column)
    assert spec is not None
    assert (spec.minimum, spec.maximum) == (low, high)


def test_every_mmt_group_has_its_grade_columns() -> None:
    names = set(table("visits").column_names)
    assert {f"mmt_{g}" for g in MMT_GROUPS} <= names
    assert {f"mmt_{g}_{s}" for g in MMT_LIMB_GROUPS for s in ("r", "l")} <= names


def test_episode_columns_are_the_episode_attributes() -> None:
    assert EPISODE_COLUMNS == domain.EPISODE_COLUMNS
    assert EPISODE_COLUMNS[:2] == ("patient_id", "episode")


def _all_fields() -> list:
    """The fields of both REDCap projects: the patients' and the cell product's."""
    return [*shipped_fields(), *product_fields()]


def _carried() -> dict[tuple[str, str], object]:
    carried: dict[tuple[str, str], object] = {}
    for field in _all_fields():
        if field.table is None or field.column is None:
            continue
        if field.field_type == "checkbox":
            for code in field.codes:
                carried[(field.table, field.checkbox_column(code))] = field
        else:
            carried[(field.table, field.column)] = field
    return carried


def test_every_redcap_field_carries_a_domain_column_of_its_form() -> None:
    forms = {**FORM_TABLES, **PRODUCT_FORMS}
    for field in _all_fields():
        assert field.table is not None, field.name
        assert forms[field.form] == field.table, field.name
        assert table(field.table).column(str(field.column).replace("<code>", "dressing"))


def test_every_domain_column_has_a_redcap_field() -> None:
    carried = _carried()
    missing = {
        (t.name, c.name) for t in TABLES for c in t.columns if (t.name, c.name) not in carried
    }
    # The record ID carries patient_id of every patient instrument, and in the product
    # project the donor of each lot; the neck is axial, graded once.
    allowed = {(t, "patient_id") for t in TABLE_NAMES if t not in ("patients", "donors", "lots")}
    allowed |= {("lots", "donor")}
    allowed |= {("visits", f"mmt_{MMT_GROUPS[0]}_{s}") for s in ("r", "l")}
    assert missing <= allowed


def test_redcap_choices_are_the_allowed_values() -> None:
    for field in _all_fields():
        column = table(str(field.table)).column(str(field.column))
        if field.kind == "choice":
            assert column is not None
            assert tuple(field.trial_value(c) for c in field.codes) == column.allowed, field.name


def test_redcap_kinds_follow_the_domain() -> None:
    expected = {
        Kind.TEXT: {"text", "choice"},
        Kind.NUMBER: {"number"},
        Kind.INTEGER: {"number"},
        Kind.DATE: {"date"},
        Kind.BOOL: {"boolean", "checkbox"},
    }
    for field in _all_fields():
        column = table(str(field.table)).column(str(field.column).replace("<code>", "dressing"))
        assert column is not None
        assert field.kind in expected[column.kind], field.name


def test_redcap_validation_ranges_hold_every_valid_value() -> None:
    # REDCap checks a field against one fixed range: it must be the widest the trial
    # format allows (VAS up to 100 mm, MMT-8 up to the 150 form) and never wider.
    widest = {Scale.VAS: (0.0, 100.0), Scale.MMT_TOTAL: (0.0, 150.0), Scale.AGE: (0.0, 100.0)}
    for field in _all_fields():
        column = TABLE_SPECS[str(field.table)].column(str(field.column))
        if column is None or field.kind != "number" or column.allowed:
            continue
        low, high = field.cells[8], field.cells[9]
        bounds = widest.get(column.scale, (column.minimum, column.maximum))  # type: ignore[arg-type]
        assert (float(low) if low else None, float(high) if high else None) == bounds, field.name


def test_the_shipped_dictionary_file_holds_the_domains_rules() -> None:
    # the file REDCap uploads is the dictionary with every validation type, range and
    # required flag taken from the domain; after changing a column's rules, write
    # shipped_dictionary_expected() to exchange/redcap/dictionary.csv
    from myotrial.exchange.redcap.dictionary import (
        shipped_dictionary_expected,
        shipped_dictionary_text,
    )

    assert shipped_dictionary_text() == shipped_dictionary_expected()


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("mmt_deltoid_r", ("integer", "0", "10", "")),  # Kendall grades are whole, 0-10
        ("mmt_max", ("integer", "80", "150", "")),  # the 80 or the 150 form
        ("phga", ("number", "0", "100", "")),  # VAS: 0-10 cm or 0-100 mm
        ("age", ("number", "0", "100", "")),  # a juvenile trial enrols from 0
        ("enrolment_date", ("date_ymd", "", "", "y")),
        ("ae_grade", ("integer", "1", "5", "")),  # CTCAE grade 1-5
    ],
)
def test_redcap_field_rules_come_from_the_domain(name: str, rules: tuple[str, ...]) -> None:
    (field,) = [f for f in shipped_fields() if f.name == name]
    assert (field.cells[7], field.cells[8], field.cells[9], field.cells[12]) == rules


def test_a_rule_changed_in_the_domain_changes_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from myotrial.exchange.redcap import dictionary

    events = table("adverse_events")
    graded = tuple(replace(c, maximum=4.0) if c.name == "grade" else c for c in events.columns)
    stricter = replace(events, columns=graded)
    monkeypatch.setattr(
        dictionary, "table", lambda name: stricter if name == "adverse_events" else table(name)
    )
    (field,) = [f for f in dictionary.shipped_fields() if f.name == "ae_grade"]
    assert field.cells[9] == "4"


def test_repeating_instruments_are_the_repeatable_tables() -> None:
    assert {FORM_TABLES[f] for f in REPEATING_FORMS} == {t.name for t in TABLES if t.repeatable}


def test_every_enzyme_has_a_cdisc_test_code_and_a_loinc_code() -> None:
    assert set(LAB_TESTS) == set(ENZYMES)
    assert set(LAB_LOINC) == set(ENZYMES)


def test_questionnaire_and_analysis_parameters_name_visit_columns() -> None:
    visits = table("visits")
    for question in QUESTIONS:
        assert visits.column(question.column) is not None, question.testcd
    assert {q.column for q in QUESTIONS if q.vas} == {"phga", "ptga", "extramuscular"}
    for _code, _label, column, _unit in PARAMETERS:
        assert column is None or visits.column(column) is not None
    assert set(MEASURES) <= set(visits.column_names)
