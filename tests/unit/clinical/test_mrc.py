"""MRC (Fletcher 1959 / Bestall 1999, 1-5) and mMRC (ATS/GOLD, 0-4) dyspnoea scales."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.clinical.mrc import (
    MMRC_DESCRIPTORS,
    MRC_DESCRIPTORS,
    DyspnoeaScale,
    DyspnoeaScore,
)
from trialdesk.clinical.results import AssessmentInputError

MRC, MMRC = DyspnoeaScale.MRC, DyspnoeaScale.MMRC


@pytest.mark.parametrize(("mmrc", "mrc"), [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
def test_mrc_is_mmrc_plus_one(mmrc: int, mrc: int) -> None:
    assert DyspnoeaScore(MMRC, mmrc).to_mrc() == DyspnoeaScore(MRC, mrc)
    assert DyspnoeaScore(MRC, mrc).to_mmrc() == DyspnoeaScore(MMRC, mmrc)


@given(st.sampled_from(DyspnoeaScale), st.sampled_from(DyspnoeaScale), st.integers(0, 4))
def test_conversion_round_trips(scale: DyspnoeaScale, other: DyspnoeaScale, level: int) -> None:
    score = DyspnoeaScore(MMRC, level).to(scale)
    assert score.to(other).to(scale) == score
    assert score.level == level


def test_descriptors_name_the_same_grade_on_both_scales() -> None:
    # Bestall 1999 Table 1, grade 4; GOLD mMRC grade 3: "stops ... after about 100 m".
    assert "100 m" in DyspnoeaScore(MRC, 4).descriptor
    assert "100 meters" in DyspnoeaScore(MMRC, 3).descriptor
    assert set(MRC_DESCRIPTORS) == {1, 2, 3, 4, 5}
    assert set(MMRC_DESCRIPTORS) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize(
    ("scale", "value"), [(MRC, 0), (MRC, 6), (MMRC, -1), (MMRC, 5), (MRC, 2.0), (MMRC, True)]
)
def test_a_value_off_its_scale_is_refused_by_name(scale: DyspnoeaScale, value: int) -> None:
    with pytest.raises(AssessmentInputError, match="argument `value`"):
        DyspnoeaScore(scale, value)


def test_a_score_always_names_its_scale() -> None:
    with pytest.raises(AssessmentInputError, match="argument `scale`"):
        DyspnoeaScore("mrc", 2)  # type: ignore[arg-type]
    assert DyspnoeaScore(MRC, 2) != DyspnoeaScore(MMRC, 2)
