"""Outcome histories: who was dosed where, with or without a DLT.

A history is the input of every design's ``decide``. Dose levels are named by
their protocol labels (the seed's -1, 1, 2), never by position: a
:class:`DoseLadder` maps labels to positions once, and refuses a label it does
not hold. The compact notation ``"1NNN 2NTN"`` (a cohort of three at level 1
with no DLT, then three at level 2 with one DLT; ``T`` marks a DLT) is read by
:func:`parse_outcomes` for tests and the command line, and written by
:func:`format_outcomes` for messages and logs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from trialdesk.errors import DesignInputError

__all__ = [
    "DoseCounts",
    "DoseLadder",
    "Label",
    "SubjectOutcome",
    "count_by_dose",
    "format_outcomes",
    "parse_outcomes",
]

Label = int | str

_COHORT = re.compile(r"(?:(?P<number>-?\d+)|\[(?P<name>[^\]\s]+)\])(?P<outcomes>[NT]+)")


@dataclass(frozen=True, slots=True)
class SubjectOutcome:
    """One subject: the level dosed, whether a DLT occurred, follow-up so far.

    ``followup_days`` matters to time-to-event designs only (TITE-CRM): ``None``
    means the subject completed the DLT window (or had a DLT).
    """

    level: Label
    dlt: bool
    followup_days: float | None = None


@dataclass(frozen=True, slots=True)
class DoseCounts:
    """Subjects treated (``n``) and DLTs seen (``y``) at one dose."""

    n: int = 0
    y: int = 0

    def __str__(self) -> str:
        return f"{self.y}/{self.n}"


@dataclass(frozen=True, slots=True)
class DoseLadder:
    """The dose levels of a design, lowest to highest, by their protocol labels."""

    labels: tuple[Label, ...]

    def __post_init__(self) -> None:
        if not self.labels:
            raise DesignInputError("labels", self.labels, "at least one dose level")
        if len(set(self.labels)) != len(self.labels):
            raise DesignInputError("labels", self.labels, "distinct labels")

    def __len__(self) -> int:
        return len(self.labels)

    def index(self, label: Label) -> int:
        """Position of ``label`` (0 = lowest dose); refuses a label not in the ladder."""
        try:
            return self.labels.index(label)
        except ValueError:
            allowed = ", ".join(str(item) for item in self.labels)
            raise DesignInputError("level", label, f"one of the levels {allowed}") from None

    @property
    def lowest(self) -> Label:
        """The lowest dose's label."""
        return self.labels[0]

    @property
    def highest(self) -> Label:
        """The highest dose's label."""
        return self.labels[-1]


def count_by_dose(ladder: DoseLadder, history: Sequence[SubjectOutcome]) -> tuple[DoseCounts, ...]:
    """Treated and DLT counts per dose, in ladder order."""
    n = [0] * len(ladder)
    y = [0] * len(ladder)
    for subject in history:
        index = ladder.index(subject.level)
        n[index] += 1
        y[index] += int(subject.dlt)
    return tuple(DoseCounts(n_i, y_i) for n_i, y_i in zip(n, y, strict=True))


def parse_outcomes(text: str) -> tuple[SubjectOutcome, ...]:
    """Read ``"1NNN 2NTN -1NNT"`` into subject outcomes, in order.

    Each space-separated group is a level label (an integer, possibly negative,
    or a name in brackets such as ``[1a]``) followed by one letter per subject:
    ``N`` no DLT, ``T`` a DLT. An empty string is an empty history.

    Raises:
        DesignInputError: a group that does not read, named with its position.
    """
    subjects: list[SubjectOutcome] = []
    for position, group in enumerate(text.split(), start=1):
        match = _COHORT.fullmatch(group)
        if match is None:
            raise DesignInputError(
                "outcomes",
                group,
                f"group {position} as a level label followed by N/T letters, "
                "e.g. '1NNT', '-1NN' or '[1a]NT'",
            )
        label: Label = int(match["number"]) if match["number"] else match["name"]
        subjects.extend(SubjectOutcome(label, letter == "T") for letter in match["outcomes"])
    return tuple(subjects)


def format_outcomes(history: Sequence[SubjectOutcome]) -> str:
    """Write ``history`` in the compact notation: the inverse of :func:`parse_outcomes`.

    Consecutive subjects at the same level form one group (``"1NNNNTN 2TTN"``: six at
    level 1, then three at level 2), so the text is the same however the history was
    cut into cohorts; a text label goes in brackets (``[1a]NT``, and ``[1]`` for the
    text ``"1"``, which is not the number 1). ``followup_days`` is not part of the
    notation and is left out: ``parse_outcomes(format_outcomes(history)) == history``
    for every history whose subjects have completed their DLT windows.

    Raises:
        DesignInputError: naming ``history``, when a subject's level has no written
            form the notation reads back: only integers (not booleans) and non-empty
            text without white space or ``]`` have one.
    """
    groups: list[str] = []
    previous: object = None
    for number, subject in enumerate(history, start=1):
        letter = "T" if subject.dlt else "N"
        if groups and _same_level(subject.level, previous):
            groups[-1] += letter
        else:
            groups.append(_written_label(history, number, subject.level) + letter)
        previous = subject.level
    return " ".join(groups)


def _same_level(level: object, previous: object) -> bool:
    """Equal and of one type: ``True == 1``, but a boolean level has no written form."""
    return type(level) is type(previous) and level == previous


def _written_label(history: Sequence[SubjectOutcome], number: int, level: object) -> str:
    """``level`` as :func:`parse_outcomes` reads it back; subject ``number`` is 1-based."""
    if isinstance(level, int) and not isinstance(level, bool):
        return str(level)
    if isinstance(level, str) and _COHORT.fullmatch(f"[{level}]N"):
        return f"[{level}]"
    raise DesignInputError(
        "history",
        history,
        f"levels the outcome notation can write (integers, or text without white space or "
        f"']'), but subject {number} is at level {level!r}",
    )
