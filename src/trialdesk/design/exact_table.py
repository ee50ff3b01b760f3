"""Exact operating characteristics of table-driven designs (BOIN, Keyboard, mTPI-2, i3+3).

With a maximum sample size the trial is a finite Markov chain over the state
(per-dose counts, current dose, eliminated doses): each cohort at dose d with
true DLT probability p moves to y DLTs with the binomial probability
C(c, y) p^y (1 - p)^(c - y). Propagating the probability of every state cohort
by cohort, and collecting the states where the design stops, gives the exact
selection probabilities and sample-size distribution; no simulation error. A cohort
takes the size the decision sets (BOIN's titration: cohorts of one), else the design's.
States that several histories reach are merged, which keeps the chain small
(5 doses and 10 cohorts of 3 stay in the tens of thousands of states).

Decisions come from the design's own ``decide_from``, memoised per state, so
the enumeration cannot drift from the rules a trial is run by. With
:class:`fractions.Fraction` probabilities every result is an exact fraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import Generic, Protocol

from trialdesk.design.decision import Decision
from trialdesk.design.decision_table import Action, TableDesign, TrialState
from trialdesk.design.history import DoseCounts, Label
from trialdesk.design.oc import Num, OperatingCharacteristics, checked_true_tox

__all__ = ["StateDecider", "exact_oc_table"]


class StateDecider(Protocol):
    """A design that decides from a replayed :class:`TrialState` (TableDesign, Boin)."""

    def decide_from(self, state: TrialState) -> Decision:
        """The decision for ``state``."""
        ...


@dataclass(slots=True)
class _Totals(Generic[Num]):
    """Terminal probabilities accumulated over stopped states."""

    select: list[Num]
    no_mtd: Num
    n_per_dose: list[Num]
    dlt_per_dose: list[Num]
    n_distribution: dict[int, Num]


def exact_oc_table(
    design: StateDecider, table_design: TableDesign, true_tox: Sequence[Num]
) -> OperatingCharacteristics[Num]:
    """Exact OCs of ``design`` (whose table part is ``table_design``) at ``true_tox``.

    Pass a :class:`TableDesign` as both arguments, or a ``Boin`` and its
    ``table_design``. Probabilities may be floats or Fractions (results follow).
    """
    ladder = table_design.ladder
    doses = len(ladder)
    tox = checked_true_tox(true_tox, doses)
    zero: Num = tox[0] * 0
    totals: _Totals[Num] = _Totals(
        select=[zero] * doses,
        no_mtd=zero,
        n_per_dose=[zero] * doses,
        dlt_per_dose=[zero] * doses,
        n_distribution={},
    )
    moves = _Moves(design, table_design)
    default_size = table_design.cohort_size
    branches: dict[tuple[int, int], list[Num]] = {}
    # A state is a flat tuple of ints (n per dose, y per dose, current, eliminated-from),
    # hashed in C; it becomes a TrialState only when the design decides on it. Every cohort
    # adds subjects, so taking states in order of subjects treated merges every path into
    # a state before the state moves on (cohorts of different sizes reach it in different
    # numbers of steps).
    by_treated: defaultdict[int, defaultdict[tuple[int, ...], Num]] = defaultdict(
        lambda: defaultdict(lambda: zero)
    )
    by_treated[0][(0,) * (2 * doses) + (-1, doses)] = zero + 1
    for treated in range(table_design.max_subjects + 1):
        for key, probability in by_treated.pop(treated, {}).items():
            decision = moves.decide(key)
            if decision.stop:
                _collect(totals, key, probability, decision, ladder.labels)
                continue
            dose = moves.next_dose(decision)
            size = decision.cohort_size_or(default_size)
            if (size, dose) not in branches:
                branches[size, dose] = _binomial(size, tox[dose])
            following = by_treated[treated + size]
            for dlts, weight in enumerate(branches[size, dose]):
                if weight:
                    following[moves.after(key, dose, size, dlts)] += probability * weight
    if by_treated:
        msg = f"the design treated more than {table_design.max_subjects} subjects"
        raise AssertionError(msg)
    return _result(ladder.labels, totals)


def _binomial(size: int, p: Num) -> list[Num]:
    return [comb(size, k) * p**k * (1 - p) ** (size - k) for k in range(size + 1)]


class _Moves:
    """Decisions per state key (memoised) and the state after a cohort."""

    def __init__(self, design: StateDecider, table_design: TableDesign) -> None:
        self._design = design
        self._ladder = table_design.ladder
        self._doses = len(table_design.ladder)
        table = table_design.table
        self._eliminates = {
            (n, y)
            for n in range(1, table.max_n + 1)
            for y in range(n + 1)
            if table.action(n, y) is Action.ELIMINATE
        }
        self._decisions: dict[tuple[int, ...], Decision] = {}

    def decide(self, key: tuple[int, ...]) -> Decision:
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = self._design.decide_from(self._state(key))
        return decision

    def next_dose(self, decision: Decision) -> int:
        assert decision.next_level is not None  # noqa: S101 - a non-stop names a level
        return self._ladder.index(decision.next_level)

    def after(self, key: tuple[int, ...], dose: int, size: int, dlts: int) -> tuple[int, ...]:
        """The key after one cohort, with BOIN's end-of-cohort elimination check."""
        j = self._doses
        n, y = key[dose] + size, key[j + dose] + dlts
        eliminated = key[2 * j + 1]
        if (n, y) in self._eliminates and dose < eliminated:
            eliminated = dose
        state = list(key)
        state[dose], state[j + dose], state[2 * j], state[2 * j + 1] = n, y, dose, eliminated
        return tuple(state)

    def _state(self, key: tuple[int, ...]) -> TrialState:
        j = self._doses
        counts = tuple(DoseCounts(key[d], key[j + d]) for d in range(j))
        current = None if key[2 * j] < 0 else key[2 * j]
        eliminated = None if key[2 * j + 1] >= j else key[2 * j + 1]
        return TrialState(counts, current, eliminated)


def _collect(
    totals: _Totals[Num],
    key: tuple[int, ...],
    probability: Num,
    decision: Decision,
    labels: tuple[Label, ...],
) -> None:
    if decision.mtd is None:
        totals.no_mtd += probability
    else:
        totals.select[labels.index(decision.mtd)] += probability
    doses = len(labels)
    for dose in range(doses):
        totals.n_per_dose[dose] += probability * key[dose]
        totals.dlt_per_dose[dose] += probability * key[doses + dose]
    total = sum(key[:doses])
    totals.n_distribution[total] = totals.n_distribution.get(total, probability * 0) + probability


def _result(labels: tuple[Label, ...], totals: _Totals[Num]) -> OperatingCharacteristics[Num]:
    return OperatingCharacteristics(
        labels=labels,
        p_select=tuple(totals.select),
        p_no_mtd=totals.no_mtd,
        expected_n=_total(totals.n_per_dose, totals.no_mtd * 0),
        expected_n_per_dose=tuple(totals.n_per_dose),
        expected_dlt=_total(totals.dlt_per_dose, totals.no_mtd * 0),
        expected_dlt_per_dose=tuple(totals.dlt_per_dose),
        n_distribution=dict(sorted(totals.n_distribution.items())),
    )


def _total(values: Sequence[Num], zero: Num) -> Num:
    total = zero
    for value in values:
        total += value
    return total
