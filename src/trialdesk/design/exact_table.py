"""Exact operating characteristics of table-driven designs (BOIN, Keyboard, mTPI-2, i3+3).

With a maximum sample size the trial is a finite Markov chain over the state
(per-dose counts, current dose, eliminated doses): each cohort at dose d with
true DLT probability p moves to y DLTs with the binomial probability
C(c, y) p^y (1 - p)^(c - y). Propagating the probability of every state cohort
by cohort, and collecting the states where the design stops, gives the exact
selection probabilities and sample-size distribution; no simulation error.
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
    tox = checked_true_tox(true_tox, len(ladder))
    zero: Num = tox[0] * 0
    totals: _Totals[Num] = _Totals(
        select=[zero] * len(ladder),
        no_mtd=zero,
        n_per_dose=[zero] * len(ladder),
        dlt_per_dose=[zero] * len(ladder),
        n_distribution={},
    )
    decisions: dict[TrialState, Decision] = {}
    layer: dict[TrialState, Num] = {
        TrialState(tuple(DoseCounts() for _ in ladder.labels), None, None): zero + 1
    }
    size = table_design.cohort_size
    while layer:
        following: defaultdict[TrialState, Num] = defaultdict(lambda: zero)
        for state, probability in layer.items():
            decision = decisions.get(state)
            if decision is None:
                decision = decisions[state] = design.decide_from(state)
            if decision.stop:
                _collect(totals, state, probability, decision, ladder.labels)
                continue
            assert decision.next_level is not None  # noqa: S101 - a non-stop names a level
            dose = ladder.index(decision.next_level)
            for dlts, weight in enumerate(_binomial(size, tox[dose])):
                if weight:
                    after = _after_cohort(table_design, state, dose, size, dlts)
                    following[after] += probability * weight
        layer = dict(following)
    return _result(ladder.labels, totals)


def _binomial(size: int, p: Num) -> list[Num]:
    return [comb(size, k) * p**k * (1 - p) ** (size - k) for k in range(size + 1)]


def _after_cohort(
    design: TableDesign, state: TrialState, dose: int, size: int, dlts: int
) -> TrialState:
    """The state after one cohort, with BOIN's end-of-cohort elimination check."""
    counts = list(state.counts)
    here = counts[dose]
    counts[dose] = DoseCounts(here.n + size, here.y + dlts)
    eliminated = state.eliminated_from
    if design.table.action(counts[dose].n, counts[dose].y) is Action.ELIMINATE:
        eliminated = dose if eliminated is None else min(eliminated, dose)
    return TrialState(tuple(counts), dose, eliminated)


def _collect(
    totals: _Totals[Num],
    state: TrialState,
    probability: Num,
    decision: Decision,
    labels: tuple[Label, ...],
) -> None:
    if decision.mtd is None:
        totals.no_mtd += probability
    else:
        totals.select[labels.index(decision.mtd)] += probability
    for dose, counts in enumerate(state.counts):
        totals.n_per_dose[dose] += probability * counts.n
        totals.dlt_per_dose[dose] += probability * counts.y
    total = sum(counts.n for counts in state.counts)
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
