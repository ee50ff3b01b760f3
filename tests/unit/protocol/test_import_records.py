"""Every real record imports or is refused with a reason; the importer never crashes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import json_values
from trialdesk.errors import RecordError, RecordRefusedError
from trialdesk.protocol import check_study, import_study, parse_record_text, read_record_criteria

RECORDS = Path(__file__).resolve().parents[2] / "data" / "records"
REFUSED = {"NCT03475563", "NCT05052671", "NCT05150938", "NCT00984438"}


def _load(nct: str) -> dict[str, Any]:
    return parse_record_text((RECORDS / f"{nct}.json").read_text(encoding="utf-8"))


ALL = sorted(path.stem for path in RECORDS.glob("*.json"))


def test_there_are_twenty_records() -> None:
    assert len(ALL) == 20


@pytest.mark.parametrize("nct", sorted(set(ALL) - REFUSED))
def test_record_imports_into_a_consistent_study(nct: str) -> None:
    study = import_study(_load(nct))
    assert study.identification.nct_id == nct
    assert check_study(study) == []
    assert study.eligibility.inclusion


@pytest.mark.parametrize("nct", sorted(REFUSED))
def test_unrunnable_record_is_refused(nct: str) -> None:
    with pytest.raises(RecordRefusedError, match=r"OBSERVATIONAL|WITHDRAWN"):
        import_study(_load(nct))


@pytest.mark.parametrize("nct", sorted(set(ALL) - REFUSED))
def test_record_criteria_are_the_imported_studys(nct: str) -> None:
    study = import_study(_load(nct))
    nct_id, criteria = read_record_criteria(_load(nct))
    assert nct_id == nct
    assert (criteria.inclusion, criteria.exclusion) == (
        study.eligibility.inclusion,
        study.eligibility.exclusion,
    )


@pytest.mark.parametrize("nct", sorted(REFUSED))
def test_criteria_of_a_refused_record_still_read(nct: str) -> None:
    nct_id, criteria = read_record_criteria(_load(nct))
    assert nct_id == nct
    assert criteria.inclusion
    assert criteria.exclusion


@pytest.mark.parametrize(
    ("nct", "inclusion", "exclusion"),
    [
        # Counted by hand from the numbered lists (see test_criteria.py for the sub-items).
        ("NCT00244972", 14, 14),
        ("NCT04497038", 11, 14),
        ("NCT05786924", 6, 14),
        ("NCT04267848", 25, 0),  # the record has no exclusion section
    ],
)
def test_item_counts_through_the_importer(nct: str, inclusion: int, exclusion: int) -> None:
    study = import_study(_load(nct))
    assert (len(study.eligibility.inclusion), len(study.eligibility.exclusion)) == (
        inclusion,
        exclusion,
    )


def test_record_without_outcomes_module_imports_with_a_gap() -> None:
    study = import_study(_load("NCT00184067"))
    assert study.outcomes == ()
    assert "outcomes" in {gap.id for gap in study.gaps}
    assert any("outcomesModule: missing" in note for note in study.import_notes)


def test_tite_crm_record_names_its_design_and_window() -> None:
    # NCT04497038: "during the first 29 days of therapy" (DLT period), TITE-CRM design.
    study = import_study(_load("NCT04497038"))
    assert (study.design.name, study.dlt_window_days) == ("TITE-CRM", 29)
    assert study.dose_levels_stated is False
    assert study.dose_levels == ()


def test_unknown_enum_value_names_the_field() -> None:
    record = copy.deepcopy(_load("NCT04523987"))
    record["protocolSection"]["designModule"]["phases"] = ["PHASE9"]
    with pytest.raises(RecordError, match=r"designModule\.phases\[0\]: unknown value 'PHASE9'"):
        import_study(record)


def test_interventional_record_without_arms_module_is_refused() -> None:
    record = copy.deepcopy(_load("NCT04523987"))
    del record["protocolSection"]["armsInterventionsModule"]
    with pytest.raises(RecordError, match="armsInterventionsModule: missing"):
        import_study(record)


SEED_PAGE = (RECORDS.parents[2] / "studies" / "NCT07329959" / "record.txt").read_text(
    encoding="utf-8"
)
BASES = {"seed": parse_record_text(SEED_PAGE), "NCT04497038": _load("NCT04497038")}


def _paths(node: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key and index path inside a record (its whole tree)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, item in node.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _paths(item, (*prefix, index))
    return found


PATHS = [(name, path) for name, record in BASES.items() for path in _paths(record)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_mutated_record_imports_or_gives_a_typed_error(
    mutations: list[tuple[tuple[str, tuple[str | int, ...]], object]],
) -> None:
    """Any field of a real record replaced by any JSON value: a study or a RecordError."""
    (base, _), _ = mutations[0]
    record = copy.deepcopy(BASES[base])
    for (name, path), value in mutations:
        if name != base:
            continue
        node: Any = record
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    try:
        study = import_study(record)
    except RecordError:
        return
    assert study.identification.nct_id.startswith("NCT")
    assert parse_record_text(json.dumps(record))  # still a record after the mutation


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("statusModule", "overallStatus"), "overallStatus: missing"),
        (("designModule", "studyType"), "studyType: missing"),
        (("identificationModule", "briefTitle"), "briefTitle: missing"),
        (("identificationModule", "nctId"), "nctId: missing"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_required_field_is_refused_by_name(
    path: tuple[str, str], field: str, blank: str | None
) -> None:
    record = copy.deepcopy(BASES["seed"])
    record["protocolSection"][path[0]][path[1]] = blank
    with pytest.raises(RecordError, match=field):
        import_study(record)


def test_record_without_criteria_text_imports_with_a_gap() -> None:
    record = copy.deepcopy(BASES["seed"])
    del record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    study = import_study(record)
    assert (study.eligibility.inclusion, study.eligibility.exclusion) == ((), ())
    assert "eligibility.criteria" in {gap.id for gap in study.gaps}
