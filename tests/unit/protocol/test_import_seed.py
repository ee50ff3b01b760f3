# ruff: noqa: RUF001, RUF003 - the seed writes amounts with the multiplication sign, verbatim
"""The seed NCT07329959: every field of the definition checked against the record's text."""

from __future__ import annotations

import ast
from functools import reduce
from pathlib import Path
from typing import Any

import pytest

from trialdesk.protocol import Study, import_study, parse_record_text
from trialdesk.protocol.outcomes import OutcomeKind
from trialdesk.protocol.registry_enums import (
    DesignAllocation,
    EnrollmentType,
    InterventionType,
    Phase,
    Sex,
    Status,
)
from trialdesk.protocol.visits import VisitKind

SEED = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "record.txt"
RAW = ast.literal_eval(SEED.read_text(encoding="utf-8").split("Raw JSON", 1)[1].strip())
STUDY: Study = import_study(parse_record_text(SEED.read_text(encoding="utf-8")))


def _at(path: str) -> Any:
    """The record's value at a source path such as ``a.b[1].c``."""
    parts = path.replace("]", "").replace("[", ".").split(".")
    return reduce(lambda node, key: node[int(key)] if key.isdigit() else node[key], parts, RAW)


def test_identification_status_and_design_info() -> None:
    assert STUDY.identification.nct_id == "NCT07329959"
    assert STUDY.identification.org_study_id == "2025-1161"
    assert STUDY.identification.brief_title == "CAR-DC for End-Stage IPF"
    assert STUDY.status.overall_status is Status.NOT_YET_RECRUITING
    # "statusVerifiedDate": "2025-11" stays a month, not a made-up day.
    assert STUDY.status.status_verified is not None
    assert STUDY.status.status_verified.value == "2025-11"
    assert STUDY.status.status_verified.precision == "month"
    assert STUDY.status.start is not None
    assert STUDY.status.start.value == "2026-02-01"
    assert STUDY.design_info.phases == (Phase.PHASE1,)
    assert STUDY.design_info.allocation is DesignAllocation.NA
    assert STUDY.enrollment.count == 8
    assert STUDY.enrollment.type is EnrollmentType.ESTIMATED


def test_arms_and_interventions_are_linked_both_ways() -> None:
    (arm,) = STUDY.arms
    assert arm.label == "CAR-DC Treatment"
    assert arm.intervention_names == ("Procedure: Leukapheresis", "Biological: CAR-DC")
    assert arm.interventions == ("Leukapheresis", "CAR-DC")
    assert [(i.name, i.type, i.arms) for i in STUDY.interventions] == [
        ("Leukapheresis", InterventionType.PROCEDURE, ("CAR-DC Treatment",)),
        ("CAR-DC", InterventionType.BIOLOGICAL, ("CAR-DC Treatment",)),
    ]


def test_dose_levels_with_labels_order_amounts_and_quotes() -> None:
    assert STUDY.dose_levels_stated is True
    # "Dose Level -1 at 1×10⁵ cells/kg, Dose Level 1 (starting dose) at 4×10⁵ cells/kg,
    #  and Dose Level 2 at 8×10⁵ cells/kg": labels -1, 1, 2 (no level 0).
    got = [(lv.label, lv.order, lv.amount, lv.unit, lv.is_start) for lv in STUDY.dose_levels]
    assert got == [
        (-1, 1, 100_000.0, "cells/kg", False),
        (1, 2, 400_000.0, "cells/kg", True),
        (2, 3, 800_000.0, "cells/kg", False),
    ]
    assert [lv.amount_as_written for lv in STUDY.dose_levels] == ["1×10⁵", "4×10⁵", "8×10⁵"]
    assert STUDY.start_dose_level == 1
    for level in STUDY.dose_levels:
        assert level.source.path is not None
        assert level.source.quote is not None
        assert level.source.quote in _at(level.source.path)


def test_design_dlt_window_and_their_quotes() -> None:
    assert STUDY.design.name == "3+3"
    assert STUDY.design.cohort_size == 3
    assert STUDY.dlt_window_days == 14
    source = STUDY.dlt_window_source
    assert source is not None
    assert source.path == "protocolSection.outcomesModule.primaryOutcomes[0].description"
    assert source.quote is not None
    assert "within 14 days" in source.quote
    assert source.quote in _at(source.path)
    options = {option.name: option for option in STUDY.design.options}
    assert options["deescalate"].value is True
    assert options["lower_zero_of_three"].value == "expand"
    assert options["expand_top"].value is False
    # The record states the MTD as "less than 2 out of 6 subjects": not a default.
    assert options["mtd_requires_six"].default_taken is False


def test_outcomes_and_time_points() -> None:
    kinds = [outcome.kind for outcome in STUDY.outcomes]
    assert kinds.count(OutcomeKind.PRIMARY) == 1
    assert kinds.count(OutcomeKind.SECONDARY) == 14
    labs = STUDY.outcomes[9]  # "Number of participants with a set of laboratory tests"
    assert labs.measure.startswith("Number of participants with a set of laboratory tests")
    # Month = 30 days (the stated convention): Month 1, 3, 6 -> 30, 90, 180.
    assert [p.day for p in labs.time_frame.time_points] == [0, 3, 7, 14, 30, 90, 180]
    assert STUDY.outcomes[0].time_frame.period_end_day == 180  # "Within six months"
    assert all(outcome.time_frame.parsed for outcome in STUDY.outcomes)


def test_visit_schedule_follows_the_flow_and_the_time_points() -> None:
    got = [(visit.id, visit.kind, visit.day) for visit in STUDY.visits]
    assert got == [
        ("screening", VisitKind.SCREENING, None),
        ("leukapheresis", VisitKind.PROCEDURE, None),
        ("pre_dose_check", VisitKind.PRE_DOSE, None),
        ("day_0", VisitKind.DOSING, 0),
        ("day_3", VisitKind.DLT_WINDOW, 3),
        ("day_7", VisitKind.DLT_WINDOW, 7),
        ("day_14", VisitKind.DLT_WINDOW, 14),
        ("day_30", VisitKind.FOLLOW_UP, 30),
        ("day_90", VisitKind.FOLLOW_UP, 90),
        ("day_180", VisitKind.FOLLOW_UP, 180),
        ("long_term_follow_up", VisitKind.LONG_TERM, None),
    ]
    # Windows: 10 % of the day, 1 to 14 days (Day 30 -> ±3, Day 180 -> ±14).
    month_1 = STUDY.visits[7]
    assert (month_1.earliest_day, month_1.latest_day) == (27, 33)
    for visit in STUDY.visits:
        if visit.source.quote is not None and visit.source.path is not None:
            assert visit.source.quote in _at(visit.source.path)


def test_eligibility_fields_and_items() -> None:
    facts = STUDY.eligibility.facts
    assert (facts.sex, facts.minimum_age, facts.maximum_age) == (Sex.ALL, "18 Years", "75 Years")
    assert facts.healthy_volunteers is False
    assert len(STUDY.eligibility.inclusion) == 6
    assert len(STUDY.eligibility.exclusion) == 13
    assert len(STUDY.eligibility.inclusion[3].sub_items) == 5
    assert STUDY.eligibility.inclusion[5].text.startswith("Hematological parameters")
    assert "serum creatinine level >2.5 mg/dL" in STUDY.eligibility.exclusion[7].text


@pytest.mark.parametrize(
    "gap_id",
    [
        "dlt.definition",
        "dlt.evaluable",
        "dose.weight_basis",
        "design.options.deescalate",
        "design.options.replace_non_evaluable",
        "visits.windows",
        "enrollment.sample_size",
    ],
)
def test_gaps_name_what_the_record_leaves_open(gap_id: str) -> None:
    assert gap_id in {gap.id for gap in STUDY.gaps}


def test_enrollment_gap_states_why() -> None:
    gap = next(gap for gap in STUDY.gaps if gap.id == "enrollment.sample_size")
    # 8 is not a multiple of 3, and 3+3 over 3 levels can need 6 x 3 = 18 subjects.
    assert "not a multiple of the cohort size 3" in gap.text
    assert "up to 18 subjects" in gap.text


def test_assumptions_state_every_default() -> None:
    ids = {assumption.id for assumption in STUDY.assumptions}
    defaults = {f"design.options.{o.name}" for o in STUDY.design.options if o.default_taken}
    assert defaults <= ids
    assert {"time.month_days", "visits.window.screening", "visits.window.follow_up"} <= ids
    assert "design.options.mtd_requires_six" not in ids
