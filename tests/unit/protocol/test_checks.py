"""Consistency checks: each problem a hand edit can introduce is found and located."""

from __future__ import annotations

from pathlib import Path

from trialdesk.clinical.gli import Ethnicity, GliEquation
from trialdesk.protocol import Study, check_study, import_study, parse_record_text
from trialdesk.protocol.visits import VisitKind

SEED = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "record.txt"
STUDY = import_study(parse_record_text(SEED.read_text(encoding="utf-8")))


def _paths(study: Study) -> list[str]:
    return [problem.dotted for problem in check_study(study)]


def test_imported_seed_is_consistent_but_its_enrollment_cannot_occur() -> None:
    # The seed registers 8; its 3+3 over levels -1, 1, 2 from level 1 enrols 6 to 18 in
    # steps of 3 (exact enumeration, every DLT probability 1/2).
    (problem,) = check_study(STUDY)
    assert problem.severity == "warning"
    assert problem.dotted == "enrollment.count"
    assert problem.message.endswith("a trial enrols one of 6, 9, 12, 15, 18")


def test_an_enrollment_the_design_can_produce_is_not_flagged() -> None:
    enrollment = STUDY.enrollment.model_copy(update={"count": 18})
    assert check_study(STUDY.model_copy(update={"enrollment": enrollment})) == []


def test_levels_out_of_order_are_found() -> None:
    low, start, high = sorted(STUDY.dose_levels, key=lambda level: level.order)
    swapped = (low, start.model_copy(update={"amount": 9e5}), high)
    problems = check_study(STUDY.model_copy(update={"dose_levels": swapped}))
    assert [p.dotted for p in problems] == ["dose_levels[2].amount"]
    assert "out of order" in problems[0].message


def test_orders_with_a_gap_are_found() -> None:
    levels = tuple(
        level.model_copy(update={"order": level.order * 2}) for level in STUDY.dose_levels
    )
    assert "dose_levels" in _paths(STUDY.model_copy(update={"dose_levels": levels}))


def test_duplicate_labels_are_found() -> None:
    levels = tuple(level.model_copy(update={"label": 1}) for level in STUDY.dose_levels)
    assert _paths(STUDY.model_copy(update={"dose_levels": levels})) == [
        "dose_levels[0].label",
        "dose_levels[1].label",
        "dose_levels[2].label",
    ]


def test_start_level_must_exist() -> None:
    assert _paths(STUDY.model_copy(update={"start_dose_level": 0})) == ["start_dose_level"]


def test_stated_flag_must_match_the_levels() -> None:
    study = STUDY.model_copy(update={"dose_levels": (), "start_dose_level": None})
    assert _paths(study) == ["dose_levels_stated"]


def test_overlapping_visit_windows_are_found() -> None:
    visits = list(STUDY.visits)
    index = next(i for i, visit in enumerate(visits) if visit.day == 7)
    visits[index] = visits[index].model_copy(update={"earliest_day": 3})
    problems = check_study(STUDY.model_copy(update={"visits": tuple(visits)}))
    assert [p.dotted for p in problems] == [f"visits[{index}].earliest_day"]
    assert "overlaps" in problems[0].message


def test_visit_day_outside_its_window_is_found() -> None:
    visits = list(STUDY.visits)
    index = next(i for i, visit in enumerate(visits) if visit.day == 90)
    visits[index] = visits[index].model_copy(update={"latest_day": 85, "earliest_day": 80})
    assert _paths(STUDY.model_copy(update={"visits": tuple(visits)})) == [f"visits[{index}].day"]


def test_dlt_window_longer_than_first_follow_up_is_found() -> None:
    first = min(v.day or 0 for v in STUDY.visits if v.kind is VisitKind.FOLLOW_UP)
    study = STUDY.model_copy(update={"dlt_window_days": first + 1})
    problems = check_study(study)
    assert [p.dotted for p in problems] == ["dlt_window_days"]
    assert f"Day {first}" in problems[0].message


def test_non_positive_dlt_window_is_found() -> None:
    assert _paths(STUDY.model_copy(update={"dlt_window_days": 0})) == ["dlt_window_days"]


def test_gli_2012_needs_its_group_and_the_others_take_none() -> None:
    no_group = STUDY.clinical.model_copy(update={"lung_function_equation": GliEquation.GLI_2012})
    assert _paths(STUDY.model_copy(update={"clinical": no_group})) == [
        "clinical.lung_function_ethnicity"
    ]
    extra_group = STUDY.clinical.model_copy(
        update={
            "lung_function_equation": GliEquation.GLI_GLOBAL_2022,
            "lung_function_ethnicity": Ethnicity.NE_ASIAN,
        }
    )
    problems = check_study(STUDY.model_copy(update={"clinical": extra_group}))
    assert [p.dotted for p in problems] == ["clinical.lung_function_ethnicity"]
    assert "takes no ethnic group" in problems[0].message


def test_the_seed_lists_its_clinical_choices_as_gaps() -> None:
    # Its secondary outcomes measure FVC and DLCO; inclusion 4 has a 10 % decline.
    ids = {gap.id for gap in STUDY.gaps}
    assert {"clinical.lung_function_equation", "clinical.decline_reading"} <= ids
