"""Monte Carlo operating characteristics of rule-based designs, a batch of trials at once.

Every trial of the batch advances one cohort per step with NumPy arrays (counts per
dose, current dose, eliminated doses); only the *decision* is taken by the design's own
rule (a table design's ``decide_from``, the 3+3's ``step``), once per distinct state of
the step and memoised across steps, so the simulation runs the very rules a trial is run
by. Subjects' outcomes come from **common random numbers**: each simulated subject has a
tolerance u ~ U(0, 1) and has a DLT at dose d when u < p_d, so designs compared on the
same ``tolerances`` see the same patients. Standard errors are binomial (selection) or
sample standard deviations over sqrt(trials).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trialdesk.design.decision_table import Action, TableDesign, TrialState
from trialdesk.design.exact_table import StateDecider
from trialdesk.design.history import DoseCounts, Label
from trialdesk.design.oc import (
    OperatingCharacteristics,
    SimulatedTrials,
    checked_true_tox,
)
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError

__all__ = [
    "draw_tolerances",
    "run_table_trials",
    "run_three_plus_three_trials",
    "simulate_table",
    "simulate_three_plus_three",
]

_RUNNING = -1
_NO_MTD = -2


def draw_tolerances(rng: np.random.Generator, trials: int, subjects: int) -> NDArray[np.float64]:
    """One U(0, 1) tolerance per simulated subject: the common random numbers."""
    if trials < 1:
        raise DesignInputError("trials", trials, "at least 1 simulated trial")
    return rng.random((trials, subjects))


@dataclass(slots=True)
class _Batch:
    """The state of every simulated trial, one row each."""

    n: NDArray[np.int64]
    y: NDArray[np.int64]
    current: NDArray[np.int64]  # -1 before the first cohort
    eliminated: NDArray[np.int64]  # lowest eliminated dose; J (the number of doses) if none
    outcome: NDArray[np.int64]  # _RUNNING, _NO_MTD or the selected dose
    next_dose: NDArray[np.int64]
    next_size: NDArray[np.int64]  # subjects in the next cohort
    used: NDArray[np.int64]  # subjects treated so far: the next tolerance column


def simulate_table(
    design: StateDecider,
    table_design: TableDesign,
    true_tox: Sequence[float],
    tolerances: NDArray[np.float64],
) -> OperatingCharacteristics[float]:
    """Simulated OCs: one row of ``tolerances`` per trial, one column per subject."""
    trials = run_table_trials(design, table_design, true_tox, tolerances)
    return trials.summarise(table_design.ladder.labels)


def run_table_trials(
    design: StateDecider,
    table_design: TableDesign,
    true_tox: Sequence[float],
    tolerances: NDArray[np.float64],
) -> SimulatedTrials:
    """The simulated trials themselves (a row of ``tolerances`` each), not yet summarised."""
    doses = len(table_design.ladder)
    tox = np.asarray(checked_true_tox(true_tox, doses), dtype=np.float64)
    size = table_design.cohort_size
    if tolerances.ndim != 2 or tolerances.shape[1] < table_design.max_subjects:
        raise DesignInputError(
            "tolerances", tolerances.shape, f"(trials, >= {table_design.max_subjects}) uniforms"
        )
    memo = _Memo(lambda row: _table_code(design, row, doses, size), doses)
    return _run(
        memo,
        eliminates=_elimination_cells(table_design),
        size=size,
        max_cohorts=table_design.max_cohorts,
        tox=tox,
        tolerances=tolerances,
        labels=table_design.ladder.labels,
    )


def simulate_three_plus_three(
    design: ThreePlusThree, true_tox: Sequence[float], tolerances: NDArray[np.float64]
) -> OperatingCharacteristics[float]:
    """Simulated OCs of a 3+3: at most 6 subjects per dose, so 2 x doses cohorts."""
    trials = run_three_plus_three_trials(design, true_tox, tolerances)
    return trials.summarise(design.ladder.labels)


def run_three_plus_three_trials(
    design: ThreePlusThree, true_tox: Sequence[float], tolerances: NDArray[np.float64]
) -> SimulatedTrials:
    """The simulated 3+3 trials themselves, not yet summarised."""
    doses = len(design.ladder)
    tox = np.asarray(checked_true_tox(true_tox, doses), dtype=np.float64)
    most = 6 * doses
    if tolerances.ndim != 2 or tolerances.shape[1] < most:
        raise DesignInputError("tolerances", tolerances.shape, f"(trials, >= {most}) uniforms")
    memo = _Memo(lambda row: _three_plus_three_code(design, row, doses), doses)
    no_elimination = np.zeros((most + 1, most + 1), dtype=np.bool_)
    return _run(
        memo,
        eliminates=no_elimination,
        size=3,
        max_cohorts=2 * doses,
        tox=tox,
        tolerances=tolerances,
        labels=design.ladder.labels,
    )


def _run(  # noqa: PLR0913 - the engine's inputs, each a different kind
    memo: _Memo,
    *,
    eliminates: NDArray[np.bool_],
    size: int,
    max_cohorts: int,
    tox: NDArray[np.float64],
    tolerances: NDArray[np.float64],
    labels: tuple[Label, ...],
) -> SimulatedTrials:
    batch = _start(tolerances.shape[0], len(labels))
    memo.apply(batch)
    # Each step treats at least one subject per running trial, so this bounds the loop.
    for _ in range(max_cohorts * size + 1):
        running = np.flatnonzero(batch.outcome == _RUNNING)
        if running.size == 0:
            break
        dose = batch.next_dose[running]
        takes = batch.next_size[running]
        dlts = _count_dlts(tolerances, running, batch.used[running], takes, tox[dose])
        _advance(eliminates, batch, _Cohort(running, dose, dlts, takes))
        memo.apply(batch)
    return SimulatedTrials(batch.outcome, batch.n, batch.y)


def _count_dlts(
    tolerances: NDArray[np.float64],
    rows: NDArray[np.intp],
    used: NDArray[np.int64],
    takes: NDArray[np.int64],
    p: NDArray[np.float64],
) -> NDArray[np.int64]:
    """DLTs among each trial's next ``takes`` subjects (tolerance below p)."""
    first, widest = int(used[0]), int(takes.max())
    if np.all(used == first) and np.all(takes == widest):
        slots = tolerances[rows, first : first + widest]
        counted: NDArray[np.int64] = (slots < p[:, None]).sum(axis=1)
        return counted
    offsets = np.arange(widest)
    columns = np.minimum(used[:, None] + offsets, tolerances.shape[1] - 1)
    hits = (tolerances[rows[:, None], columns] < p[:, None]) & (offsets < takes[:, None])
    summed: NDArray[np.int64] = hits.sum(axis=1)
    return summed


def _start(trials: int, doses: int) -> _Batch:
    zeros = np.zeros((trials, doses), dtype=np.int64)
    return _Batch(
        n=zeros.copy(),
        y=zeros.copy(),
        current=np.full(trials, -1, dtype=np.int64),
        eliminated=np.full(trials, doses, dtype=np.int64),
        outcome=np.full(trials, _RUNNING, dtype=np.int64),
        next_dose=np.zeros(trials, dtype=np.int64),
        next_size=np.zeros(trials, dtype=np.int64),
        used=np.zeros(trials, dtype=np.int64),
    )


@dataclass(frozen=True, slots=True)
class _Cohort:
    """One step's cohorts: which trials, at which dose, how many DLTs of how many."""

    rows: NDArray[np.intp]
    dose: NDArray[np.int64]
    dlts: NDArray[np.int64]
    size: NDArray[np.int64]


def _advance(eliminates: NDArray[np.bool_], batch: _Batch, cohort: _Cohort) -> None:
    rows, dose = cohort.rows, cohort.dose
    batch.n[rows, dose] += cohort.size
    batch.used[rows] += cohort.size
    batch.y[rows, dose] += cohort.dlts
    batch.current[rows] = dose
    eliminate = eliminates[batch.n[rows, dose], batch.y[rows, dose]]
    hit = rows[eliminate]
    batch.eliminated[hit] = np.minimum(batch.eliminated[hit], dose[eliminate])


def _elimination_cells(design: TableDesign) -> NDArray[np.bool_]:
    """``cells[n, y]``: whether the table eliminates at y DLTs of n (BOIN's DU)."""
    table = design.table
    cells = np.zeros((table.max_n + 1, table.max_n + 1), dtype=np.bool_)
    for count in range(1, table.max_n + 1):
        for dlts in range(count + 1):
            cells[count, dlts] = table.action(count, dlts) is Action.ELIMINATE
    return cells


class _Memo:
    """The design's decision for each distinct state row, computed once.

    A row is ``n`` per dose, ``y`` per dose, the current dose (-1 before any
    subject) and the lowest eliminated dose (the number of doses when none); its
    code is ``size * doses + next dose`` (>= 0) while running, ``-3 - outcome``
    when it stops.
    """

    def __init__(self, decide_row: Callable[[NDArray[np.int64]], int], doses: int) -> None:
        self._decide_row = decide_row
        self._doses = doses
        self._seen: dict[bytes, int] = {}

    def apply(self, batch: _Batch) -> None:
        running = np.flatnonzero(batch.outcome == _RUNNING)
        if running.size == 0:
            return
        rows = np.column_stack(
            (batch.n[running], batch.y[running], batch.current[running], batch.eliminated[running])
        )
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        codes = np.array([self._code(row) for row in unique], dtype=np.int64)
        result = codes[inverse.reshape(-1)]
        moving = result >= 0
        batch.next_dose[running[moving]] = result[moving] % self._doses
        batch.next_size[running[moving]] = result[moving] // self._doses
        batch.outcome[running[~moving]] = -3 - result[~moving]

    def _code(self, row: NDArray[np.int64]) -> int:
        key = row.tobytes()
        code = self._seen.get(key)
        if code is None:
            code = self._seen[key] = self._decide_row(row)
        return code


def _table_code(design: StateDecider, row: NDArray[np.int64], doses: int, size: int) -> int:
    j = doses
    counts = tuple(DoseCounts(int(row[d]), int(row[j + d])) for d in range(j))
    current = None if row[2 * j] < 0 else int(row[2 * j])
    eliminated = None if row[2 * j + 1] >= j else int(row[2 * j + 1])
    decision = design.decide_from(TrialState(counts, current, eliminated))
    labels = [label for label, _ in decision.counts]
    if decision.next_level is not None:
        return decision.cohort_size_or(size) * doses + labels.index(decision.next_level)
    return -3 - (_NO_MTD if decision.mtd is None else labels.index(decision.mtd))


def _three_plus_three_code(design: ThreePlusThree, row: NDArray[np.int64], doses: int) -> int:
    j = doses
    current = None if row[2 * j] < 0 else int(row[2 * j])
    step = design.step([int(v) for v in row[:j]], [int(v) for v in row[j : 2 * j]], current)
    if step.next_index is not None:
        return 3 * doses + step.next_index
    return -3 - (_NO_MTD if step.mtd_index is None else step.mtd_index)
