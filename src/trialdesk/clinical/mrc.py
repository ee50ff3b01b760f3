"""The MRC and modified MRC (mMRC) dyspnoea scales, and conversion between them.

- **MRC** 1-5: Fletcher CM, Elmes PC, Fairbairn AS, Wood CH. The significance of
  respiratory symptoms and the diagnosis of chronic bronchitis in a working population.
  BMJ 1959;2:257-266; grades as worded in Bestall JC, Paul EA, Garrod R, et al.
  Usefulness of the Medical Research Council (MRC) dyspnoea scale as a measure of
  disability in patients with chronic obstructive pulmonary disease. Thorax 1999;54:581-586.
- **mMRC** 0-4: the same five grades renumbered from 0, worded in the first person as
  in the GOLD report (Global Strategy for the Diagnosis, Management and Prevention of
  COPD) after the ATS questionnaire (Mahler DA, Wells CK. Chest 1988;93:580-586).

Each grade describes the same level of breathlessness on both scales, so
MRC = mMRC + 1. A stored score always names its scale (:class:`DyspnoeaScore`),
because a bare "2" means different things on the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from trialdesk.clinical.results import AssessmentInputError

__all__ = ["MMRC_DESCRIPTORS", "MRC_DESCRIPTORS", "DyspnoeaScale", "DyspnoeaScore"]


class DyspnoeaScale(StrEnum):
    """Which dyspnoea scale a score is on."""

    MRC = "mrc"  # 1-5, Fletcher 1959 / Bestall 1999
    MMRC = "mmrc"  # 0-4, ATS / GOLD


MRC_DESCRIPTORS: dict[int, str] = {
    1: "Not troubled by breathlessness except on strenuous exercise",
    2: "Short of breath when hurrying or walking up a slight hill",
    3: (
        "Walks slower than contemporaries on level ground because of breathlessness, "
        "or has to stop for breath when walking at own pace"
    ),
    4: "Stops for breath after walking about 100 m or after a few minutes on level ground",
    5: "Too breathless to leave the house, or breathless when dressing or undressing",
}
MMRC_DESCRIPTORS: dict[int, str] = {
    0: "I only get breathless with strenuous exercise",
    1: "I get short of breath when hurrying on the level or walking up a slight hill",
    2: (
        "I walk slower than people of the same age on the level because of breathlessness, "
        "or I have to stop for breath when walking at my own pace on the level"
    ),
    3: "I stop for breath after walking about 100 meters or after a few minutes on the level",
    4: "I am too breathless to leave the house or I am breathless when dressing or undressing",
}
_DESCRIPTORS = {DyspnoeaScale.MRC: MRC_DESCRIPTORS, DyspnoeaScale.MMRC: MMRC_DESCRIPTORS}
_OFFSET = {DyspnoeaScale.MRC: 1, DyspnoeaScale.MMRC: 0}


@dataclass(frozen=True, slots=True)
class DyspnoeaScore:
    """A dyspnoea grade on a named scale; refuses a value the scale does not have."""

    scale: DyspnoeaScale
    value: int

    def __post_init__(self) -> None:
        if not isinstance(self.scale, DyspnoeaScale):
            raise AssessmentInputError("scale", self.scale, "mrc or mmrc")
        grades = _DESCRIPTORS[self.scale]
        if type(self.value) is not int or self.value not in grades:
            expected = f"an integer {min(grades)}-{max(grades)} on the {self.scale.value} scale"
            raise AssessmentInputError("value", self.value, expected)

    @property
    def descriptor(self) -> str:
        """The published wording of this grade on its scale."""
        return _DESCRIPTORS[self.scale][self.value]

    @property
    def level(self) -> int:
        """The grade's position on a common 0-4 ladder (the mMRC number)."""
        return self.value - _OFFSET[self.scale]

    def to(self, scale: DyspnoeaScale) -> DyspnoeaScore:
        """The same grade on ``scale`` (MRC = mMRC + 1)."""
        return DyspnoeaScore(scale, self.level + _OFFSET[scale])

    def to_mrc(self) -> DyspnoeaScore:
        """The same grade on the MRC scale (1-5)."""
        return self.to(DyspnoeaScale.MRC)

    def to_mmrc(self) -> DyspnoeaScore:
        """The same grade on the mMRC scale (0-4)."""
        return self.to(DyspnoeaScale.MMRC)
