"""The 3+3 design: cohorts of three, escalate on 0/3, expand on 1/3, stop on two DLTs.

The rule-based design of Storer (1989, Biometrics 45:925, design "A+B" with A = B = 3)
in the variants Korn et al. (1994, Stat Med 13:1799) compare, with the choices the
protocol text leaves open made explicit options:

- ``deescalate`` (default True): a dose with two or more DLTs (of 3 or of 6) is too
  toxic. True: move to the next lower dose; if it already has 6 subjects it is the
  MTD, if it has 3 (0/3) or none (below the start) treat 3 more there and decide
  again by the same rules, which may cascade down; too toxic at the lowest dose stops
  with no MTD. False (escalation-only, Storer's design): stop at once with the next
  lower dose as the MTD whatever its sample size; an untested next lower dose (the
  start was too toxic) is never declared: no MTD.
- ``lower_zero_of_three`` (default ``"expand"``): a dose with only 0/3 below a dose
  known too toxic gets 3 more subjects before it is declared (``"expand"``), or is
  declared with 3 (``"stop"``). Only de-escalation can create this situation.
- ``expand_top`` (default False): a top dose with 0/3 gets 3 more subjects before it is
  declared the MTD (escalating past the top dose otherwise declares it at once).

A dose is never re-escalated to once known too toxic; a dose with at most 1/6 below a
too-toxic dose is the MTD.

Decisions are a pure function of the history through the counts per dose and the dose
the last subject received (the current dose): :meth:`ThreePlusThree.step` applies the
rules to those counts alone, with no history and no reason text, and is the one rule
implementation; :meth:`ThreePlusThree.decide` replays the history, calls ``step`` after
each cohort, and dresses the last step as a :class:`~trialdesk.design.decision.Decision`
(labels, counts, reason). The history is replayed cohort by cohort
(every cohort has 3 subjects, only the last may be incomplete) and refused with a
:class:`~trialdesk.errors.DesignInputError` naming ``history`` when no 3+3 trial of
this configuration could have produced it: a cohort at a dose the rules did not
choose (4 subjects at a dose, a skipped dose, treatment above a too-toxic dose, a
subject after the trial stopped), an unknown level, or a subject still inside the DLT
window without a DLT (the 3+3 decides on completed windows only).

Rule ids (``Decision.rule``), stable across versions:

============================================  =================================================
``3+3.start``                                 empty history: first cohort at the start level
``3+3.complete_cohort``                       1 or 2 subjects in the latest cohort: complete it
``3+3.escalate_after_0_of_3``                 0/3: escalate one level
``3+3.expand_after_1_of_3``                   1/3: 3 more at the same level
``3+3.escalate_after_1_of_6``                 at most 1/6: escalate one level
``3+3.expand_top``                            0/3 at the top level with ``expand_top``: 3 more
``3+3.top_dose_mtd``                          escalation past the top level: top level is MTD
``3+3.too_toxic_deescalate``                  too toxic; next lower level has 0/3 (expand) or
                                              no subject: treat 3 there
``3+3.too_toxic_mtd_below``                   too toxic; next lower level has 6 subjects (or
                                              0/3 with ``lower_zero_of_three="stop"``): MTD
``3+3.too_toxic_stop_lowest``                 too toxic at the lowest level: stop, no MTD
``3+3.too_toxic_no_deescalation``             too toxic, escalation-only: MTD = next lower
``3+3.too_toxic_no_deescalation_untested``    too toxic, escalation-only, next lower level
                                              never treated: stop, no MTD
``3+3.expand_below_too_toxic``                0/3 below a too-toxic level: 3 more
``3+3.mtd_below_too_toxic``                   at most 1/6 (or 0/3 with ``"stop"``) below a
                                              too-toxic level: MTD
============================================  =================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trialdesk.design.decision import Decision
from trialdesk.design.history import (
    DoseCounts,
    DoseLadder,
    Label,
    SubjectOutcome,
    format_outcomes,
)
from trialdesk.design.three_plus_three_reasons import (
    COHORT,
    REASONS,
    THREE_PLUS_THREE_RULES,
    reason_fields,
)
from trialdesk.errors import DesignInputError

__all__ = ["THREE_PLUS_THREE_RULES", "LowerZeroOfThree", "ThreePlusThree", "ThreePlusThreeStep"]

LowerZeroOfThree = Literal["expand", "stop"]

_TOO_TOXIC = 2  # DLTs at a dose (of 3 or of 6) that make it too toxic


@dataclass(frozen=True, slots=True)
class ThreePlusThreeStep:
    """The rule that fired on the counts, by positions (0 = lowest dose), not labels.

    ``next_index`` is the dose of the next subjects, None when the trial stops;
    ``mtd_index`` the dose declared the MTD when it stops with one.
    """

    rule: str
    next_index: int | None
    mtd_index: int | None

    @property
    def stop(self) -> bool:
        """Whether the trial stops."""
        return self.next_index is None


@dataclass(frozen=True, slots=True, init=False)
class ThreePlusThree:
    """The 3+3 design on a dose ladder; see the module docstring for the rules and options.

    ``start`` defaults to the lowest level. The options are keyword-only, so a call
    reads as the protocol does: ``ThreePlusThree(ladder, 1, expand_top=True)``. The
    initialiser is written out (and validates) because that default depends on the
    ladder, while ``start`` itself is always a label, as :class:`~trialdesk.design.decision.Design`
    requires.
    """

    ladder: DoseLadder
    start: Label
    deescalate: bool
    lower_zero_of_three: LowerZeroOfThree
    expand_top: bool

    def __init__(
        self,
        ladder: DoseLadder,
        start: Label | None = None,
        *,
        deescalate: bool = True,
        lower_zero_of_three: LowerZeroOfThree = "expand",
        expand_top: bool = False,
    ) -> None:
        if not isinstance(ladder, DoseLadder):
            raise DesignInputError("ladder", ladder, "a DoseLadder")
        chosen = ladder.lowest if start is None else start
        if isinstance(chosen, bool) or chosen not in ladder.labels:
            allowed = ", ".join(str(label) for label in ladder.labels)
            raise DesignInputError("start", start, f"one of the levels {allowed}")
        for argument, value in (("deescalate", deescalate), ("expand_top", expand_top)):
            if not isinstance(value, bool):
                raise DesignInputError(argument, value, "True or False")
        if lower_zero_of_three not in ("expand", "stop"):
            raise DesignInputError("lower_zero_of_three", lower_zero_of_three, "'expand' or 'stop'")
        fields: dict[str, object] = {
            "ladder": ladder,
            "start": chosen,
            "deescalate": deescalate,
            "lower_zero_of_three": lower_zero_of_three,
            "expand_top": expand_top,
        }
        for name, field_value in fields.items():
            object.__setattr__(self, name, field_value)

    @property
    def name(self) -> str:
        """``3+3``."""
        return "3+3"

    @property
    def cohort_size(self) -> int:
        """Three subjects per cohort."""
        return COHORT

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """The decision after ``history``, replayed cohort by cohort to check it could happen.

        Raises:
            DesignInputError: naming ``history``, when no trial of this design could
                have produced it (the message says which subject broke which rule).
        """
        labels = self.ladder.labels
        n = [0] * len(labels)
        y = [0] * len(labels)
        current: int | None = None
        step = self.step(n, y, current)
        for first in range(0, len(history), COHORT):
            if step.next_index is None:
                raise self._refusal(history, first, step, (n, y))
            current = step.next_index
            level = labels[current]
            cohort = history[first : first + COHORT]
            for subject in cohort:
                if subject.level != level or _pending(subject):
                    raise self._refusal(history, first, step, (n, y))
                y[current] += subject.dlt
            n[current] += len(cohort)
            step = self.step(n, y, current)
        return self._dress(step, n, y, current)

    # --- the rules, on positions ------------------------------------------------------------

    def step(self, n: Sequence[int], y: Sequence[int], current: int | None) -> ThreePlusThreeStep:
        """The rule that fires on subjects ``n`` and DLTs ``y`` per dose (ladder order).

        ``current`` is the position of the dose treated last, None before any subject.
        No history to replay, no reason to write: cheap enough for one call per state of
        an exact enumeration. The counts must be reachable by this design (:meth:`decide`
        proves it by replaying a history); only their shape is checked here.

        Raises:
            DesignInputError: naming ``n``, ``y`` or ``current`` when a count is missing
                or ``current`` is not a treated dose (or is set before any subject).
        """
        doses = len(self.ladder.labels)
        if len(n) != doses or len(y) != doses:
            raise self._bad_counts(n, y, current)
        if current is None:
            if any(n):
                raise self._bad_counts(n, y, current)
            return ThreePlusThreeStep("3+3.start", self.ladder.index(self.start), None)
        if type(current) is not int or not 0 <= current < doses or not n[current]:
            raise self._bad_counts(n, y, current)
        return self._after_cohort(n, y, current)

    def _after_cohort(self, n: Sequence[int], y: Sequence[int], current: int) -> ThreePlusThreeStep:
        """The rule that fires after a cohort (complete or not) at ``current``."""
        if n[current] % COHORT:  # only the current dose can have a partial cohort
            return ThreePlusThreeStep("3+3.complete_cohort", current, None)
        if y[current] >= _TOO_TOXIC:
            return self._too_toxic(n, current)
        if n[current] == COHORT and y[current] == 1:
            return ThreePlusThreeStep("3+3.expand_after_1_of_3", current, None)
        if current + 1 < len(n) and y[current + 1] >= _TOO_TOXIC:
            return self._below_too_toxic(n, current)
        if current + 1 == len(n):
            return self._past_top(n, current)
        rule = "3+3.escalate_after_0_of_3" if n[current] == COHORT else "3+3.escalate_after_1_of_6"
        return ThreePlusThreeStep(rule, current + 1, None)

    def _bad_counts(
        self, n: Sequence[int], y: Sequence[int], current: int | None
    ) -> DesignInputError:
        """The error for counts of the wrong shape, naming the first argument at fault."""
        doses = len(self.ladder)
        for argument, counts in (("n", n), ("y", y)):
            if len(counts) != doses:
                return DesignInputError(argument, counts, f"{doses} counts, one per level")
        expected = f"the position (0 to {doses - 1}) of the dose treated last, None before any"
        return DesignInputError("current", current, expected)

    def _past_top(self, n: Sequence[int], current: int) -> ThreePlusThreeStep:
        """At most one DLT at the top dose: nothing higher to escalate to."""
        if n[current] == COHORT and self.expand_top:
            return ThreePlusThreeStep("3+3.expand_top", current, None)
        return ThreePlusThreeStep("3+3.top_dose_mtd", None, current)

    def _below_too_toxic(self, n: Sequence[int], current: int) -> ThreePlusThreeStep:
        """At most one DLT at ``current``, whose next higher dose is too toxic."""
        if n[current] == COHORT and self.lower_zero_of_three == "expand":
            return ThreePlusThreeStep("3+3.expand_below_too_toxic", current, None)
        return ThreePlusThreeStep("3+3.mtd_below_too_toxic", None, current)

    def _too_toxic(self, n: Sequence[int], current: int) -> ThreePlusThreeStep:
        """Two or more DLTs at ``current``: de-escalate, or stop with the dose below or none."""
        if current == 0:
            return ThreePlusThreeStep("3+3.too_toxic_stop_lowest", None, None)
        below = current - 1
        if not self.deescalate:
            if n[below] == 0:
                return ThreePlusThreeStep("3+3.too_toxic_no_deescalation_untested", None, None)
            return ThreePlusThreeStep("3+3.too_toxic_no_deescalation", None, below)
        if n[below] == 0 or (n[below] == COHORT and self.lower_zero_of_three == "expand"):
            return ThreePlusThreeStep("3+3.too_toxic_deescalate", below, None)
        return ThreePlusThreeStep("3+3.too_toxic_mtd_below", None, below)

    # --- reading the history ----------------------------------------------------------------

    def _refusal(
        self,
        history: Sequence[SubjectOutcome],
        first: int,
        step: ThreePlusThreeStep,
        counts: tuple[list[int], list[int]],
    ) -> DesignInputError:
        """The error for the cohort starting at subject ``first`` (0-based): who broke what."""
        labels = self.ladder.labels
        planned = None if step.next_index is None else labels[step.next_index]
        number = next(
            (
                index
                for index in range(first, min(first + COHORT, len(history)))
                if history[index].level != planned or _pending(history[index])
            ),
            first,
        )
        subject = history[number]
        if subject.level not in labels:
            allowed = ", ".join(str(label) for label in labels)
            why = f"levels {allowed} only, but subject {number + 1} is at level {subject.level!r}"
        elif subject.level == planned:
            why = (
                f"completed DLT windows: subject {number + 1} is still in follow-up "
                f"({subject.followup_days} days, no DLT); the 3+3 decides on whole cohorts"
            )
        else:
            state = (*counts, labels.index(subject.level))
            why = self._impossible(history, number, step, state)
        return DesignInputError("history", _shown(history), why)

    def _impossible(
        self,
        history: Sequence[SubjectOutcome],
        number: int,
        step: ThreePlusThreeStep,
        state: tuple[list[int], list[int], int],
    ) -> str:
        """Why subject ``number`` (0-based) could not be treated where it was."""
        first = number - number % COHORT
        done = f"after {_shown(history[:first])!r}" if first else "with no subject treated"
        if step.next_index is None:
            rule = f"the trial stops ({step.rule})"
        else:
            level = self.ladder.labels[step.next_index]
            cohort = f"subjects {first + 1}-{first + COHORT}"
            rule = f"the next cohort ({cohort}) is at level {level} ({step.rule})"
        got = f"subject {number + 1} was treated at level {history[number].level}"
        return f"a history a 3+3 trial could produce: {done} {rule}, but {got}{self._why(state)}"

    def _why(self, state: tuple[list[int], list[int], int]) -> str:
        """The 3+3 principle the misplaced subject breaks, when one names it."""
        n, y, position = state
        labels = self.ladder.labels
        toxic = [index for index in range(position + 1) if y[index] >= _TOO_TOXIC]
        if toxic:
            where = "which is" if toxic[0] == position else f"above level {labels[toxic[0]]},"
            return f", {where} known too toxic ({y[toxic[0]]}/{n[toxic[0]]})"
        if n[position] >= 2 * COHORT:
            return f", which already has {n[position]} subjects (a 3+3 dose never has more than 6)"
        treated = [index for index in range(len(n)) if n[index]]
        if treated and position > max(treated) + 1:
            return f", skipping level {labels[max(treated) + 1]}, never treated"
        return ""

    # --- dressing a step for reading --------------------------------------------------------

    def _dress(
        self, step: ThreePlusThreeStep, n: list[int], y: list[int], current: int | None
    ) -> Decision:
        labels = self.ladder.labels
        counts = tuple(DoseCounts(n_i, y_i) for n_i, y_i in zip(n, y, strict=True))
        fields = reason_fields(labels, counts, step.next_index, step.mtd_index, current)
        return Decision(
            next_level=None if step.next_index is None else labels[step.next_index],
            stop=step.next_index is None,
            mtd=None if step.mtd_index is None else labels[step.mtd_index],
            rule=step.rule,
            reason=REASONS[step.rule].format(**fields),
            counts=tuple(zip(labels, counts, strict=True)),
        )


def _pending(subject: SubjectOutcome) -> bool:
    """Still inside the DLT window with no DLT so far: the cohort cannot be decided on."""
    return subject.followup_days is not None and not subject.dlt


def _shown(history: Sequence[SubjectOutcome]) -> object:
    """``history`` in the outcome notation for a message, or as is when a label has none."""
    try:
        return format_outcomes(history)
    except DesignInputError:
        return tuple(history)
